//! Reading and mapping BLM: every field of the standard feed, kept records read back,
//! separators, quotes and a BOM, Windows-1252 text, and sniffing BLM among the other formats.

use propimport_domain::{Charge, ChargeKind, MarketStatus, Period, Price, Tenure, Transaction};
use propimport_importer::{FeedFormat, FeedItem};

use super::{blm, en, listing, pounds, sale};
use crate::fixture;

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
            FeedItem::Known(k) => format!("known {}", k.external_id),
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
