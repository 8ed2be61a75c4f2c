//! The REAXML reader: mapping of every kind of listing, statuses, record failures, encodings,
//! broken documents, sniffing, the one-record document.

use chrono::{TimeZone, Utc};
use propimport_domain::{
    Area, AreaUnit, Charge, ChargeKind, Contact, Currency, ExternalId, Listing, MarketStatus,
    Money, Period, Price, Transaction,
};
use propimport_importer::formats::{ReaxmlReader, Stage};
use propimport_importer::{FeedError, FeedFormat, FeedItem, ReadOptions};
use tokio::io::BufReader;

use crate::{Read, drain, fixture};

/// Reads REAXML through a buffer of `capacity` bytes.
pub(crate) async fn reaxml(bytes: &[u8], capacity: usize) -> Read {
    let options = ReadOptions::default();
    drain!(ReaxmlReader::new(
        BufReader::with_capacity(capacity, bytes),
        &options
    ))
}

fn aud(major: i64) -> Money {
    Money::from_minor(major * 100, Currency::parse("AUD").unwrap()).unwrap()
}

pub(crate) fn id(text: &str) -> ExternalId {
    ExternalId::parse(text).unwrap()
}

fn by_id<'a>(read: &'a Read, wanted: &str) -> &'a Listing {
    read.listings()
        .into_iter()
        .find(|l| l.external_id.as_str() == wanted)
        .unwrap_or_else(|| panic!("no listing {wanted}"))
}

#[tokio::test]
async fn every_kind_and_status_of_the_fixture() {
    let read = reaxml(&fixture("reaxml/feed.xml"), 8 * 1024).await;
    assert!(read.error.is_none(), "{:?}", read.error);
    let summary: Vec<String> = read
        .items
        .iter()
        .map(|item| match item {
            FeedItem::Listing(l, raw) => {
                let raw = String::from_utf8_lossy(raw.as_deref().expect("the record is kept"));
                assert!(
                    !raw.contains("vendorDetails") && !raw.contains("Owner Private"),
                    "the vendor's details are private: {raw}"
                );
                format!("listing {}", l.external_id)
            }
            FeedItem::Gone(id) => format!("gone {id}"),
            FeedItem::Failed(f) => format!(
                "failed {} at {}",
                f.external_id.as_deref().unwrap_or("-"),
                f.stage
            ),
            FeedItem::Known(k) => format!("known {}", k.external_id),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "listing XNWXNW:RES-100",
            "listing XNWXNW:REN-200",
            "listing XNWXNW:LAND-300",
            "listing XNWXNW:COM-400",
            "listing XNWXNW:RES-500",
            "gone XNWXNW:RES-600",
            "gone XNWXNW:REN-700",
            "failed XNWXNW:RES-800 at map",
            "failed - at map",
        ]
    );
    let failures = read.failures();
    assert_eq!(
        failures[0].message,
        "residential listing 8: price: \"about 500k\" is not an amount"
    );
    assert_eq!(
        failures[1].message,
        "residential listing 9: missing required field uniqueID"
    );
    assert_eq!(failures[1].stage, Stage::Map);
}

