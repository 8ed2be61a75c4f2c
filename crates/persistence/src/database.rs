//! The connection pools of both backends behind one [`Database`] handle, and the macros that
//! expand one piece of diesel code for whichever backend is in use.

use std::sync::Arc;
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::sqlite::SqliteConnection;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Pool, PoolBuilder};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;

use crate::{DatabaseUrl, PersistenceError};

/// An async SQLite connection: diesel's synchronous connection run on Tokio's blocking pool.
pub(crate) type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

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
    /// How long a query waits for a free connection (or a new one) before the store reports
    /// the database unavailable.
    pub wait_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_size: 10,
            wait_timeout: Duration::from_secs(5),
        }
    }
}

pub(crate) enum Pools {
    Postgres(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

struct Inner {
    url: DatabaseUrl,
    pools: Pools,
    /// SQLite allows one writer at a time; writers of this process queue here instead of
    /// failing with "database is locked" when a transaction upgrades its lock.
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
    builder
        .max_size(options.max_size)
        .wait_timeout(Some(options.wait_timeout))
        .create_timeout(Some(options.wait_timeout))
        .runtime(deadpool::Runtime::Tokio1)
}

/// The PRAGMAs every SQLite connection starts with; the busy timeout comes first so the
/// others wait for a lock instead of failing.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

/// Opens a configured SQLite connection (blocking).
pub(crate) fn open_sqlite(path: &str) -> diesel::ConnectionResult<SqliteConnection> {
    let mut conn = SqliteConnection::establish(path)?;
    conn.batch_execute(SQLITE_PRAGMAS)
        .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

impl Database {
    /// Opens a pool for `url` and checks that one connection can be made.
    pub async fn connect(
        url: &DatabaseUrl,
        options: PoolOptions,
    ) -> Result<Self, PersistenceError> {
        let connect_error = |reason: String| PersistenceError::Connect {
            url: url.redacted(),
            reason,
        };
        let pools = match url {
            DatabaseUrl::Postgres(pg_url) => {
                let manager =
                    AsyncDieselConnectionManager::<AsyncPgConnection>::new(pg_url.as_str());
                let pool = configure(Pool::builder(manager), options)
                    .build()
                    .map_err(|e| connect_error(e.to_string()))?;
                Pools::Postgres(pool)
            }
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        connect_error(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let path = path.to_string_lossy().into_owned();
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.custom_setup = Box::new(|url| {
                    let url = url.to_owned();
                    Box::pin(async move {
                        let conn = tokio::task::spawn_blocking(move || open_sqlite(&url))
                            .await
                            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))??;
                        Ok(SyncConnectionWrapper::new(conn))
                    })
                });
                let manager =
                    AsyncDieselConnectionManager::<SqliteConn>::new_with_config(path, config);
                let pool = configure(Pool::builder(manager), options)
                    .build()
                    .map_err(|e| connect_error(e.to_string()))?;
                Pools::Sqlite(pool)
            }
        };
        let db = Self {
            inner: Arc::new(Inner {
                url: url.clone(),
                pools,
                sqlite_writer: tokio::sync::Mutex::new(()),
            }),
        };
        db.ping().await.map_err(|e| connect_error(e.to_string()))?;
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
