//! Incomplete and broken BLM input: the header's Property Count and the withdrawals an import
//! makes by it, broken documents, failing records, any buffer size, every truncation, mutated
//! and random bytes, and the record size limit.

use std::sync::Arc;

use propimport_domain::ExternalId;
use propimport_importer::formats::Stage;
use propimport_importer::{FeedError, FeedFormat, FeedItem};

use super::{blm, sale};
use crate::{Rng, fixture};

#[tokio::test]
async fn a_property_count_larger_than_the_records_makes_the_feed_incomplete() {
    let (high, complete) = blm(&fixture("blm/count-high.blm"), 4096).await;
    assert!(high.error.is_none());
    assert_eq!(high.listings().len(), 2);
    assert!(
        !complete,
        "a header counting 5 of 2 records may have lost some"
    );
    let (low, complete) = blm(&fixture("blm/count-low.blm"), 4096).await;
    assert_eq!(low.listings().len(), 2);
    assert!(complete, "more records than counted loses nothing");
}

#[tokio::test]
async fn broken_documents_fail_with_a_position() {
    let (read, complete) = blm(&fixture("blm/no-data.blm"), 4096).await;
    assert!(read.items.is_empty() && !complete);
    let error = read.error.unwrap();
    assert!(matches!(error, FeedError::Malformed { .. }), "{error}");
    assert!(error.to_string().contains("#DATA#"), "{error}");

    let (read, complete) = blm(&fixture("blm/truncated.blm"), 4096).await;
    assert_eq!(read.listings(), [&sale()]);
    assert!(!complete);
    let error = read.error.unwrap();
    assert!(matches!(error, FeedError::Truncated { .. }), "{error}");
    assert_eq!(error.position().unwrap().records, 1);

    let (read, _) = blm(b"<?xml version=\"1.0\"?><root/>", 4096).await;
    assert!(matches!(read.error, Some(FeedError::WrongFormat { .. })));
    let (read, _) = blm(b"  \n", 4096).await;
    assert!(matches!(read.error, Some(FeedError::Empty)));
    let (read, _) = blm(
        b"#HEADER#\nVersion : 3\nEOF : '^'\n#DEFINITION#\nAGENT_REF^~\n#DATA#\n#END#\n",
        4096,
    )
    .await;
    let error = read.error.unwrap().to_string();
    assert!(error.contains("EOR") && error.contains("byte 8"), "{error}");
}

#[tokio::test]
async fn bad_records_fail_alone_naming_the_record_and_the_field() {
    let (read, complete) = blm(&fixture("blm/bad-records.blm"), 4096).await;
    assert!(read.error.is_none() && complete, "{:?}", read.error);
    let ids: Vec<&str> = read
        .listings()
        .iter()
        .map(|l| l.external_id.as_str())
        .collect();
    assert_eq!(ids, ["1234_SALE1", "1234_QTR1"]);
    let failures: Vec<_> = read
        .failures()
        .into_iter()
        .map(|f| (f.external_id.as_deref(), f.stage, f.message.as_str()))
        .collect();
    assert_eq!(failures.len(), 4, "{failures:?}");
    assert_eq!(failures[0].0, Some("1234_LET1"));
    assert_eq!(failures[0].1, Stage::Parse);
    assert!(
        failures[0]
            .2
            .starts_with("record 2: 57 fields where the definition names 58"),
        "{}",
        failures[0].2
    );
    assert_eq!((failures[1].0, failures[1].1), (None, Stage::Map));
    assert!(
        failures[1].2.contains("record 3: AGENT_REF: missing"),
        "{}",
        failures[1].2
    );
    assert_eq!(failures[2].0, Some("1234_SSTC1"));
    assert!(
        failures[2].2.contains("PRICE: \"about 250k\""),
        "{}",
        failures[2].2
    );
    assert!(failures[3].2.contains("STATUS_ID: 9"), "{}", failures[3].2);
}

#[tokio::test]
async fn same_items_through_any_buffer_size() {
    for name in [
        "standard.blm",
        "pipe-newline.blm",
        "multi-char.blm",
        "bad-records.blm",
    ] {
        let bytes = fixture(&format!("blm/{name}"));
        let (whole, _) = blm(&bytes, 1 << 16).await;
        for capacity in [1, 2, 3, 7, 64, 1000] {
            let (read, _) = blm(&bytes, capacity).await;
            assert_eq!(read.items, whole.items, "{name} / {capacity}");
        }
    }
}

