//! The connection type of the SQLite backend, shared by the pool (`database.rs`) and the
//! bounded calls (`bounded.rs`) that take its write lock.

use diesel::sqlite::SqliteConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;

/// An async SQLite connection: diesel's synchronous connection run on Tokio's blocking pool.
pub(crate) type SqliteConn = SyncConnectionWrapper<SqliteConnection>;
