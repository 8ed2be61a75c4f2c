#![doc = include_str!("../README.md")]

#[macro_use]
mod macros;
mod alerts;
mod bounded;
mod connection;
mod database;
mod error;
pub(crate) mod executions;
mod images;
mod listings;
mod migrate;
mod prepared;
mod queue;
mod schema;
mod server_lock;
mod sources;
mod sql_types;
mod url;

#[cfg(feature = "testing")]
pub mod testing;

pub use alerts::SqlAlertStore;
pub use database::{Backend, Database, PoolOptions};
pub use error::PersistenceError;
pub use executions::SqlExecutionStore;
pub use images::SqlListingImageStore;
pub use listings::SqlListingStore;
pub use migrate::migrate_url;
pub use queue::SqlRunQueue;
pub use server_lock::ServerLock;
pub use sources::SqlSourceStore;
pub use url::{DEFAULT_DATABASE_URL, DatabaseUrl};
