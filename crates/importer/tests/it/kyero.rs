//! The Kyero v3 reader: mapping of every field, record failures, encodings, broken documents.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use propimport_domain::{
    Address, Currency, EnergyRating, ExternalId, GeoPoint, Image, ItemError, LanguageCode, Listing,
    LocalizedText, Money, Price, Tenure, Transaction,
};
use propimport_importer::formats::Stage;
use propimport_importer::{FeedError, FeedItem};

use crate::{fixture, kyero};

fn lang(code: &str) -> LanguageCode {
    LanguageCode::parse(code).unwrap()
}

fn described(text: &str) -> LocalizedText {
    LocalizedText {
        title: None,
        description: Some(text.into()),
    }
}

fn euros(minor: i64) -> Price {
    Price::Amount {
        amount: Money::from_minor(minor, Currency::EUR).unwrap(),
    }
}

fn feed_date() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap()
}

fn full_listing() -> Listing {
    Listing {
        reference: Some("REF-A".into()),
        property_type: Some("villa".into()),
        bedrooms: Some(4),
        bathrooms: Some(3),
        built_area_m2: Some(240),
        plot_area_m2: Some(1200),
        address: Address {
            country: Some("Spain".into()),
            province: Some("Málaga".into()),
            town: Some("Málaga".into()),
            locality: Some("El Limonar".into()),
            location: Some(GeoPoint::new(36.7213, -4.4214).unwrap()),
            ..Address::default()
        },
        tenure: Some(Tenure::Freehold),
        shared_ownership: Some(false),
        texts: BTreeMap::from([
            (
                lang("en"),
                described("Bright villa with sea views.\n\nPrice: 250.000€ & no fees."),
            ),
            (lang("es"), described("Villa luminosa con vistas al mar.")),
            (lang("pt-br"), described("Vila com piscina e jardim")),
            (lang("nl"), described("Lichte villa\nmet zeezicht")),
        ]),
        features: vec!["Sea views".into(), "Air conditioning".into()],
        images: ["1", "2", "3", "no-id"]
            .map(|n| {
                let mut image = Image::new(format!("https://img.example/v1/{n}.jpg"));
                if n == "1" {
                    image.captions = BTreeMap::from([
                        (lang("en"), "Terrace".to_owned()),
                        (lang("es"), "Terraza".to_owned()),
                    ]);
                }
                image
            })
            .to_vec(),
        urls: BTreeMap::from([
            (lang("en"), "https://agent.example/en/v-1001".into()),
            (lang("es"), "https://agent.example/es/v-1001".into()),
        ]),
        pool: Some(true),
        new_build: Some(false),
        energy_rating: Some(EnergyRating {
            consumption: Some("C".into()),
            emissions: Some("D".into()),
        }),
        source_modified_at: Some(feed_date()),
        ..Listing::new(
            ExternalId::parse("V-1001").unwrap(),
            Transaction::Sale,
            euros(25_000_000),
        )
    }
}

#[tokio::test]
async fn maps_a_full_property_in_shuffled_order_exactly() {
    let read = kyero(&fixture("kyero.xml"), 8192).await;
    let listings = read.listings();
    assert_eq!(listings[0], &full_listing());
    let json = serde_json::to_string(listings[0]).unwrap();
    assert!(
        !json.contains("Owner's") && !json.contains("600 000"),
        "notes leaked: {json}"
    );
    // The kept record is the property as written, without its private notes.
    let FeedItem::Listing(_, Some(kept)) = &read.items[0] else {
        panic!("the record is kept: {:?}", read.items[0]);
    };
    let kept = String::from_utf8_lossy(kept);
    assert!(
        kept.starts_with("<property>") && kept.ends_with("</property>"),
        "{kept}"
    );
    assert!(
        kept.contains("<location_detail>El Limonar</location_detail>"),
        "{kept}"
    );
    assert!(
        !kept.contains("notes") && !kept.contains("600 000"),
        "{kept}"
    );
}

#[tokio::test]
async fn maps_rents_price_on_request_and_absent_optionals() {
    let read = kyero(&fixture("kyero.xml"), 8192).await;
    let listings = read.listings();
    let ids: Vec<&str> = listings.iter().map(|l| l.external_id.as_str()).collect();
    assert_eq!(ids, ["V-1001", "A-2002", "H-3003", "L-9009"]);

    let rent = listings[1];
    assert_eq!(rent.transaction, Transaction::RentMonthly);
    assert_eq!(rent.price, Price::OnRequest);
    assert_eq!(rent.property_type.as_deref(), Some("apartment"));
    assert_eq!(rent.address.town.as_deref(), Some("Alhaurín el Grande"));
    assert_eq!(
        (rent.address.country.as_ref(), rent.address.location),
        (None, None)
    );
    assert_eq!(
        (rent.bedrooms, rent.bathrooms, rent.pool),
        (None, None, None)
    );
    assert_eq!(
        rent.texts,
        BTreeMap::from([(lang("en"), described("Flat & terrace, 5 < 6 rooms"))])
    );
    assert_eq!(
        (rent.energy_rating.as_ref(), rent.features.len()),
        (None, 0)
    );

    let weekly = listings[2];
    assert_eq!(weekly.transaction, Transaction::RentWeekly);
    let gbp = Currency::parse("GBP").unwrap();
    let amount = Money::from_minor(45_000, gbp).unwrap();
    assert_eq!(weekly.price, Price::Amount { amount });
    assert_eq!(listings[3].price, euros(125_050));
    // Every listing of the export carries the same date: that is fine.
    assert!(
        listings
            .iter()
            .all(|l| l.source_modified_at == Some(feed_date()))
    );
}

