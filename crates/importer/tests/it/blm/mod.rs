//! The Rightmove BLM reader: mapping of every field, separators, quotes, encodings, the
//! header's Property Count, kept records, broken documents and record failures, and an
//! import into the in-memory store.
//!
//! This file holds the helpers the tests share: the reader with its delivered attachments,
//! and the listing the standard fixture's first record maps to.

mod mapping;
mod robustness;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use propimport_domain::{
    Address, Contact, Currency, ExternalId, GeoPoint, Image, LanguageCode, Listing, LocalizedText,
    Money, Price, Tenure, Transaction,
};
use propimport_importer::{Attachments, FeedFormat, FeedReader, ReadOptions};
use tokio::io::BufReader;

use crate::{Read, drain};

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
    let read = drain!(&mut reader);
    let complete = reader.is_complete_list();
    (read, complete)
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
