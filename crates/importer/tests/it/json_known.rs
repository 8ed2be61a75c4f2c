//! A propimport JSON feed imported again: its records stored unchanged are recognized by their
//! record keys and only marked seen, unparsed; a changed record is parsed and written, and a
//! record recognized whose listing changed since is mapped after all.

use std::path::Path;
use std::sync::Arc;

use propimport_domain::testing::listing_conformance::listing;
use propimport_domain::{ExternalId, JobName, ListingStore};
use propimport_importer::{FeedFormat, ImportReport, Location, SourceConfig};

use crate::recording::Recording;

const RECORDS: usize = 50;

fn source() -> JobName {
    JobName::parse("json-known").unwrap()
}

/// Record `n` at `price` (whole units), as one JSON text.
fn record(n: usize, price: i64) -> String {
    serde_json::to_string(&listing(&format!("J{n}"), price)).unwrap()
}

/// The records of the usual feed: record `n` at `1000 + n`.
fn usual() -> Vec<String> {
    (0..RECORDS).map(|n| record(n, 1000 + n as i64)).collect()
}

fn ndjson(records: &[String]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

fn array(records: &[String]) -> String {
    format!("[\n  {}\n]\n", records.join(",\n  "))
}

/// Imports `doc` (written at `path`) as a source of `format`; gives the report and the ids
/// the store was asked to mark seen by their keys.
async fn import(
    store: &Arc<Recording>,
    path: &Path,
    doc: &str,
    format: FeedFormat,
) -> (ImportReport, Vec<String>) {
    let config = SourceConfig::new(source(), format, Location::File(path.to_owned()));
    store.import_touching(config, path, doc, 20).await
}

/// The stored price of record `n`, in whole units.
async fn price(store: &Recording, n: usize) -> i64 {
    store.stored_price(&source(), &format!("J{n}")).await
}

#[tokio::test]
async fn an_unchanged_feed_is_recognized_and_a_changed_record_is_written() {
    for (form, doc) in [
        ("NDJSON", ndjson as fn(&[String]) -> String),
        ("array", array),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.json");
        let store = Arc::new(Recording::default());

        let (first, touched) = import(&store, &path, &doc(&usual()), FeedFormat::JSON).await;
        assert_eq!((first.total, first.inserted), (50, 50), "{form}");
        assert!(touched.is_empty(), "{form}: nothing is stored yet");
        let id = ExternalId::parse("J7").unwrap();
        let stored = store.get_listing(&source(), &id).await.unwrap().unwrap();
        assert!(
            stored.record_key.is_some(),
            "{form}: the record's key is stored"
        );

        let (again, touched) = import(&store, &path, &doc(&usual()), FeedFormat::JSON).await;
        let counts = (again.total, again.unchanged, again.inserted, again.updated);
        assert_eq!(counts, (50, 50, 0, 0), "{form}");
        assert_eq!(again.withdrawn, 0, "{form}: a recognized listing is seen");
        assert_eq!(touched.len(), RECORDS, "{form}: every record recognized");

        // One record changed: it alone is parsed and written.
        let mut changed = usual();
        changed[7] = record(7, 7777);
        let (third, touched) = import(&store, &path, &doc(&changed), FeedFormat::JSON).await;
        assert_eq!((third.unchanged, third.updated), (49, 1), "{form}");
        assert!(!touched.contains(&"J7".to_owned()), "{form}: {touched:?}");
        assert_eq!(price(&store, 7).await, 7777, "{form}");

        // Back to the first copy: its key is no longer the one stored with J7, so it is
        // parsed and written again.
        let (fourth, _) = import(&store, &path, &doc(&usual()), FeedFormat::JSON).await;
        assert_eq!((fourth.unchanged, fourth.updated), (49, 1), "{form}");
        assert_eq!(price(&store, 7).await, 1007, "{form}");
        assert_eq!(store.count_active(&source()).await.unwrap(), 50, "{form}");
    }
}

/// A source whose format is detected at each run (the default) recognizes its JSON records
/// as one that names the format does.
#[tokio::test]
async fn a_detected_json_feed_is_recognized_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.json");
    let store = Arc::new(Recording::default());
    let doc = ndjson(&usual());
    let (first, _) = import(&store, &path, &doc, FeedFormat::AUTO).await;
    assert_eq!(first.inserted, 50);
    let (again, touched) = import(&store, &path, &doc, FeedFormat::AUTO).await;
    assert_eq!((again.unchanged, again.updated), (50, 0));
    assert_eq!(touched.len(), RECORDS);
}

/// The keys of one record read with another secret (another store's), or none, differ.
#[tokio::test]
async fn record_keys_are_drawn_with_the_store_secret() {
    let doc = ndjson(&usual());
    let key_of_first = async |secret: Option<[u8; 16]>| {
        let mut reader = propimport_importer::JsonReader::new(doc.as_bytes()).record_secret(secret);
        reader.next().await.unwrap().unwrap();
        reader.record_key().unwrap()
    };
    crate::recording::keys_follow_the_secret(key_of_first).await;
}
