//! A Kyero feed imported again: its properties stored unchanged are recognized by their
//! record keys and only marked seen, unparsed; whatever the feed repeats or changes, the
//! listing stored is the one the last copy of each property maps to.

use std::path::Path;
use std::sync::Arc;

use propimport_domain::{ExternalId, JobName, ListingStore, RecordKey};
use propimport_importer::{FeedFormat, ImportReport, Location, SourceConfig};

use crate::recording::Recording;

/// Properties in the feeds: well past the ones a reader maps before it starts cutting
/// properties out (only those are looked up by key).
const PROPERTIES: usize = 300;

/// Property `n` at `price` euros (with private notes, which its kept record leaves out and its
/// key does not).
fn property(n: usize, price: u32) -> String {
    format!(
        "<property><id>P{n}</id><date>2024-05-01 12:30:00</date><ref>R{n}</ref>\
         <price>{price}</price><price_freq>sale</price_freq><type>flat</type><town>T</town>\
         <province>P</province><notes>private {n}</notes>\
         <desc><en>Flat {n}</en></desc></property>"
    )
}

/// The feed of these properties.
fn feed(properties: &[String]) -> String {
    let mut doc = String::from("<?xml version=\"1.0\"?>\n<root>\n");
    for property in properties {
        doc.push_str(property);
        doc.push('\n');
    }
    doc.push_str("</root>\n");
    doc
}

/// The usual feed: property `n` at `1000 + n` euros.
fn usual() -> Vec<String> {
    (0..PROPERTIES)
        .map(|n| property(n, 1000 + n as u32))
        .collect()
}

fn source() -> JobName {
    JobName::parse("kyero-known").unwrap()
}

/// Imports `doc` (written at `path`) in batches of `batch`; gives the report and the ids the
/// store was asked to mark seen by their keys.
async fn import(
    store: &Arc<Recording>,
    path: &Path,
    doc: &str,
    batch: usize,
) -> (ImportReport, Vec<String>) {
    import_with(store, path, doc, batch, FeedFormat::KYERO, None).await
}

/// [`import`] as a source of `format` and with another text limit, if one is given.
async fn import_with(
    store: &Arc<Recording>,
    path: &Path,
    doc: &str,
    batch: usize,
    format: FeedFormat,
    max_text_bytes: Option<usize>,
) -> (ImportReport, Vec<String>) {
    let mut config = SourceConfig::new(source(), format, Location::File(path.to_owned()));
    if let Some(limit) = max_text_bytes {
        config.max_text_bytes = limit;
    }
    store.import_touching(config, path, doc, batch).await
}

/// The stored price of property `n`, in euros.
async fn price(store: &Recording, n: usize) -> i64 {
    store.stored_price(&source(), &format!("P{n}")).await
}

#[tokio::test]
async fn an_unchanged_feed_is_recognized_without_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    let store = Arc::new(Recording::default());
    let doc = feed(&usual());

    let (first, touched) = import(&store, &path, &doc, 500).await;
    assert_eq!(
        (first.total, first.inserted),
        (PROPERTIES as i64, PROPERTIES as i64)
    );
    assert!(touched.is_empty(), "nothing is stored yet: {touched:?}");
    let id = ExternalId::parse("P200").unwrap();
    let stored = store.get_listing(&source(), &id).await.unwrap().unwrap();
    assert!(stored.record_key.is_some(), "the record's key is stored");
    let before = stored.last_seen_at;

    let (again, touched) = import(&store, &path, &doc, 500).await;
    assert_eq!(
        (
            again.total,
            again.unchanged,
            again.inserted,
            again.updated,
            again.failed
        ),
        (PROPERTIES as i64, PROPERTIES as i64, 0, 0, 0)
    );
    assert_eq!(again.withdrawn, 0, "a recognized listing is seen");
    // Every property cut out (all but the first few) is recognized.
    assert!(
        touched.len() >= PROPERTIES - 100,
        "{} of {PROPERTIES} recognized",
        touched.len()
    );
    assert!(touched.contains(&format!("P{}", PROPERTIES - 1)));
    let stored = store.get_listing(&source(), &id).await.unwrap().unwrap();
    assert!(stored.last_seen_at >= before);
    assert_eq!(price(&store, 200).await, 1200);
    assert_eq!(
        store.count_active(&source()).await.unwrap(),
        PROPERTIES as i64
    );
}

/// A source whose format is detected at each run (the default) recognizes its Kyero
/// properties as one that names the format does, by the same keys, drawn with the store's
/// secret.
#[tokio::test]
async fn a_detected_kyero_feed_is_recognized_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    let doc = feed(&usual());
    let detected = Arc::new(Recording::default());
    let auto = FeedFormat::AUTO;
    let (first, touched) = import_with(&detected, &path, &doc, 500, auto, None).await;
    assert_eq!(first.inserted, PROPERTIES as i64);
    assert!(touched.is_empty(), "nothing is stored yet: {touched:?}");

    let (again, touched) = import_with(&detected, &path, &doc, 500, auto, None).await;
    assert_eq!((again.unchanged, again.updated), (PROPERTIES as i64, 0));
    assert!(
        touched.len() >= PROPERTIES - 100,
        "{} of {PROPERTIES} recognized",
        touched.len()
    );

    let named = Arc::new(Recording::default());
    import(&named, &path, &doc, 500).await;
    let id = ExternalId::parse("P250").unwrap();
    let key = async |store: &Recording| {
        let stored = store.get_listing(&source(), &id).await.unwrap().unwrap();
        stored.record_key.unwrap()
    };
    assert_eq!(key(&detected).await, key(&named).await, "the same key");
}