#[tokio::test]
async fn an_import_stores_the_listings_and_withdraws_only_after_a_complete_count() {
    use propimport_domain::testing::InMemoryListingStore;
    use propimport_domain::{CancelToken, JobName, ListingStatus, ListingStore, ProgressHandle};
    use propimport_importer::{Importer, Location, SourceConfig};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.blm");
    let name = JobName::parse("rightmove-feed").unwrap();
    let store = Arc::new(InMemoryListingStore::new());
    let config = SourceConfig::new(name.clone(), FeedFormat::BLM, Location::File(path.clone()));
    let importer = Importer::builder(config, store.clone()).build().unwrap();
    let (cancel, progress) = (CancelToken::new(), ProgressHandle::new());
    let run = || importer.run(&cancel, &progress);

    let standard = String::from_utf8(fixture("blm/standard.blm")).unwrap();
    std::fs::write(&path, &standard).unwrap();
    let report = run().await.unwrap();
    assert_eq!((report.total, report.inserted, report.failed), (7, 6, 0));
    assert_eq!(store.count_active(&name).await.unwrap(), 6);
    let stored = store
        .get_listing(&name, &ExternalId::parse("1234_SALE1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.listing.price, sale().price);

    // The last record is gone but the header still counts 7: the file may have lost it.
    let without_last: String = standard
        .lines()
        .filter(|line| !line.starts_with("1234_QTR1"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&path, &without_last).unwrap();
    let report = run().await.unwrap();
    assert_eq!(report.withdrawn, 0, "an incomplete count withdraws nothing");
    assert_eq!(store.count_active(&name).await.unwrap(), 6);

    std::fs::write(
        &path,
        without_last.replace("Property Count : 7", "Property Count : 6"),
    )
    .unwrap();
    let report = run().await.unwrap();
    assert_eq!(report.withdrawn, 1);
    let qtr = store
        .get_listing(&name, &ExternalId::parse("1234_QTR1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(qtr.status, ListingStatus::Withdrawn);
}

#[tokio::test]
async fn every_truncation_fails_the_feed_until_end_and_gives_a_prefix_of_the_items() {
    let bytes = fixture("blm/standard.blm");
    let (whole, _) = blm(&bytes, 4096).await;
    let end = bytes.windows(5).rposition(|w| w == b"#END#").unwrap();
    for cut in 0..bytes.len() {
        let (read, complete) = blm(&bytes[..cut], 7).await;
        assert!(read.items.len() <= whole.items.len(), "cut at {cut}");
        assert_eq!(read.items, whole.items[..read.items.len()], "cut at {cut}");
        if cut < end + 5 {
            assert!(
                read.error.is_some() && !complete,
                "a feed cut at byte {cut} must not look complete"
            );
        } else {
            assert!(read.error.is_none() && complete, "cut at {cut}");
            assert_eq!(read.items, whole.items);
        }
    }
}

#[tokio::test]
async fn mutated_and_random_bytes_never_panic() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let seeds: Vec<Vec<u8>> = [
        "standard.blm",
        "pipe-newline.blm",
        "multi-char.blm",
        "windows-1252.blm",
        "bad-records.blm",
        "no-data.blm",
    ]
    .iter()
    .map(|n| fixture(&format!("blm/{n}")))
    .collect();
    const NOISE: &[u8] = b"^~|#\n\r\"' :\\\x00\xff\xa3\xc3";
    for round in 0..2000 {
        let mut bytes = seeds[round % seeds.len()].clone();
        match round % 5 {
            4 => bytes = (0..rng.below(600)).map(|_| rng.bits() as u8).collect(),
            3 => {
                // A valid start, then noise made of the characters that matter.
                bytes.truncate(rng.below(bytes.len()));
                for _ in 0..rng.below(400) {
                    bytes.push(NOISE[rng.below(NOISE.len())]);
                }
            }
            _ => rng.mutate(&mut bytes, NOISE),
        }
        let capacity = 1 + rng.below(40);
        let (read, _) = blm(&bytes, capacity).await;
        // Whatever was read, every kept record reads back.
        for item in &read.items {
            if let FeedItem::Listing(listing, Some(raw)) = item {
                let document = FeedFormat::BLM.format().single_record_document(raw);
                let (again, _) = blm(&document, 64).await;
                assert_eq!(again.listings(), [listing], "round {round}");
            }
        }
    }
}

#[tokio::test]
async fn a_record_over_the_size_limit_fails_alone() {
    let standard = String::from_utf8(fixture("blm/standard.blm")).unwrap();
    let huge = standard.replace("Two bedroom flat in the centre.", &"x".repeat(5 << 20));
    let (read, complete) = blm(huge.as_bytes(), 1 << 16).await;
    assert!(read.error.is_none() && complete, "{:?}", read.error);
    assert_eq!(read.listings().len(), 5);
    let failures = read.failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].stage, Stage::Parse);
    assert!(
        failures[0]
            .message
            .contains("record 2 is longer than 4 MiB"),
        "{}",
        failures[0].message
    );
}