#[tokio::test]
async fn a_residential_sale_maps_every_field() {
    let read = reaxml(&fixture("reaxml/feed.xml"), 64 * 1024).await;
    let l = by_id(&read, "XNWXNW:RES-100");
    assert_eq!(l.transaction, Transaction::Sale);
    assert_eq!(
        l.price,
        Price::Amount {
            amount: aud(850_000)
        }
    );
    assert_eq!(l.status, MarketStatus::Pending, "under offer");
    assert_eq!(l.source_status.as_deref(), Some("current"));
    assert_eq!(l.reference.as_deref(), Some("RES-100"));
    assert_eq!(l.property_type.as_deref(), Some("house"));
    assert_eq!((l.bedrooms, l.bathrooms), (Some(3), Some(2)));
    assert_eq!((l.garage_spaces, l.parking_spaces), (Some(1), Some(4)));
    assert_eq!(l.pool, Some(true), "an above-ground pool");
    assert_eq!(l.new_build, Some(false));
    assert_eq!(l.year_built, Some(1925));
    assert_eq!(
        l.lot_size,
        Some(Area {
            value: 650.0,
            unit: AreaUnit::SquareMetres
        })
    );
    assert_eq!(l.plot_area_m2, Some(650));
    assert_eq!(l.built_area_m2, Some(186), "20 squares");
    let a = &l.address;
    assert_eq!(a.unit.as_deref(), Some("2"));
    assert_eq!(a.street_number.as_deref(), Some("39"));
    assert_eq!(a.street.as_deref(), Some("Main Road"));
    assert_eq!(a.locality.as_deref(), Some("Richmond"));
    assert_eq!(a.town.as_deref(), Some("Richmond"));
    assert_eq!(a.province.as_deref(), Some("VIC"));
    assert_eq!(a.postal_code.as_deref(), Some("3121"));
    assert_eq!(a.country.as_deref(), Some("AU"));
    assert_eq!(
        a.display.as_deref(),
        Some("2/39 Main Road, Richmond VIC 3121")
    );
    let en = &l.texts[&propimport_domain::LanguageCode::parse("en").unwrap()];
    assert_eq!(en.title.as_deref(), Some("Family home & garden"));
    assert_eq!(
        en.description.as_deref(),
        Some("Light-filled home close to trams.\n\nThree bedrooms, two bathrooms.")
    );
    assert_eq!(
        l.features,
        [
            "ensuite",
            "air conditioning",
            "pool (above ground)",
            "Solar panels",
            "veggie garden"
        ]
    );
    assert_eq!(l.amenities["heating"], ["gas"]);
    assert_eq!(l.amenities["authority"], ["auction"]);
    assert_eq!(l.amenities["price view"], ["Offers over $850,000"]);
    let urls: Vec<&str> = l.images.iter().map(|i| i.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://img.example/res-100/m.jpg#modTime=2024-04-30T10:00:00Z",
            "https://img.example/res-100/a.jpg",
            "https://img.example/res-100/b.jpg#modTime=2024-05-01T09:00:00Z",
        ],
        "m first, then a..z; an img without a URL is skipped"
    );
    let plans: Vec<&str> = l.floor_plans.iter().map(|i| i.url.as_str()).collect();
    assert_eq!(
        plans,
        [
            "https://img.example/res-100/plan1.gif",
            "https://img.example/res-100/plan2.gif"
        ]
    );
    assert_eq!(l.virtual_tours, ["https://video.example/res-100"]);
    assert_eq!(
        l.urls.values().collect::<Vec<_>>(),
        ["https://agency.example/res-100"]
    );
    assert_eq!(
        l.agent,
        Some(Contact {
            id: None,
            name: Some("Jane Citizen".into()),
            email: Some("jane@agency.example".into()),
            phone: Some("0400 000 001".into()),
        })
    );
    assert_eq!(l.office.as_ref().unwrap().id.as_deref(), Some("XNWXNW"));
    assert_eq!(
        l.charges,
        [Charge {
            kind: ChargeKind::Tax,
            amount: aud(1800),
            period: Period::Yearly,
            label: Some("council rates".into()),
            year: None,
        }]
    );
    assert_eq!(
        l.source_modified_at,
        Some(Utc.with_ymd_and_hms(2024, 5, 1, 9, 15, 0).unwrap())
    );
}

#[tokio::test]
async fn rental_land_commercial_and_sold() {
    let read = reaxml(&fixture("reaxml/feed.xml"), 64 * 1024).await;
    let rental = by_id(&read, "XNWXNW:REN-200");
    assert_eq!(
        rental.transaction,
        Transaction::RentWeekly,
        "the weekly rent"
    );
    assert_eq!(rental.price, Price::Amount { amount: aud(485) });
    assert_eq!(rental.bedrooms, Some(0), "a studio");
    assert_eq!(rental.charges[0].kind, ChargeKind::Deposit);
    assert_eq!(rental.charges[0].amount, aud(1940));
    assert_eq!(rental.features, ["pet friendly"]);
    assert_eq!(rental.amenities["date available"], ["2024-06-01"]);
    assert_eq!(
        rental.address.street, None,
        "display=\"no\" hides the street"
    );
    assert_eq!(rental.address.display.as_deref(), Some("Fitzroy VIC 3065"));

    let land = by_id(&read, "XNWXNW:LAND-300");
    assert_eq!(land.price, Price::OnRequest, "display=\"no\"");
    assert_eq!(land.property_type.as_deref(), Some("residential"));
    assert_eq!(land.address.street_number.as_deref(), Some("Lot 12"));
    assert_eq!(land.plot_area_m2, Some(5000));
    assert_eq!(land.lot_size.unwrap().unit, AreaUnit::Hectares);

    let office = by_id(&read, "XNWXNW:COM-400");
    assert_eq!(office.transaction, Transaction::RentMonthly);
    assert_eq!(
        office.price,
        Price::Amount { amount: aud(5000) },
        "60000 a year"
    );
    assert_eq!(office.parking_spaces, Some(4));
    assert_eq!(office.property_type.as_deref(), Some("offices"));
    assert_eq!(office.built_area_m2, Some(220));

    let sold = by_id(&read, "XNWXNW:RES-500");
    assert_eq!(sold.status, MarketStatus::Sold);
    assert_eq!(
        sold.price,
        Price::Amount {
            amount: aud(735_000)
        }
    );
    assert_eq!(sold.original_price, Some(aud(700_000)));
}

#[tokio::test]
async fn reads_the_same_through_any_buffer() {
    let bytes = fixture("reaxml/feed.xml");
    let whole = reaxml(&bytes, 1 << 20).await;
    for capacity in [1, 7, 64, 1000] {
        let read = reaxml(&bytes, capacity).await;
        assert_eq!(read.items, whole.items, "buffer of {capacity}");
    }
}

