//! Source records: every format's records are kept with their listings, a kept record read
//! again as a one-record document maps to the same listing, and `remap` maps stored listings
//! again from their kept records.

use std::sync::Arc;

use chrono::Utc;
use propimport_domain::testing::InMemoryListingStore;
use propimport_domain::{
    CancelToken, ExternalId, JobName, ListingStatus, ListingStore, ProgressHandle, SourceRecord,
};
use propimport_importer::hash::kept_record;
use propimport_importer::{
    FeedFormat, FeedItem, Importer, Location, ReadOptions, SourceConfig, remap,
};

use crate::fixture;
use crate::recording::Recording;

/// Every format with a fixture of real-looking records.
const FIXTURES: &[(&str, &str)] = &[
    ("kyero", "kyero.xml"),
    ("kyero", "kyero-latin1.xml"),
    ("json", "listings.json"),
    ("json", "listings.ndjson"),
    ("reaxml", "reaxml/feed.xml"),
    ("reaxml", "reaxml/latin1.xml"),
    ("blm", "blm/standard.blm"),
    ("blm", "blm/windows-1252.blm"),
    ("openimmo", "openimmo/voll.xml"),
    ("openimmo", "openimmo/teil.xml"),
];

/// Reads a whole document with `format`.
async fn read_all(format: FeedFormat, bytes: Vec<u8>) -> Vec<FeedItem> {
    let mut reader = format.open(
        Box::new(std::io::Cursor::new(bytes)),
        &ReadOptions::default(),
    );
    let mut items = Vec::new();
    while let Ok(Some(item)) = reader.next().await {
        items.push(item);
    }
    items
}

#[tokio::test]
async fn every_kept_record_maps_again_to_its_listing() {
    for (name, file) in FIXTURES {
        let format = FeedFormat::parse(name).unwrap();
        let items = read_all(format, fixture(file)).await;
        let mut kept = 0;
        for item in items {
            let FeedItem::Listing(listing, raw) = item else {
                continue;
            };
            let raw =
                raw.unwrap_or_else(|| panic!("{file}: {} kept no record", listing.external_id));
            let document = format.format().single_record_document(&raw);
            let again = read_all(format, document).await;
            assert_eq!(again.len(), 1, "{file}: {}", listing.external_id);
            assert_eq!(again[0].listing(), Some(&listing), "{file}");
            kept += 1;
        }
        assert!(kept > 0, "{file} has listings");
    }
}

fn source() -> JobName {
    JobName::parse("kept").unwrap()
}

#[tokio::test]
async fn an_import_keeps_each_record_and_remap_finds_nothing_to_change() {
    let store = Arc::new(InMemoryListingStore::new());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    std::fs::write(&path, fixture("kyero.xml")).unwrap();
    let config = SourceConfig::new(source(), FeedFormat::AUTO, Location::File(path));
    let importer = Importer::builder(config, store.clone()).build().unwrap();
    let report = importer
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await
        .unwrap();
    assert!(report.inserted > 0, "{report:?}");
    let id = ExternalId::parse("V-1001").unwrap();
    let stored = store.get_listing(&source(), &id).await.unwrap().unwrap();
    let kept_record = stored.source_record.expect("the record is kept");
    assert_eq!(
        kept_record.format, "kyero",
        "the detected format is recorded"
    );
    let raw = kept_record.bytes;
    assert!(raw.starts_with(b"<property>") && raw.ends_with(b"</property>"));

    let again = remap(
        store.as_ref(),
        &source(),
        &ReadOptions::default(),
        Utc::now(),
        2,
    )
    .await
    .unwrap();
    assert_eq!(again.read, u64::try_from(report.inserted).unwrap());
    assert_eq!((again.updated, again.unchanged), (0, again.read));
    assert_eq!((again.failed, again.withdrawn), (0, 0));
}

#[tokio::test]
async fn remap_rewrites_what_maps_differently_and_keeps_what_fails() {
    let store = Recording::default();
    let s = source();
    let feed = fixture("listings.ndjson");
    let line = |id: &str| {
        let text = String::from_utf8_lossy(&feed);
        let wanted = format!("{{\"externalId\":\"{id}\"");
        text.lines()
            .find(|l| l.starts_with(&wanted))
            .unwrap()
            .to_owned()
    };
    let (first, second) = (line("J-1"), line("J-4"));
    let items = read_all(
        FeedFormat::JSON,
        format!("{first}\n{second}\n").into_bytes(),
    )
    .await;
    let listings: Vec<_> = items
        .iter()
        .filter_map(FeedItem::listing)
        .cloned()
        .collect();
    // As an older mapping stored it: the first with a property type its record does not have.
    let mut old = listings[0].clone();
    old.property_type = Some("castle".into());
    let stale = kept_record(old, Some(first.clone().into_bytes()), "json");
    let current = kept_record(
        listings[1].clone(),
        Some(second.clone().into_bytes()),
        "json",
    );
    // A record its format now refuses, one of an unknown format, damaged bytes.
    let mut broken = listings[1].clone();
    broken.external_id = ExternalId::parse("broken").unwrap();
    let mut broken = kept_record(broken, Some(br#"{"externalId":"broken"}"#.to_vec()), "json");
    let mut unknown = broken.clone();
    unknown.listing.external_id = ExternalId::parse("unknown").unwrap();
    unknown.source = Some(SourceRecord {
        format: "csv".into(),
        bytes: b"x".to_vec(),
    });
    // Its bytes read back damaged from the store.
    let mut damaged = kept_record(listings[1].clone(), Some(second.into_bytes()), "json");
    damaged.listing.external_id = ExternalId::parse("damaged").unwrap();
    store.damage("damaged");
    broken.content_hash.push('x');
    let batch = [stale, current, broken, unknown, damaged];
    store.upsert_batch(&s, &batch, Utc::now()).await.unwrap();

    let report = remap(&store, &s, &ReadOptions::default(), Utc::now(), 500)
        .await
        .unwrap();
    assert_eq!((report.read, report.updated, report.unchanged), (5, 1, 1));
    assert_eq!(report.failed, 3, "{:?}", report.errors);
    let reasons: Vec<String> = report.errors.iter().map(|e| e.message.clone()).collect();
    assert!(reasons.iter().any(|r| r.contains("\"csv\"")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("damaged")), "{reasons:?}");
    let ids: Vec<_> = report
        .errors
        .iter()
        .filter_map(|e| e.external_id.clone())
        .collect();
    assert_eq!(ids, ["broken", "damaged", "unknown"]);
    let first_id = &listings[0].external_id;
    let rewritten = store.get_listing(&s, first_id).await.unwrap().unwrap();
    assert_eq!(
        rewritten.listing, listings[0],
        "the current mapping is stored"
    );
    let kept_broken = store
        .get_listing(&s, &ExternalId::parse("broken").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kept_broken.status,
        ListingStatus::Active,
        "a failure keeps the listing"
    );
    assert_eq!(kept_broken.listing.price, listings[1].price);
}
