//! The ports: traits that the storage crate implements and the scheduler and API call.

mod execution_store;
mod listing_store;

pub use execution_store::{ExecutionStore, abandoned_message};
pub use listing_store::ListingStore;
