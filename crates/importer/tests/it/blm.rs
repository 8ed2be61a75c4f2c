//! The Rightmove BLM reader: mapping of every field, separators, quotes, encodings, the
//! header's Property Count, kept records, broken documents and record failures, and an
//! import into the in-memory store.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use propimport_domain::{
    Address, Charge, ChargeKind, Contact, Currency, ExternalId, GeoPoint, Image, LanguageCode,
    Listing, LocalizedText, MarketStatus, Money, Period, Price, Tenure, Transaction,
};
use propimport_importer::formats::Stage;
use propimport_importer::{Attachments, FeedError, FeedFormat, FeedItem, FeedReader, ReadOptions};
use tokio::io::BufReader;

use crate::{Read, fixture};

/// Delivered files: the ones named here, stored under `https://store.example/feed/`.
struct Delivered(&'static [&'static str]);

impl Attachments for Delivered {
    fn resolve(&self, name: &str) -> Option<String> {
        self.0
            .contains(&name)
            .then(|| format!("https://store.example/feed/{name}"))
    }
}

fn options() -> ReadOptions {
    ReadOptions {
        attachments: Some(Arc::new(Delivered(&[
            "1234_SALE1_IMG_00.jpg",
            "1234_SALE1_FLP_00.jpg",
        ]))),
        ..ReadOptions::default()
    }
}

fn open(bytes: &[u8], capacity: usize) -> Box<dyn FeedReader> {
    let input = BufReader::with_capacity(capacity, std::io::Cursor::new(bytes.to_vec()));
    FeedFormat::BLM.open(Box::new(input), &options())
}

/// Reads BLM through a buffer of `capacity` bytes; also says whether the document was
/// the complete list.
async fn blm(bytes: &[u8], capacity: usize) -> (Read, bool) {
    let mut reader = open(bytes, capacity);
    let mut items = Vec::new();
    let mut error = None;
    for _ in 0..100_000 {
        match reader.next().await {
            Ok(Some(item)) => items.push(item),
            Ok(None) => break,
            Err(e) => {
                let again = reader.next().await;
                assert_eq!(again.err().map(|e| e.to_string()), Some(e.to_string()));
                error = Some(e);
                break;
            }
        }
    }
    let complete = reader.is_complete_list();
    (Read { items, error }, complete)
}

fn en() -> LanguageCode {
    LanguageCode::parse("en").unwrap()
}

fn pounds(minor: i64) -> Money {
    Money::from_minor(minor, Currency::parse("GBP").unwrap()).unwrap()
}

fn captioned(url: &str, caption: &str) -> Image {
    Image {
        url: url.into(),
        captions: BTreeMap::from([(en(), caption.into())]),
    }
}

fn sale() -> Listing {
    Listing {
        reference: Some("1234_SALE1".into()),
        source_status: Some("available".into()),
        property_type: Some("detached house".into()),
        tenure: Some(Tenure::Freehold),
        bedrooms: Some(4),
        bathrooms: Some(2),
        address: Address {
            display: Some("Station Road, Wolverton, Milton Keynes".into()),
            street_number: Some("12".into()),
            street: Some("Station Road".into()),
            locality: Some("Wolverton".into()),
            county: Some("Buckinghamshire".into()),
            town: Some("Milton Keynes".into()),
            postal_code: Some("MK12 5AB".into()),
            country: Some("GB".into()),
            location: Some(GeoPoint::new(52.0626, -0.8103).unwrap()),
            ..Address::default()
        },
        texts: BTreeMap::from([(
            en(),
            LocalizedText {
                title: Some("A detached family home on a quiet road.".into()),
                description: Some(
                    "A well presented detached house & garden.\n\nKitchen/diner with views.".into(),
                ),
            },
        )]),
        features: [
            "Four bedrooms",
            "South facing garden",
            "Garage",
            "Close to the station",
        ]
        .map(String::from)
        .to_vec(),
        amenities: BTreeMap::from([
            ("livingRooms".into(), vec!["2".into()]),
            ("priceQualifier".into(), vec!["guide price".into()]),
        ]),
        images: vec![
            captioned("https://store.example/feed/1234_SALE1_IMG_00.jpg", "Front"),
            captioned("https://media.agent.example/1234_SALE1/01.jpg", "Garden"),
        ],
        floor_plans: vec![captioned(
            "https://store.example/feed/1234_SALE1_FLP_00.jpg",
            "Ground floor",
        )],
        virtual_tours: vec!["https://tours.example/1234_SALE1".into()],
        new_build: Some(false),
        office: Some(Contact {
            id: Some("1234".into()),
            ..Contact::default()
        }),
        listed_at: Some(Utc.with_ymd_and_hms(2024, 3, 1, 9, 15, 0).unwrap()),
        source_modified_at: Some(Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap()),
        ..Listing::new(
            ExternalId::parse("1234_SALE1").unwrap(),
            Transaction::Sale,
            Price::Amount {
                amount: pounds(42_500_000),
            },
        )
    }
}

