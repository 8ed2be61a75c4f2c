//! The embedded migrations of both backends and how they are applied: at start-up, by
//! `propimport migrate`, and (reverted) by the round-trip test.

use diesel::migration::MigrationSource;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncConnection as _, AsyncPgConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::bounded::{Bound, BoundKind, set_statement_timeout};
use crate::database::open_sqlite;
use crate::{Database, DatabaseUrl, PersistenceError, PoolOptions};

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// An arbitrary constant: the PostgreSQL advisory lock that makes replicas starting together
/// migrate one after the other.
const MIGRATION_LOCK: i64 = 0x7072_6f70_696d;

#[derive(Debug, Clone, Copy)]
enum Op {
    Up,
    RevertAll,
    RevertLast,
    Pending,
}

/// Applies every pending migration to the database at `url` without opening a pool, with the
/// default bounds ([`PoolOptions::default`]).
pub async fn migrate_url(url: &DatabaseUrl) -> Result<usize, PersistenceError> {
    run(url.clone(), Op::Up, PoolOptions::default()).await
}

impl Database {
    /// Applies every pending migration; returns how many were applied.
    pub async fn migrate(&self) -> Result<usize, PersistenceError> {
        run(self.url().clone(), Op::Up, self.options()).await
    }

    /// How many migrations are not applied yet (0 when the schema is current).
    pub async fn pending_migrations(&self) -> Result<usize, PersistenceError> {
        run(self.url().clone(), Op::Pending, self.options()).await
    }

    /// Reverts the last applied migration; for tests of a migration on existing data only.
    pub async fn revert_last_migration(&self) -> Result<usize, PersistenceError> {
        run(self.url().clone(), Op::RevertLast, self.options()).await
    }

    /// Reverts every migration (drops every table); for tests and tear-down only.
    pub async fn revert_all_migrations(&self) -> Result<usize, PersistenceError> {
        run(self.url().clone(), Op::RevertAll, self.options()).await
    }
}

/// Connects (within the call bound) and applies `op` within the migration bound
/// ([`PoolOptions::migration_timeout`]): a frozen database fails start-up instead of hanging it.
async fn run(url: DatabaseUrl, op: Op, options: PoolOptions) -> Result<usize, PersistenceError> {
    let bound = Bound {
        limit: options.migration_timeout(),
        kind: BoundKind::Migration,
    };
    let work = match &url {
        DatabaseUrl::Postgres(pg) => {
            let connect = AsyncPgConnection::establish(pg);
            let mut conn = tokio::time::timeout(options.call_timeout(), connect)
                .await
                .map_err(|_| PersistenceError::Connect {
                    url: url.redacted(),
                    reason: Bound::call(options.call_timeout()).message(),
                    source: None,
                })?
                .map_err(|e| PersistenceError::connect(url.redacted(), "", e))?;
            // The server's own bound on each migration statement, behind the client's.
            set_statement_timeout(&mut conn, bound.limit)
                .await
                .map_err(|e| PersistenceError::connect(url.redacted(), "", e))?;
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
            tokio::task::spawn_blocking(move || {
                lock(&mut conn, "pg_advisory_lock")?;
                let result = apply(&mut conn, POSTGRES, op);
                lock(&mut conn, "pg_advisory_unlock")?;
                result
            })
        }
        DatabaseUrl::Sqlite(path) => {
            let path = path.to_string_lossy().into_owned();
            let at = url.redacted();
            tokio::task::spawn_blocking(move || {
                let mut conn = open_sqlite(&path, bound.limit)
                    .map_err(|e| PersistenceError::connect(at, "", e))?;
                apply(&mut conn, SQLITE, op)
            })
        }
    };
    // Past the bound the blocking thread is left to fail on its own; start-up stops.
    tokio::time::timeout(bound.limit, work)
        .await
        .map_err(|elapsed| PersistenceError::Migration {
            message: bound.message(),
            source: Some(Box::new(elapsed)),
        })?
        .map_err(|e| PersistenceError::migration("", e))?
}

fn lock(
    conn: &mut AsyncConnectionWrapper<AsyncPgConnection>,
    function: &str,
) -> Result<(), PersistenceError> {
    use diesel::RunQueryDsl as _;
    diesel::sql_query(format!("SELECT {function}({MIGRATION_LOCK})"))
        .execute(conn)
        .map(drop)
        .map_err(|e| PersistenceError::migration(function, e))
}

fn apply<DB, H>(
    harness: &mut H,
    migrations: EmbeddedMigrations,
    op: Op,
) -> Result<usize, PersistenceError>
where
    DB: diesel::backend::Backend,
    H: MigrationHarness<DB>,
    EmbeddedMigrations: MigrationSource<DB>,
{
    let err = |e: Box<dyn std::error::Error + Send + Sync>| PersistenceError::migration("", e);
    match op {
        Op::Up => harness
            .run_pending_migrations(migrations)
            .map(|v| v.len())
            .map_err(err),
        Op::RevertAll => harness
            .revert_all_migrations(migrations)
            .map(|v| v.len())
            .map_err(err),
        Op::RevertLast => harness
            .revert_last_migration(migrations)
            .map(|_| 1)
            .map_err(err),
        Op::Pending => harness
            .pending_migrations(migrations)
            .map(|v| v.len())
            .map_err(err),
    }
}
