//! The connection pools of both backends behind one [`Database`] handle, and the macros that
//! expand one piece of diesel code for whichever backend is in use.

use std::sync::Arc;
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::sqlite::SqliteConnection;
use diesel_async::pooled_connection::deadpool::{Pool, PoolBuilder};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection as _, AsyncPgConnection};

use crate::bounded::{BULK_FACTOR, Bound, BoundKind, MIGRATION_FACTOR};
use crate::connection::SqliteConn;
use crate::{DatabaseUrl, PersistenceError};

/// Which database engine a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL, for production and several replicas.
    Postgres,
    /// SQLite, the embedded default.
    Sqlite,
}

/// Pool settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// The most connections open at once.
    pub max_size: usize,
    /// `DATABASE_TIMEOUT`: how long one database call may take in all (waiting for this
    /// process's writer turn on SQLite, for a pooled connection, opening or checking one, and
    /// running the statements) before it fails with `Error::Unavailable`. PostgreSQL
    /// connections also get it as their `statement_timeout`, SQLite connections as their busy
    /// timeout. A few calls get a multiple of it ([`PoolOptions::bulk_timeout`],
    /// [`PoolOptions::migration_timeout`]). Zero is taken as one millisecond.
    pub timeout: Duration,
}

impl PoolOptions {
    /// The default of [`PoolOptions::timeout`] (`DATABASE_TIMEOUT`): 5 s.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    /// These options with `timeout` as [`PoolOptions::timeout`].
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Self { timeout, ..self }
    }

    /// The bound of one call, at least a millisecond.
    pub(crate) fn call_timeout(&self) -> Duration {
        self.timeout.max(Duration::from_millis(1))
    }

    /// The bound of a bulk statement, one that works over a whole source or table (the
    /// withdrawal of the listings a snapshot no longer has, which may update hundreds of
    /// thousands of rows): 12 times the timeout, one minute by default.
    pub fn bulk_timeout(&self) -> Duration {
        self.call_timeout() * BULK_FACTOR
    }

    /// The bound of applying the migrations (which may rewrite tables, or wait for another
    /// replica's migrations): 60 times the timeout, five minutes by default. Connecting for
    /// them is bounded by the timeout itself.
    pub fn migration_timeout(&self) -> Duration {
        self.call_timeout() * MIGRATION_FACTOR
    }
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_size: 10,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}

pub(crate) enum Pools {
    Postgres(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

struct Inner {
    url: DatabaseUrl,
    options: PoolOptions,
    pools: Pools,
    /// SQLite allows one writer at a time; writers of this process take turns here (within
    /// their bound) rather than on SQLite's busy handler, which polls.
    sqlite_writer: tokio::sync::Mutex<()>,
}

/// A pool of connections to PostgreSQL or SQLite; cheap to clone.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("url", &self.inner.url.redacted())
            .finish()
    }
}

fn configure<C>(builder: PoolBuilder<C>, options: PoolOptions) -> PoolBuilder<C>
where
    C: diesel_async::pooled_connection::PoolableConnection + Send + 'static,
    AsyncDieselConnectionManager<C>: deadpool::managed::Manager,
{
    let timeout = Some(options.call_timeout());
    builder
        .max_size(options.max_size)
        .wait_timeout(timeout)
        .create_timeout(timeout)
        .recycle_timeout(timeout)
        .runtime(deadpool::Runtime::Tokio1)
}

/// The PRAGMAs every SQLite connection starts with, after its busy timeout (first, so the
/// others wait for a lock instead of failing) and its page size ([`SQLITE_PAGE_SIZE`]).
const SQLITE_PRAGMAS: &str =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

/// The page size of a SQLite database this service creates; a file that exists keeps the size
/// it was created with. It is set before the journal mode, whose switch to WAL writes a new
/// file's first page and fixes its page size.
///
/// A listing's row holds its document (about 2 KB): a 4 KiB page held one row and left the
/// rest of it empty, a 16 KiB page holds six or seven. A first import of 100,000 JSON
/// listings wrote a file of 398 MB with 4 KiB pages and one of 263 MB with 16 KiB pages, in
/// 3.1–3.4 s instead of 4.1–4.4 s.
const SQLITE_PAGE_SIZE: u32 = 16_384;