fn listing<'a>(read: &'a Read, id: &str) -> &'a Listing {
    read.listings()
        .into_iter()
        .find(|l| l.external_id.as_str() == id)
        .unwrap_or_else(|| panic!("no listing {id}"))
}

#[tokio::test]
async fn a_standard_feed_maps_every_field() {
    let (read, complete) = blm(&fixture("blm/standard.blm"), 4096).await;
    assert!(read.error.is_none(), "{:?}", read.error);
    assert!(complete);
    let ids: Vec<String> = read
        .items
        .iter()
        .map(|i| match i {
            FeedItem::Listing(l, _) => l.external_id.to_string(),
            FeedItem::Gone(id) => format!("gone {id}"),
            FeedItem::Failed(f) => format!("failed {f}"),
        })
        .collect();
    assert_eq!(
        ids,
        [
            "1234_SALE1",
            "1234_LET1",
            "1234_POA1",
            "1234_SSTC1",
            "gone 1234_GONE1",
            "1234_WEEK1",
            "1234_QTR1"
        ]
    );
    assert_eq!(listing(&read, "1234_SALE1"), &sale());

    let let1 = listing(&read, "1234_LET1");
    assert_eq!(let1.transaction, Transaction::RentMonthly);
    assert_eq!(
        let1.price,
        Price::Amount {
            amount: pounds(125_000)
        }
    );
    assert_eq!(
        (let1.status, let1.source_status.as_deref()),
        (MarketStatus::Pending, Some("let agreed"))
    );
    assert_eq!(let1.tenure, Some(Tenure::Leasehold));
    assert_eq!(let1.property_type.as_deref(), Some("flat"));
    assert_eq!(
        let1.charges,
        [Charge {
            kind: ChargeKind::Deposit,
            amount: pounds(144_231),
            period: Period::Once,
            label: None,
            year: None
        }]
    );
    assert_eq!(let1.amenities["furnished"], ["furnished"]);
    assert_eq!(let1.amenities["letType"], ["long term"]);
    assert_eq!(let1.amenities["availableFrom"], ["2024-06-01 00:00:00"]);
    assert_eq!(let1.address.location, None);

    let poa = listing(&read, "1234_POA1");
    assert_eq!(poa.price, Price::OnRequest);
    assert_eq!(poa.property_type.as_deref(), Some("land"));
    assert_eq!(poa.bedrooms, Some(0));
    assert_eq!(poa.amenities["priceQualifier"], ["POA"]);

    let sstc = listing(&read, "1234_SSTC1");
    assert_eq!(
        (sstc.status, sstc.source_status.as_deref()),
        (MarketStatus::Pending, Some("sold subject to contract"))
    );
    assert_eq!(sstc.shared_ownership, Some(true));
    assert_eq!(sstc.new_build, Some(true));
    assert_eq!(
        sstc.property_type.as_deref(),
        Some("semi-detached bungalow")
    );
    let charges: Vec<_> = sstc
        .charges
        .iter()
        .map(|c| (c.kind, c.amount, c.period))
        .collect();
    assert_eq!(
        charges,
        [
            (ChargeKind::ServiceCharge, pounds(120_000), Period::Yearly),
            (ChargeKind::GroundRent, pounds(25_000), Period::Yearly)
        ]
    );

    let week = listing(&read, "1234_WEEK1");
    assert_eq!(
        (week.transaction, week.price),
        (
            Transaction::RentWeekly,
            Price::Amount {
                amount: pounds(15_000)
            }
        )
    );
    assert_eq!(week.amenities["rentFrequency"], ["per person per week"]);
    assert_eq!(week.amenities["letType"], ["student"]);

    let quarterly = listing(&read, "1234_QTR1");
    assert_eq!(
        (quarterly.transaction, quarterly.price),
        (
            Transaction::RentMonthly,
            Price::Amount {
                amount: pounds(100_000)
            }
        )
    );
    assert_eq!(quarterly.amenities["rentFrequency"], ["quarterly"]);
    assert_eq!(quarterly.property_type.as_deref(), Some("office"));
}

