//! Which batches a run writes as expected to be new: those after its stored batches held new
//! listings only (a first import), until it meets a stored listing.

use std::sync::Arc;

use propimport_domain::testing::listing_conformance::listing;
use propimport_domain::{CancelToken, JobName, ProgressHandle};
use propimport_importer::{FeedFormat, Importer, Location, SourceConfig};

use crate::recording::Recording;

/// The upserts of one run of the feed `ids` at `price`, two listings to a batch. (Each run
/// below has its own price: a record stored unchanged would be recognized by its key and
/// only marked seen, never upserted.)
async fn upserts(
    store: &Arc<Recording>,
    feed: &std::path::Path,
    ids: &[&str],
    price: i64,
) -> Vec<String> {
    let body: String = ids
        .iter()
        .map(|id| serde_json::to_string(&listing(id, price)).unwrap() + "\n")
        .collect();
    std::fs::write(feed, body).unwrap();
    let config = SourceConfig::new(
        JobName::parse("new-batches").unwrap(),
        FeedFormat::JSON,
        Location::File(feed.to_owned()),
    );
    let importer = Importer::builder(config, store.clone())
        .batch_size(2)
        .build()
        .unwrap();
    let before = store.events().len();
    importer
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await
        .unwrap();
    store.events()[before..]
        .iter()
        .filter(|e| e.starts_with("upsert"))
        .cloned()
        .collect()
}

/// The run writes two batches at once, but takes a finished write before the next batch, and
/// the in-memory store below finishes each write when first polled: so each batch here is
/// written knowing the outcomes of every batch before it. (With a store that waits, a batch
/// may start before the one before it has finished, and is then written probed.)
#[tokio::test]
async fn batches_are_expected_new_while_every_listing_stored_was_new() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.ndjson");
    let store = Arc::new(Recording::default());

    let first = upserts(&store, &feed, &["A", "B", "C", "D", "E", "F"], 100).await;
    assert_eq!(first, ["upsert A B", "upsert new C D", "upsert new E F"]);

    let again = upserts(&store, &feed, &["A", "B", "C", "D", "E", "F"], 101).await;
    assert_eq!(again, ["upsert A B", "upsert C D", "upsert E F"]);

    // New listings first, then stored ones: expected new until the first stored one is met.
    let mixed = upserts(&store, &feed, &["G", "H", "A", "B", "I", "J", "C"], 102).await;
    assert_eq!(
        mixed,
        ["upsert G H", "upsert new A B", "upsert I J", "upsert C"]
    );
}