#[tokio::test]
async fn bad_records_fail_alone_with_their_id_and_the_field() {
    let read = kyero(&fixture("kyero.xml"), 8192).await;
    assert_eq!(read.items.len(), 9);
    assert!(
        matches!(read.items[8], FeedItem::Listing(..)),
        "reading goes on after failures"
    );
    let failures: Vec<(Option<&str>, Stage, &str)> = read
        .failures()
        .into_iter()
        .map(|f| (f.external_id.as_deref(), f.stage, f.message.as_str()))
        .collect();
    assert_eq!(
        failures,
        [
            (None, Stage::Map, "property 4: missing required field id"),
            (
                Some("B-5005"),
                Stage::Validate,
                "property 5: latitude: 123.4 is outside -90..90"
            ),
            (
                Some("N-6006"),
                Stage::Validate,
                "property 6: price: \"-5\" is not an amount"
            ),
            (
                Some("G-7007"),
                Stage::Validate,
                "property 7: price: \"about 200k\" is not an amount"
            ),
            (
                Some("M-8008"),
                Stage::Map,
                "property 8: missing required fields ref, town"
            ),
        ]
    );
    let item = ItemError::from(read.failures()[0].clone());
    assert_eq!((item.external_id, item.stage.as_str()), (None, "map"));
}

#[tokio::test]
async fn latin1_feed_reads_exactly_like_its_utf8_twin() {
    let latin1 = fixture("kyero-latin1.xml");
    assert!(
        latin1.contains(&0xE1),
        "the fixture really is ISO-8859-1 (á is one byte)"
    );
    let utf8 = kyero(&fixture("kyero.xml"), 8192).await.ok();
    assert_eq!(kyero(&latin1, 7).await.ok(), utf8);
}

#[tokio::test]
async fn windows_1252_euro_sign_and_accents_are_decoded() {
    let mut doc = b"<?xml version='1.0' encoding='windows-1252'?><root><property>".to_vec();
    doc.extend_from_slice(b"<id>W-1</id><date>2024-05-01</date><ref>W</ref><price>1</price>");
    doc.extend_from_slice(b"<price_freq>sale</price_freq><type>flat</type><town>C\xE1diz</town>");
    doc.extend_from_slice(b"<province>C\xE1diz</province><desc><es>Precio 1\x80</es></desc>");
    doc.extend_from_slice(b"<images><image id='1'><url>u</url></image></images></property></root>");
    let read = kyero(&doc, 5).await;
    let listing = read.listings()[0];
    assert_eq!(listing.address.town.as_deref(), Some("Cádiz"));
    assert_eq!(listing.texts[&lang("es")], described("Precio 1€"));
    let midnight = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
    assert_eq!(listing.source_modified_at, Some(midnight));
}

#[tokio::test]
async fn a_truncated_document_fails_after_the_complete_properties() {
    let read = kyero(&fixture("kyero-truncated.xml"), 64).await;
    let ids: Vec<&str> = read
        .listings()
        .iter()
        .map(|l| l.external_id.as_str())
        .collect();
    assert_eq!(
        (ids, read.items.len()),
        (vec!["V-1001", "A-2002", "H-3003"], 4)
    );
    match read.error {
        Some(FeedError::Truncated { at, message }) => {
            assert_eq!(at.records, 4);
            assert!(message.contains("inside a <property>"), "{message}");
        }
        other => panic!("expected a truncated feed, got {other:?}"),
    }
}

#[tokio::test]
async fn broken_documents_fail_the_feed() {
    let cases: [(&[u8], &str); 9] = [
        (b"", "empty"),
        (b" \n\t", "empty"),
        (b"<?xml version='1.0'?>", "no root element"),
        (b"<root><property><id>1</id></root>", "malformed"),
        (
            b"<html><body>502 Bad Gateway</body></html>",
            "not a Kyero v3 feed",
        ),
        (b"<root></root><root></root>", "malformed"),
        (b"<root><property><id>1</property>", "malformed"),
        (
            b"<?xml version='1.0' encoding='x-klingon'?><root/>",
            "not supported",
        ),
        (b"<root><property><id>1</id>", "truncated"),
    ];
    for (doc, expected) in cases {
        let read = kyero(doc, 16).await;
        let error = read.error.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            error.contains(expected),
            "{:?}: {error:?}",
            String::from_utf8_lossy(doc)
        );
    }
    assert!(kyero(b"<root/>", 16).await.ok().is_empty());
}

