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

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use propimport_domain::testing::alert_conformance::AlertFixture;
use propimport_domain::testing::conformance::StoreFixture;
use propimport_domain::testing::image_conformance::ImageFixture;
use propimport_domain::testing::listing_conformance::ListingFixture;
use propimport_domain::{AlertStore, ExecutionStore, ListingImageStore, ListingStore};
use tempfile::TempDir;

use crate::{
    Database, DatabaseUrl, PoolOptions, SqlAlertStore, SqlExecutionStore, SqlListingImageStore,
    SqlListingStore,
};

mod postgres;
mod probes;
mod skip;

pub use postgres::{REQUIRE_POSTGRES, TEST_DATABASE_URL, with_database};
pub use probes::{execute_bounded, key_page_plan, pg_setting, pool_size};
pub use skip::report_skipped;

/// A migrated database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    store: SqlExecutionStore,
    listings: SqlListingStore,
    images: SqlListingImageStore,
    alerts: SqlAlertStore,
    sources: crate::SqlSourceStore,
    queue: crate::SqlRunQueue,
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
            sources: crate::SqlSourceStore::new(db.clone()),
            queue: crate::SqlRunQueue::new(db.clone()),
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
        let server_url = postgres::server_url()?;
        let template = postgres::template(&server_url).await;
        let name = format!("propimport_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = postgres::connect_admin(&server_url).await;
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
            sources: crate::SqlSourceStore::new(db.clone()),
            queue: crate::SqlRunQueue::new(db.clone()),
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

    /// The source catalog on it.
    pub fn source_store(&self) -> &crate::SqlSourceStore {
        &self.sources
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

impl propimport_domain::testing::source_conformance::SourceFixture for TestDatabase {
    fn sources(&self) -> &dyn propimport_domain::SourceStore {
        &self.sources
    }
    fn audit(&self) -> &dyn ExecutionStore {
        &self.store
    }
}

impl propimport_domain::testing::queue_conformance::QueueFixture for TestDatabase {
    fn queue(&self) -> &dyn propimport_domain::RunQueue {
        &self.queue
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