/// Whatever the batch size (both copies in one batch, or in two written at once), and whether
/// the source names its format or has it detected (a copy mapped after all is read as Kyero).
#[tokio::test]
async fn the_last_copy_of_a_repeated_property_is_stored() {
    let formats = [FeedFormat::KYERO, FeedFormat::AUTO];
    for (format, batch) in formats.into_iter().flat_map(|f| [(f, 500), (f, 7)]) {
        let case = format!("{} batch {batch}", format.name());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.xml");
        let store = Arc::new(Recording::default());
        import_with(&store, &path, &feed(&usual()), batch, format, None).await;

        let mut properties = usual();
        // Changed.
        properties[100] = property(100, 5);
        // A changed copy, then the stored one: the stored one is the last.
        properties[150] = property(150, 6);
        properties.push(property(150, 1150));
        // The stored one, then a changed copy.
        properties.push(property(160, 7));
        let (report, touched) =
            import_with(&store, &path, &feed(&properties), batch, format, None).await;
        assert!(
            touched.iter().any(|id| id == "P150"),
            "{case}: P150's last copy is recognized by its key"
        );
        assert_eq!(price(&store, 100).await, 5, "{case}");
        assert_eq!(price(&store, 150).await, 1150, "{case}: the last copy");
        assert_eq!(price(&store, 160).await, 7, "{case}: the last copy");
        assert_eq!(price(&store, 161).await, 1161, "{case}");
        assert_eq!(report.failed, 0, "{case}");
        assert!(report.updated >= 3, "{case}: {report:?}");
        assert_eq!(report.withdrawn, 0, "{case}");

        // Read again as it now is: P150's stored key is its last copy's, and that copy is
        // recognized.
        let (report, touched) =
            import_with(&store, &path, &feed(&properties), batch, format, None).await;
        assert_eq!(price(&store, 150).await, 1150, "{case}");
        assert_eq!(price(&store, 160).await, 7, "{case}");
        assert!(touched.iter().any(|id| id == "P100"), "{case}");
        assert_eq!(report.failed, 0, "{case}");
        assert!(report.unchanged > 0, "{case}");
    }
}

/// A record key stored under other settings (another text limit) never matches: the
/// properties are mapped, found unchanged, and their listings take the new keys, by which the
/// next run recognizes them.
#[tokio::test]
async fn keys_stored_under_other_settings_are_not_recognized() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    let store = Arc::new(Recording::default());
    let doc = feed(&usual());
    import(&store, &path, &doc, 500).await;
    let id = ExternalId::parse("P250").unwrap();
    let key = |s: &propimport_domain::StoredListing| -> Option<RecordKey> { s.record_key };
    let first = key(&store.get_listing(&source(), &id).await.unwrap().unwrap());

    let run = async || {
        let (report, touched) =
            import_with(&store, &path, &doc, 500, FeedFormat::KYERO, Some(4096)).await;
        (report, !touched.is_empty())
    };
    let (report, recognized) = run().await;
    assert!(!recognized, "no key matches");
    assert_eq!(
        (report.unchanged, report.updated),
        (PROPERTIES as i64, 0),
        "unchanged listings"
    );
    let second = key(&store.get_listing(&source(), &id).await.unwrap().unwrap());
    assert!(
        first.is_some() && second.is_some() && first != second,
        "the new key"
    );
    let (report, recognized) = run().await;
    assert!(recognized, "recognized by the new keys");
    assert_eq!(report.unchanged, PROPERTIES as i64);
}

/// A property whose private notes alone changed maps to the same listing: it is unchanged
/// (not written again), takes its new key, and is recognized by it next time.
#[tokio::test]
async fn changed_notes_leave_a_listing_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    let store = Arc::new(Recording::default());
    let mut properties = usual();
    import(&store, &path, &feed(&properties), 500).await;
    properties[200] = properties[200].replace("private 200", "private, changed");
    let (report, touched) = import(&store, &path, &feed(&properties), 500).await;
    assert!(!touched.iter().any(|id| id == "P200"), "its key changed");
    assert_eq!(
        (report.unchanged, report.updated),
        (PROPERTIES as i64, 0),
        "{report:?}"
    );
    let (report, touched) = import(&store, &path, &feed(&properties), 500).await;
    assert!(
        touched.iter().any(|id| id == "P200"),
        "its new key is stored"
    );
    assert_eq!(report.unchanged, PROPERTIES as i64);
}

/// The keys of one property read with another secret (another store's), or none, differ: a
/// stored key tells nothing of the property to whoever lacks the store's secret.
#[tokio::test]
async fn record_keys_are_drawn_with_the_store_secret() {
    let doc = feed(&usual());
    let key_of_first = async |secret: Option<[u8; 16]>| {
        let mut reader =
            propimport_importer::KyeroReader::new(doc.as_bytes()).record_secret(secret);
        reader.next().await.unwrap().unwrap();
        reader.record_key().unwrap()
    };
    crate::recording::keys_follow_the_secret(key_of_first).await;
}