/// Opens a configured SQLite connection (blocking) that waits up to `busy` for another
/// connection's lock.
pub(crate) fn open_sqlite(
    path: &str,
    busy: Duration,
) -> diesel::ConnectionResult<SqliteConnection> {
    let mut conn = SqliteConnection::establish(path)?;
    let busy_ms = busy.as_millis().clamp(1, i32::MAX as u128);
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {busy_ms}; PRAGMA page_size = {SQLITE_PAGE_SIZE}; {SQLITE_PRAGMAS}"
    ))
    .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

/// Opens a PostgreSQL connection within `timeout` (TCP connect and start-up) and sets its
/// `statement_timeout` to it.
async fn open_postgres(
    url: String,
    timeout: Duration,
) -> diesel::ConnectionResult<AsyncPgConnection> {
    let mut conn = tokio::time::timeout(timeout, AsyncPgConnection::establish(&url))
        .await
        .map_err(|_| diesel::ConnectionError::BadConnection(Bound::call(timeout).message()))??;
    crate::bounded::set_statement_timeout(&mut conn, timeout)
        .await
        .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

impl Database {
    /// Opens a pool for `url` and checks that one connection can be made.
    pub async fn connect(
        url: &DatabaseUrl,
        options: PoolOptions,
    ) -> Result<Self, PersistenceError> {
        let connect_error = |context: &str, e: Box<dyn std::error::Error + Send + Sync>| {
            PersistenceError::connect(url.redacted(), context, e)
        };
        let pools = match url {
            DatabaseUrl::Postgres(pg_url) => {
                let mut config = ManagerConfig::<AsyncPgConnection>::default();
                let timeout = options.call_timeout();
                config.custom_setup =
                    Box::new(move |url| Box::pin(open_postgres(url.to_owned(), timeout)));
                let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
                    pg_url.as_str(),
                    config,
                );
                let pool = configure(Pool::builder(manager), options)
                    .build()
                    .map_err(|e| connect_error("", e.into()))?;
                Pools::Postgres(pool)
            }
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        connect_error(&format!("cannot create {}", dir.display()), e.into())
                    })?;
                }
                let path = path.to_string_lossy().into_owned();
                let mut config = ManagerConfig::<SqliteConn>::default();
                let busy = options.call_timeout();
                config.custom_setup = Box::new(move |url| {
                    let url = url.to_owned();
                    Box::pin(async move {
                        let conn = tokio::task::spawn_blocking(move || open_sqlite(&url, busy))
                            .await
                            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))??;
                        Ok(SyncConnectionWrapper::new(conn))
                    })
                });
                let manager =
                    AsyncDieselConnectionManager::<SqliteConn>::new_with_config(path, config);
                let pool = configure(Pool::builder(manager), options)
                    .build()
                    .map_err(|e| connect_error("", e.into()))?;
                Pools::Sqlite(pool)
            }
        };
        let db = Self {
            inner: Arc::new(Inner {
                url: url.clone(),
                options,
                pools,
                sqlite_writer: tokio::sync::Mutex::new(()),
            }),
        };
        db.ping().await.map_err(|e| match e {
            propimport_domain::Error::Unavailable { message, source } => {
                PersistenceError::Connect {
                    url: url.redacted(),
                    reason: message,
                    source,
                }
            }
            other => PersistenceError::Connect {
                url: url.redacted(),
                reason: other.to_string(),
                source: Some(Box::new(other)),
            },
        })?;
        Ok(db)
    }

    /// The engine in use.
    pub fn backend(&self) -> Backend {
        match self.inner.pools {
            Pools::Postgres(_) => Backend::Postgres,
            Pools::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The URL this database was opened with.
    pub fn url(&self) -> &DatabaseUrl {
        &self.inner.url
    }

    /// Runs `SELECT 1` on a pooled connection.
    pub async fn ping(&self) -> propimport_domain::Result<()> {
        with_conn!(self, |conn, _dialect| {
            diesel_async::RunQueryDsl::execute(diesel::sql_query("SELECT 1"), conn)
                .await
                .map_err(crate::error::from_diesel)?;
        });
        Ok(())
    }

    /// Closes the pools: no new connections are handed out.
    pub fn close(&self) {
        match &self.inner.pools {
            Pools::Postgres(p) => p.close(),
            Pools::Sqlite(p) => p.close(),
        }
    }

    pub(crate) fn pools(&self) -> &Pools {
        &self.inner.pools
    }

    /// The options this database was opened with.
    pub fn options(&self) -> PoolOptions {
        self.inner.options
    }

    /// `DATABASE_TIMEOUT`: the bound of one call (see [`PoolOptions::timeout`]).
    pub fn timeout(&self) -> Duration {
        self.inner.options.call_timeout()
    }

    /// The bound of an ordinary call.
    pub(crate) fn bound(&self) -> Bound {
        Bound {
            limit: self.timeout(),
            kind: BoundKind::Call,
        }
    }

    /// The bound of a bulk statement ([`PoolOptions::bulk_timeout`]).
    pub(crate) fn bulk_bound(&self) -> Bound {
        Bound {
            limit: self.inner.options.bulk_timeout(),
            kind: BoundKind::Bulk,
        }
    }

    /// Serialises this process's SQLite writers; a no-op guard on PostgreSQL.
    pub(crate) async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.inner.pools {
            Pools::Sqlite(_) => Some(self.inner.sqlite_writer.lock().await),
            Pools::Postgres(_) => None,
        }
    }
}

