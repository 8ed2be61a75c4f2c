//! The PostgreSQL server of the tests: its URL from the environment (or the reason the tests
//! do not run), and the template database migrated once per schema version that every test
//! database is cloned from.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use tokio::sync::OnceCell;

use super::skip::report_skipped;
use crate::{DatabaseUrl, migrate_url};

/// The variable naming the PostgreSQL server for tests.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";
/// The variable that turns a missing PostgreSQL into a failure.
pub const REQUIRE_POSTGRES: &str = "REQUIRE_POSTGRES";

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// The server URL, or `None` when PostgreSQL tests are not to run.
pub(super) fn server_url() -> Option<String> {
    let required = std::env::var(REQUIRE_POSTGRES).is_ok_and(|v| v == "1");
    match std::env::var(TEST_DATABASE_URL) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if required => panic!("{REQUIRE_POSTGRES}=1 but {TEST_DATABASE_URL} is not set"),
        _ => {
            report_skipped(&format!(
                "PostgreSQL not configured (set {TEST_DATABASE_URL}=postgres://user@host:port/postgres)"
            ));
            None
        }
    }
}

/// The name of the template database, created on first use (once per test process; an
/// advisory lock orders the processes).
pub(super) async fn template(server_url: &str) -> String {
    TEMPLATE
        .get_or_init(|| build_template(server_url))
        .await
        .clone()
}

pub(super) async fn connect_admin(server_url: &str) -> AsyncPgConnection {
    match AsyncPgConnection::establish(server_url).await {
        Ok(conn) => conn,
        Err(e) => panic!("PostgreSQL at {TEST_DATABASE_URL} is unreachable: {e}"),
    }
}

/// `server_url` with its database name replaced.
pub fn with_database(server_url: &str, database: &str) -> String {
    let (base, query) = server_url
        .split_once('?')
        .map_or((server_url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

/// A name that changes whenever a PostgreSQL migration file changes.
fn template_name() -> String {
    use std::hash::{Hash, Hasher};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/postgres");
    let mut files: Vec<_> = walk(&dir);
    files.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for file in files {
        file.file_name().hash(&mut hasher);
        std::fs::read(&file).unwrap_or_default().hash(&mut hasher);
    }
    format!("propimport_tpl_{:016x}", hasher.finish())
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                vec![e.path()]
            }
        })
        .collect()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn count(conn: &mut AsyncPgConnection, sql: String) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .await
        .map(|c| c.n)
        .expect("count query")
}

/// Creates the template database unless another process already did (an advisory lock
/// orders concurrent test processes).
async fn build_template(server_url: &str) -> String {
    let name = template_name();
    let mut admin = connect_admin(server_url).await;
    diesel::sql_query("SELECT pg_advisory_lock(70726964657)")
        .execute(&mut admin)
        .await
        .expect("lock");
    let exists = count(
        &mut admin,
        format!("SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{name}'"),
    )
    .await;
    if exists == 0 {
        let building = format!("{name}_building");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .expect("drop");
        diesel::sql_query(format!("CREATE DATABASE {building}"))
            .execute(&mut admin)
            .await
            .expect("create template");
        migrate_url(&DatabaseUrl::Postgres(with_database(server_url, &building)))
            .await
            .expect("migrate template");
        // The migration's connection ends asynchronously; the rename needs it gone.
        for _ in 0..200 {
            let sessions = count(
                &mut admin,
                format!("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = '{building}'"),
            )
            .await;
            if sessions == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
            .execute(&mut admin)
            .await
            .expect("rename template");
        diesel::sql_query(format!(
            "ALTER DATABASE {name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
        ))
        .execute(&mut admin)
        .await
        .expect("seal template");
    }
    diesel::sql_query("SELECT pg_advisory_unlock(70726964657)")
        .execute(&mut admin)
        .await
        .expect("unlock");
    name
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
