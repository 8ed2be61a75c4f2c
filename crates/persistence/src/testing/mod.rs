//! Per-test databases: a fresh SQLite file, or a fresh PostgreSQL database cloned from a
//! template that is migrated once per schema version and shared by every test process.
//!
//! PostgreSQL tests read the server URL from `TEST_DATABASE_URL` (for example
//! `postgres://postgres@127.0.0.1:5432/postgres`). When it is unset they say so and do not
//! run; with `REQUIRE_POSTGRES=1` they fail instead, as they do when the server is unreachable.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test support: a failed step fails the test"
)]

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use propimport_domain::testing::alert_conformance::AlertFixture;
use propimport_domain::testing::conformance::StoreFixture;
use propimport_domain::testing::image_conformance::ImageFixture;
use propimport_domain::testing::listing_conformance::ListingFixture;
use propimport_domain::{AlertStore, ExecutionStore, ListingImageStore, ListingStore};
use tempfile::TempDir;
use tokio::sync::OnceCell;

use crate::{
    Database, DatabaseUrl, PoolOptions, SqlAlertStore, SqlExecutionStore, SqlListingImageStore,
    SqlListingStore, migrate_url,
};

/// The variable naming the PostgreSQL server for tests.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";
/// The variable that turns a missing PostgreSQL into a failure.
pub const REQUIRE_POSTGRES: &str = "REQUIRE_POSTGRES";

/// A migrated database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    store: SqlExecutionStore,
    listings: SqlListingStore,
    images: SqlListingImageStore,
    alerts: SqlAlertStore,
    _dir: Option<TempDir>,
    postgres: Option<PgCleanup>,
}

struct PgCleanup {
    server_url: String,
    name: String,
}

impl TestDatabase {
    /// A fresh, migrated SQLite database in a temporary directory.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = DatabaseUrl::Sqlite(dir.path().join("propimport.db"));
        let db = Database::connect(&url, PoolOptions::default())
            .await
            .expect("open SQLite");
        db.migrate().await.expect("migrate SQLite");
        Self {
            listings: SqlListingStore::new(db.clone()),
            images: SqlListingImageStore::new(db.clone()),
            alerts: SqlAlertStore::new(db.clone()),
            store: SqlExecutionStore::new(db),
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// [`TestDatabase::sqlite`], as an `Option` for the conformance macro.
    pub async fn sqlite_some() -> Option<Self> {
        Some(Self::sqlite().await)
    }

    /// A fresh, migrated PostgreSQL database, or `None` (after saying why) when
    /// `TEST_DATABASE_URL` is unset and `REQUIRE_POSTGRES` is not `1`.
    pub async fn postgres() -> Option<Self> {
        let server_url = postgres_server_url()?;
        let template = TEMPLATE
            .get_or_init(|| build_template(&server_url))
            .await
            .clone();
        let name = format!("propimport_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = connect_admin(&server_url).await;
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut admin)
            .await
            .expect("clone the template database");
        let url = DatabaseUrl::Postgres(with_database(&server_url, &name));
        let db = Database::connect(&url, PoolOptions::default())
            .await
            .expect("open the test database");
        Some(Self {
            listings: SqlListingStore::new(db.clone()),
            images: SqlListingImageStore::new(db.clone()),
            alerts: SqlAlertStore::new(db.clone()),
            store: SqlExecutionStore::new(db),
            _dir: None,
            postgres: Some(PgCleanup { server_url, name }),
        })
    }

    /// The database.
    pub fn database(&self) -> &Database {
        self.store.database()
    }

    /// The execution store on it.
    pub fn executions(&self) -> &SqlExecutionStore {
        &self.store
    }

    /// The listing store on it.
    pub fn listing_store(&self) -> &SqlListingStore {
        &self.listings
    }

    /// The listing image store on it.
    pub fn image_store(&self) -> &SqlListingImageStore {
        &self.images
    }

    /// The alert store on it.
    pub fn alert_store(&self) -> &SqlAlertStore {
        &self.alerts
    }

    /// Runs one SQL statement on the database, bypassing the stores (to set up a state the
    /// stores never produce) and their timeout (a large setup may take long); gives the rows
    /// it affected.
    pub async fn execute_sql(&self, statement: &str) -> usize {
        let query = diesel::sql_query(statement);
        let done = match self.database().pools() {
            crate::database::Pools::Postgres(pool) => {
                let mut conn = pool.get().await.expect("connection");
                let conn: &mut AsyncPgConnection = &mut conn;
                set_statement_timeout(conn, Duration::ZERO).await;
                let done = query.execute(conn).await;
                set_statement_timeout(conn, self.database().timeout()).await;
                done
            }
            crate::database::Pools::Sqlite(pool) => {
                let mut conn = pool.get().await.expect("connection");
                query.execute(&mut conn).await
            }
        };
        done.unwrap_or_else(|e| panic!("{statement}: {e}"))
    }
}

/// Sets PostgreSQL's `statement_timeout` on `conn` (zero: none).
async fn set_statement_timeout(conn: &mut AsyncPgConnection, limit: Duration) {
    diesel::sql_query(format!("SET statement_timeout = {}", limit.as_millis()))
        .execute(conn)
        .await
        .expect("set statement_timeout");
}

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

impl ImageFixture for TestDatabase {
    fn images(&self) -> &dyn ListingImageStore {
        &self.images
    }
}

impl ListingFixture for TestDatabase {
    fn listings(&self) -> &dyn ListingStore {
        &self.listings
    }
}

impl AlertFixture for TestDatabase {
    fn alerts(&self) -> &dyn AlertStore {
        &self.alerts
    }
}

impl StoreFixture for TestDatabase {
    fn store(&self) -> &dyn ExecutionStore {
        &self.store
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        self.store.database().close();
        let Some(pg) = self.postgres.take() else {
            return;
        };
        // Dropping needs async I/O; do it on a runtime of its own so it works from any context.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut admin = AsyncPgConnection::establish(&pg.server_url)
                    .await
                    .map_err(std::io::Error::other)?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg.name))
                    .execute(&mut admin)
                    .await
                    .map_err(std::io::Error::other)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(_))) {
            eprintln!("warning: could not drop test database: {dropped:?}");
        }
    }
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// The server URL, or `None` when PostgreSQL tests are not to run.
fn postgres_server_url() -> Option<String> {
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

/// Says, where the person running the tests sees it, that the current test did not run and
/// why: one `SKIPPED <test>: <reason>` line, which `.ci/run` counts in its closing summary (the
/// harness itself can only report such a test `ok`). Written to a duplicate of the process's
/// stderr descriptor, never through the print macros or `io::stderr()`, so no output capture
/// of the test harness (present or future) can swallow it.
pub fn report_skipped(reason: &str) {
    use std::io::Write as _;
    use std::os::fd::AsFd as _;
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let line = format!("SKIPPED {test}: {reason}\n");
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => {
            let _ = std::fs::File::from(fd).write_all(line.as_bytes());
        }
        Err(_) => {
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
    }
}

async fn connect_admin(server_url: &str) -> AsyncPgConnection {
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