/// The backend-specific SQL that the shared query code needs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    /// An expression giving the UTC day (`YYYY-MM-DD`) of `started_at`.
    pub(crate) fn started_day(self) -> &'static str {
        match self {
            Self::Postgres => "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
            Self::Sqlite => "substr(started_at, 1, 10)",
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection as _;
    use diesel::sql_types::Integer;
    use diesel::{QueryableByName, RunQueryDsl as _};

    use super::*;

    #[derive(QueryableByName)]
    struct PageSize {
        #[diesel(sql_type = Integer)]
        page_size: i32,
    }

    fn page_size(conn: &mut SqliteConnection) -> i32 {
        diesel::sql_query("PRAGMA page_size")
            .get_result::<PageSize>(conn)
            .expect("page size")
            .page_size
    }

    #[test]
    fn a_new_sqlite_database_gets_the_large_page_size() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("new.db");
        let path = path.to_str().expect("UTF-8 path");
        let mut conn = open_sqlite(path, Duration::from_secs(1)).expect("open");
        conn.batch_execute("CREATE TABLE t (x TEXT)")
            .expect("create");
        assert_eq!(page_size(&mut conn), SQLITE_PAGE_SIZE as i32);
        drop(conn);
        let mut again = open_sqlite(path, Duration::from_secs(1)).expect("reopen");
        assert_eq!(page_size(&mut again), SQLITE_PAGE_SIZE as i32);
    }

    #[test]
    fn an_existing_sqlite_database_keeps_its_page_size() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.db");
        let path = path.to_str().expect("UTF-8 path");
        let mut old = SqliteConnection::establish(path).expect("create");
        old.batch_execute(
            "PRAGMA page_size = 4096; CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('kept')",
        )
        .expect("old database");
        drop(old);
        let mut conn = open_sqlite(path, Duration::from_secs(1)).expect("open");
        assert_eq!(page_size(&mut conn), 4096);
        conn.batch_execute("INSERT INTO t VALUES ('added')")
            .expect("write");
        let rows: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM t)",
        ))
        .get_result(&mut conn)
        .expect("count");
        assert_eq!(rows, 2);
    }
}
