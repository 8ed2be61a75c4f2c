//! The in-memory store passes the execution store conformance suite.
#![allow(missing_docs)]

use propimport_domain::testing::InMemoryExecutionStore;

propimport_domain::execution_store_conformance!(
    run = futures::executor::block_on,
    store = async { Some(InMemoryExecutionStore::new()) }
);

mod listings {
    use propimport_domain::testing::InMemoryListingStore;

    propimport_domain::listing_store_conformance!(
        run = futures::executor::block_on,
        store = async { Some(InMemoryListingStore::new()) }
    );
}
