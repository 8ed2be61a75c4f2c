//! A source without active listings when a run starts has none that can be absent from its
//! snapshot: the run does not search for any. A source that had some does, and withdraws
//! those its snapshot left out.

use std::sync::Arc;

use propimport_domain::testing::listing_conformance::listing;
use propimport_domain::{CancelToken, ExternalId, JobName, ListingStatus, ListingStore};
use propimport_domain::{ProgressHandle, SourceName};
use propimport_importer::{FeedFormat, Importer, Location, SourceConfig};

use crate::recording::Recording;

fn source() -> SourceName {
    JobName::parse("first-snapshot").unwrap()
}

/// Runs the snapshot `ids`; gives the listings it withdrew and whether it searched for absent
/// ones.
async fn run(store: &Arc<Recording>, feed: &std::path::Path, ids: &[&str]) -> (i64, bool) {
    let body: String = ids
        .iter()
        .map(|id| serde_json::to_string(&listing(id, 100)).unwrap() + "\n")
        .collect();
    std::fs::write(feed, body).unwrap();
    let mut config = SourceConfig::new(source(), FeedFormat::JSON, Location::File(feed.to_owned()));
    config.max_withdraw_fraction = 1.0;
    let importer = Importer::builder(config, store.clone()).build().unwrap();
    let before = store.events().len();
    let report = importer
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await
        .unwrap();
    let searched = store.events()[before..]
        .iter()
        .any(|e| e == "withdraw unseen");
    (report.withdrawn, searched)
}

async fn status(store: &Recording, id: &str) -> ListingStatus {
    let id = ExternalId::parse(id).unwrap();
    store
        .get_listing(&source(), &id)
        .await
        .unwrap()
        .expect("stored")
        .status
}

#[tokio::test]
async fn only_a_source_that_had_active_listings_is_searched_for_absent_ones() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.ndjson");
    let store = Arc::new(Recording::default());

    assert_eq!(run(&store, &feed, &["A", "B", "C"]).await, (0, false));

    assert_eq!(run(&store, &feed, &["A", "B"]).await, (1, true));
    assert_eq!(status(&store, "C").await, ListingStatus::Withdrawn);
    assert_eq!(status(&store, "A").await, ListingStatus::Active);

    // Every listing withdrawn: the next snapshot starts from none active again.
    assert_eq!(run(&store, &feed, &["A"]).await, (1, true));
    store
        .withdraw_ids(
            &source(),
            &[ExternalId::parse("A").unwrap()],
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(run(&store, &feed, &["D"]).await, (0, false));
    for (id, expected) in [
        ("A", ListingStatus::Withdrawn),
        ("B", ListingStatus::Withdrawn),
        ("C", ListingStatus::Withdrawn),
        ("D", ListingStatus::Active),
    ] {
        assert_eq!(status(&store, id).await, expected, "{id}");
    }
}