#[tokio::test]
async fn keeps_fifty_images_ordered_by_id() {
    let images: String = (1..=55)
        .rev()
        .map(|i| format!("<image id=\"{i}\"><url>https://img.example/{i}.jpg</url></image>"))
        .collect();
    let doc = property_doc("I-1", &format!("<images>{images}</images>"));
    let read = kyero(doc.as_bytes(), 4096).await;
    let expected: Vec<Image> = (1..=50)
        .map(|i| Image::new(format!("https://img.example/{i}.jpg")))
        .collect();
    assert_eq!(read.listings()[0].images, expected);
}

#[tokio::test]
async fn an_oversized_property_fails_alone_and_reading_goes_on() {
    let huge = "x".repeat(5 << 20);
    let first = property_doc("BIG-1", &format!("<desc><en>{huge}</en></desc><images/>"));
    let doc = first.replace("</root>", "") + &property_doc("OK-2", "").replace("<root>", "");
    let read = kyero(doc.as_bytes(), 64 * 1024).await;
    let failure = read.failures()[0];
    assert_eq!(
        (failure.external_id.as_deref(), failure.stage),
        (Some("BIG-1"), Stage::Parse)
    );
    assert_eq!(read.listings()[0].external_id.as_str(), "OK-2");
}

/// A one-property feed with every required field; `extra` is added right after the `id` (its
/// `desc` and `images` come first, so they win over the defaults).
fn property_doc(id: &str, extra: &str) -> String {
    format!(
        "<root><property><id>{id}</id>{extra}<date>2024-05-01 12:30:00</date><ref>R</ref>\
         <price>1</price><price_freq>sale</price_freq><type>flat</type><town>T</town>\
         <province>P</province><desc><en>D</en></desc>\
         <images><image id=\"1\"><url>https://img.example/default.jpg</url></image></images>\
         </property></root>"
    )
}

/// A long feed (its properties are mapped on a thread of their own after the first ones) gives
/// every item in feed order, failures included, and only then the error that ended it.
#[tokio::test]
async fn a_long_feed_keeps_its_order_and_ends_with_its_error() {
    let property = |n: usize| {
        let price = if n.is_multiple_of(7) {
            String::new()
        } else {
            format!("<price>{n}000</price>")
        };
        let town = if n.is_multiple_of(11) {
            "&bogus;"
        } else {
            "Nerja"
        };
        format!(
            "<property><id>P{n}</id><date>2024-05-01 12:30:00</date><ref>R{n}</ref>{price}\
             <price_freq>sale</price_freq><type>villa</type><town>{town}</town>\
             <province>Málaga</province><desc><en>House {n} &amp; garden</en></desc>\
             <images><image id=\"1\"><url>https://img.example/{n}.jpg</url></image></images>\
             </property>\n"
        )
    };
    let count = 1_000;
    let mut doc = String::from("<?xml version=\"1.0\"?>\n<root>\n");
    for n in 1..=count {
        doc.push_str(&property(n));
    }
    doc.push_str("<property><id>LAST</id><desc>");
    for capacity in [64, 64 * 1024] {
        let read = kyero(doc.as_bytes(), capacity).await;
        assert_eq!(read.items.len(), count, "capacity {capacity}");
        for (i, item) in read.items.iter().enumerate() {
            let n = i + 1;
            let outcome = match item {
                FeedItem::Listing(l, _) => format!("ok {}", l.external_id.as_str()),
                FeedItem::Failed(f) => format!("{:?} {:?}", f.stage, f.external_id),
                FeedItem::Gone(id) => format!("gone {id}"),
                FeedItem::Known(k) => format!("known {}", k.external_id),
            };
            let expected = if n.is_multiple_of(11) {
                format!("Parse Some(\"P{n}\")")
            } else if n.is_multiple_of(7) {
                format!("Map Some(\"P{n}\")")
            } else {
                format!("ok P{n}")
            };
            assert_eq!(outcome, expected, "item {n}, capacity {capacity}");
        }
        match read.error {
            Some(FeedError::Truncated { at, message }) => {
                assert_eq!(at.records, count as u64);
                assert!(message.contains("inside a <property>"), "{message}");
            }
            other => panic!("expected a truncated feed, got {other:?}"),
        }
    }
}

/// A property without a description or images is still a listing a site can show; its
/// leasehold and part-ownership flags are read.
#[tokio::test]
async fn a_property_without_text_or_images_is_a_listing() {
    let doc = "<root><property><id>BARE-1</id><date>2024-05-01 12:30:00</date><ref>R</ref>\
               <price>1</price><price_freq>sale</price_freq><type>flat</type><town>T</town>\
               <province>P</province><leasehold>1</leasehold><part_ownership>1</part_ownership>\
               </property></root>";
    let read = kyero(doc.as_bytes(), 4096).await;
    assert!(read.failures().is_empty(), "{:?}", read.failures());
    let listing = read.listings()[0];
    assert!(listing.texts.is_empty() && listing.images.is_empty());
    assert_eq!(listing.tenure, Some(Tenure::Leasehold));
    assert_eq!(listing.shared_ownership, Some(true));
}
