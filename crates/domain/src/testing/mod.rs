//! Test support for other crates: an in-memory [`ExecutionStore`](crate::ExecutionStore), a
//! manual clock, and the conformance suite every store implementation runs.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test support: a failed step fails the test"
)]

pub mod conformance;
pub mod listing_conformance;
mod manual_clock;
mod memory_listings;
mod memory_store;

pub use manual_clock::ManualClock;
pub use memory_listings::InMemoryListingStore;
pub use memory_store::InMemoryExecutionStore;