#[tokio::test]
async fn a_latin1_feed_is_decoded() {
    let read = reaxml(&fixture("reaxml/latin1.xml"), 64).await;
    let l = &read.listings()[0];
    assert_eq!(l.address.town.as_deref(), Some("Potée Point"));
    let en = l.texts.values().next().unwrap();
    assert_eq!(en.title.as_deref(), Some("Café strip ½ block away"));
    assert_eq!(
        l.price,
        Price::Amount {
            amount: aud(450_000)
        }
    );
}

#[tokio::test]
async fn a_truncated_feed_fails_after_its_complete_listings() {
    let read = reaxml(&fixture("reaxml/truncated.xml"), 512).await;
    assert_eq!(read.listings().len(), 2);
    match read.error {
        Some(FeedError::Truncated { message, at }) => {
            assert_eq!(
                message,
                "the document ends before </propertyList> inside a listing"
            );
            assert_eq!(at.records, 2);
        }
        other => panic!("expected truncated, got {other:?}"),
    }
}

#[tokio::test]
async fn broken_and_foreign_documents_fail_the_feed() {
    type Expected = fn(&FeedError) -> bool;
    let cases: [(&str, Expected); 5] = [
        ("", |e| matches!(e, FeedError::Empty)),
        ("<root><property/></root>", |e| {
            matches!(e, FeedError::WrongFormat { .. })
        }),
        ("<propertyList><residential></rental></propertyList>", |e| {
            matches!(e, FeedError::Malformed { .. })
        }),
        (
            "<!DOCTYPE propertyList [<!ENTITY x \"y\">]><propertyList/>",
            |e| matches!(e, FeedError::Refused { .. }),
        ),
        ("<propertyList></propertyList><residential/>", |e| {
            matches!(e, FeedError::Malformed { .. })
        }),
    ];
    for (doc, expected) in cases {
        let read = reaxml(doc.as_bytes(), 16).await;
        let error = read.error.unwrap_or_else(|| panic!("{doc:?} read"));
        assert!(expected(&error), "{doc:?}: {error:?}");
    }
}

#[tokio::test]
async fn a_bad_reference_or_status_fails_its_listing_alone() {
    let doc = "<propertyList>\
        <residential status=\"current\"><agentID>A</agentID><uniqueID>1</uniqueID><price>1</price><headline>&xxe;</headline></residential>\
        <residential status=\"auctioned\"><agentID>A</agentID><uniqueID>2</uniqueID><price>1</price></residential>\
        <business status=\"current\"><agentID>A</agentID><uniqueID>3</uniqueID><price>1</price><businessCategory><name>Cafe</name></businessCategory></business>\
        <unknownThing><x/></unknownThing>\
        </propertyList>";
    let read = reaxml(doc.as_bytes(), 16).await;
    assert!(read.error.is_none());
    let failures = read.failures();
    assert_eq!(failures[0].stage, Stage::Parse);
    assert!(
        failures[0].message.contains("headline: &xxe;"),
        "{}",
        failures[0].message
    );
    assert_eq!(failures[0].external_id.as_deref(), Some("A:1"));
    assert!(failures[1].message.contains("status: \"auctioned\""));
    assert_eq!(read.listings()[0].property_type.as_deref(), Some("cafe"));
}

#[tokio::test]
async fn a_single_record_document_maps_the_same() {
    let read = reaxml(&fixture("reaxml/feed.xml"), 4096).await;
    let format = FeedFormat::parse("reaxml").unwrap();
    for item in &read.items {
        let FeedItem::Listing(listing, Some(raw)) = item else {
            continue;
        };
        let doc = format.format().single_record_document(raw);
        let again = reaxml(&doc, 4096).await;
        assert_eq!(
            again.listings(),
            [listing],
            "{}",
            String::from_utf8_lossy(&doc)
        );
    }
}

#[test]
fn sniffs_reaxml_and_nothing_else() {
    let reaxml = FeedFormat::parse("reaxml").unwrap();
    assert_eq!(FeedFormat::sniff(&fixture("reaxml/feed.xml")), Some(reaxml));
    assert_eq!(
        FeedFormat::sniff(&fixture("reaxml/latin1.xml")),
        Some(reaxml)
    );
    for other in [
        "kyero.xml",
        "kyero-latin1.xml",
        "listings.json",
        "listings.ndjson",
    ] {
        assert_ne!(FeedFormat::sniff(&fixture(other)), Some(reaxml), "{other}");
    }
    assert!(!reaxml.is_snapshot());
}

#[tokio::test]
async fn a_currency_named_by_the_source_replaces_aud() {
    let doc = "<propertyList><residential><agentID>A</agentID><uniqueID>1</uniqueID>\
               <price>100</price></residential></propertyList>";
    let nzd = Currency::parse("NZD").unwrap();
    let options = ReadOptions {
        currency: nzd,
        ..ReadOptions::default()
    };
    let read = drain!(ReaxmlReader::new(doc.as_bytes(), &options));
    let listing = read.listings()[0].clone();
    assert_eq!(
        listing.price,
        Price::Amount {
            amount: Money::from_minor(10_000, nzd).unwrap()
        }
    );
}
