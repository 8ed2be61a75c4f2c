//! Probes of a test's [`Database`] that go around the stores: one statement run the way a store
//! runs it, the pool's size, a PostgreSQL setting, the plan of a page of the key table.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::Database;

/// Runs one statement the way a store call runs it (`with_conn!`: bounded by the database's
/// timeout, its connection closed rather than reused when the bound passes); gives the rows
/// it affected.
pub async fn execute_bounded(db: &Database, statement: &str) -> propimport_domain::Result<usize> {
    let affected = with_conn!(db, |conn, _dialect| {
        diesel::sql_query(statement)
            .execute(conn)
            .await
            .map_err(crate::error::from_diesel)?
    });
    Ok(affected)
}

/// How many connections the pool of `db` holds, idle or in use.
pub fn pool_size(db: &Database) -> usize {
    match db.pools() {
        crate::database::Pools::Postgres(pool) => pool.status().size,
        crate::database::Pools::Sqlite(pool) => pool.status().size,
    }
}

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// A PostgreSQL setting (`SHOW name`) as a pooled connection of `db` has it.
pub async fn pg_setting(db: &Database, name: &str) -> propimport_domain::Result<String> {
    let crate::database::Pools::Postgres(pool) = db.pools() else {
        return Err(propimport_domain::Error::storage("not PostgreSQL"));
    };
    let mut conn = pool.get().await.expect("connection");
    diesel::sql_query(format!("SELECT current_setting('{name}') AS value"))
        .get_result::<Setting>(&mut conn)
        .await
        .map(|s| s.value)
        .map_err(crate::error::from_diesel)
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The plan PostgreSQL makes of a page of the key table's read after `after` (the source
/// `source`), under the pin the store's read runs first in the page's transaction. Panics on
/// a SQLite database, which has no such plan.
pub async fn key_page_plan(db: &Database, source: &str, after: &str) -> String {
    use diesel_async::AsyncConnection as _;
    let crate::database::Pools::Postgres(pool) = db.pools() else {
        panic!("not PostgreSQL");
    };
    let mut conn = pool.get().await.expect("connection");
    let explain = format!(
        "EXPLAIN SELECT external_id, status, record_key FROM properties \
         WHERE source = '{source}' AND external_id > '{after}' \
         ORDER BY external_id LIMIT 20000"
    );
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        diesel::sql_query(crate::listings::WALK_THE_INDEX)
            .execute(conn)
            .await?;
        let lines: Vec<PlanLine> = diesel::sql_query(explain).load(conn).await?;
        Ok(lines
            .into_iter()
            .map(|l| l.line)
            .collect::<Vec<_>>()
            .join("\n"))
    })
    .await
    .expect("the plan")
}