#[tokio::test]
async fn kept_records_read_back_to_the_same_listing() {
    for name in [
        "standard.blm",
        "pipe-newline.blm",
        "multi-char.blm",
        "windows-1252.blm",
    ] {
        let (read, _) = blm(&fixture(&format!("blm/{name}")), 4096).await;
        for item in &read.items {
            let FeedItem::Listing(listing, Some(raw)) = item else {
                continue;
            };
            assert!(
                std::str::from_utf8(raw).is_ok(),
                "{name}: kept records are UTF-8"
            );
            let document = FeedFormat::BLM.format().single_record_document(raw);
            let (again, complete) = blm(&document, 64).await;
            assert!(
                again.error.is_none() && complete,
                "{name}: {:?}",
                again.error
            );
            assert_eq!(again.listings(), [listing], "{name}");
        }
    }
}

#[tokio::test]
async fn any_separators_quotes_and_a_bom_read_the_same_listings() {
    let (standard, _) = blm(&fixture("blm/standard.blm"), 4096).await;
    let (pipe, complete) = blm(&fixture("blm/pipe-newline.blm"), 4096).await;
    assert!(pipe.error.is_none() && complete, "{:?}", pipe.error);
    let mut expected = sale();
    expected.texts.get_mut(&en()).unwrap().title =
        Some("A detached family home on a quiet road.".into());
    assert_eq!(pipe.listings()[0], &expected);
    let let1 = pipe.listings()[1];
    assert_eq!(
        let1.address.street_number.as_deref(),
        Some("Flat 3, \"The Maltings\"")
    );
    assert_eq!(let1.texts[&en()].title.as_deref(), Some("Two bedroom flat"));

    let (multi, complete) = blm(&fixture("blm/multi-char.blm"), 4096).await;
    assert!(multi.error.is_none() && complete, "{:?}", multi.error);
    assert_eq!(multi.listings(), standard.listings()[..2]);
}

#[tokio::test]
async fn a_windows_1252_feed_is_decoded() {
    let (read, _) = blm(&fixture("blm/windows-1252.blm"), 16).await;
    let l = read.listings()[0];
    assert_eq!(l.address.street.as_deref(), Some("Rue Célèste"));
    assert_eq!(
        l.texts[&en()].description.as_deref(),
        Some("Café quarter flat, £1,250 pcm – bills extra.")
    );
}

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

#[test]
fn sniffing_tells_blm_from_the_other_formats() {
    for name in [
        "standard.blm",
        "pipe-newline.blm",
        "multi-char.blm",
        "windows-1252.blm",
    ] {
        let bytes = fixture(&format!("blm/{name}"));
        assert_eq!(
            FeedFormat::sniff(&bytes[..bytes.len().min(4096)]),
            Some(FeedFormat::BLM),
            "{name}"
        );
    }
    for name in [
        "kyero.xml",
        "kyero-latin1.xml",
        "listings.json",
        "listings.ndjson",
    ] {
        let bytes = fixture(name);
        let found = FeedFormat::sniff(&bytes[..bytes.len().min(4096)]);
        assert_ne!(found, Some(FeedFormat::BLM), "{name}");
        assert!(found.is_some(), "{name}");
    }
    assert_eq!(FeedFormat::parse("rightmove"), Some(FeedFormat::BLM));
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

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
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
            4 => bytes = (0..rng.below(600)).map(|_| rng.next() as u8).collect(),
            3 => {
                // A valid start, then noise made of the characters that matter.
                bytes.truncate(rng.below(bytes.len()));
                for _ in 0..rng.below(400) {
                    bytes.push(NOISE[rng.below(NOISE.len())]);
                }
            }
            _ => {
                for _ in 0..=rng.below(8) {
                    let at = rng.below(bytes.len());
                    match rng.below(3) {
                        0 => bytes[at] = rng.next() as u8,
                        1 => {
                            bytes.remove(at);
                        }
                        _ => bytes.insert(at, NOISE[rng.below(NOISE.len())]),
                    }
                }
            }
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
