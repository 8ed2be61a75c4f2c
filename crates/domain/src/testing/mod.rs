//! Test support for other crates: in-memory implementations of the stores, a manual clock,
//! and the conformance suites every store implementation runs.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test support: a failed step fails the test"
)]

pub mod alert_conformance;
pub mod conformance;
pub mod image_conformance;
pub mod listing_conformance;
mod manual_clock;
mod memory_alerts;
mod memory_images;
mod memory_listings;
mod memory_queue;
mod memory_sources;
mod memory_store;
pub mod queue_conformance;
pub mod source_conformance;

pub use manual_clock::ManualClock;
pub use memory_alerts::InMemoryAlertStore;
pub use memory_images::InMemoryListingImageStore;
pub use memory_listings::InMemoryListingStore;
pub use memory_queue::InMemoryRunQueue;
pub use memory_sources::InMemorySourceStore;
pub use memory_store::InMemoryExecutionStore;

#[cfg(test)]
mod tests {
    //! The in-memory image store passes its conformance suite.
    use super::InMemoryListingImageStore;

    crate::listing_image_store_conformance!(
        run = futures::executor::block_on,
        store = async { Some(InMemoryListingImageStore::new()) }
    );

    mod sources {
        //! The in-memory source store passes its conformance suite.
        use std::sync::Arc;

        use super::super::{InMemoryExecutionStore, InMemorySourceStore};

        crate::source_store_conformance!(
            run = futures::executor::block_on,
            store = async {
                Some(InMemorySourceStore::new(Arc::new(
                    InMemoryExecutionStore::new(),
                )))
            }
        );
    }

    mod queue {
        //! The in-memory run queue passes its conformance suite.
        use super::super::InMemoryRunQueue;

        crate::run_queue_conformance!(
            run = futures::executor::block_on,
            store = async { Some(InMemoryRunQueue::new()) }
        );
    }

    mod alerts {
        //! The in-memory alert store passes its conformance suite.
        use super::super::InMemoryAlertStore;

        crate::alert_store_conformance!(
            run = futures::executor::block_on,
            store = async { Some(InMemoryAlertStore::new()) }
        );
    }
}
