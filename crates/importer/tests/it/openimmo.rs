//! The OpenImmo reader on fixtures written from the specification (a full and a partial
//! transfer), ZIP deliveries built here (attachments, detection, malicious archives), and
//! inputs that must never make it panic.

use std::io::{Cursor, Write as _};
use std::sync::{Arc, Mutex};

use propimport_domain::{ChargeKind, MarketStatus, Period, Price, Transaction};
use propimport_importer::formats::{ArchiveLimits, AttachmentStore, OpenImmoReader};
use propimport_importer::{FeedError, FeedFormat, FeedItem, ReadOptions};
use tokio::io::BufReader;
use zip::write::SimpleFileOptions;

use propimport_importer::FeedReader;

use crate::{Read, fixture};

/// Drains a reader; gives up after far more items than any input here has, so a reader that
/// never ends fails the test instead of hanging it.
async fn drain_reader(reader: &mut dyn FeedReader) -> Read {
    let mut items = Vec::new();
    for _ in 0..100_000 {
        match reader.next().await {
            Ok(Some(item)) => items.push(item),
            Ok(None) => return Read { items, error: None },
            Err(e) => {
                let again = reader.next().await;
                assert_eq!(again.err().map(|e| e.to_string()), Some(e.to_string()));
                return Read {
                    items,
                    error: Some(e),
                };
            }
        }
    }
    panic!("the reader did not end");
}

/// Reads `bytes` as OpenImmo through a buffer of `capacity` bytes.
async fn openimmo(bytes: &[u8], capacity: usize) -> (Read, bool) {
    let mut reader = OpenImmoReader::new(
        BufReader::with_capacity(capacity, bytes),
        &ReadOptions::default(),
    );
    let read = drain_reader(&mut reader).await;
    (read, reader.is_complete_list())
}

/// Reads `bytes` through `format`'s entry point (ZIP deliveries included).
async fn open(
    format: FeedFormat,
    bytes: Vec<u8>,
    options: &ReadOptions,
) -> (Read, bool, Option<FeedFormat>) {
    let mut reader = format.open(Box::new(BufReader::new(Cursor::new(bytes))), options);
    let read = drain_reader(reader.as_mut()).await;
    (read, reader.is_complete_list(), reader.detected())
}

#[tokio::test]
async fn a_full_transfer_maps_every_kind_of_record() {
    let bytes = fixture("openimmo/voll.xml");
    let (read, complete) = openimmo(&bytes, 1 << 16).await;
    assert!(read.error.is_none(), "{:?}", read.error);
    assert!(complete, "umfang=VOLL read to its end is the complete list");
    let items = &read.items;
    assert_eq!(items.len(), 7);

    let house = items[0].listing().unwrap();
    assert_eq!(house.external_id.as_str(), "H-100");
    assert_eq!(house.reference.as_deref(), Some("intern-100"));
    assert_eq!(house.transaction, Transaction::Sale);
    let Price::Amount { amount } = &house.price else {
        panic!()
    };
    assert_eq!(
        (amount.minor(), amount.currency().as_str()),
        (125_000_000, "EUR")
    );
    assert_eq!(house.charges.len(), 1);
    assert_eq!(house.charges[0].kind, ChargeKind::Association);
    assert_eq!(house.charges[0].period, Period::Monthly);
    assert_eq!(house.charges[0].amount.minor(), 32_050);
    assert_eq!(house.property_type.as_deref(), Some("haus"));
    assert_eq!(house.amenities["objektart"], ["EINFAMILIENHAUS"]);
    let a = &house.address;
    assert_eq!(
        (
            a.postal_code.as_deref(),
            a.town.as_deref(),
            a.street.as_deref(),
            a.street_number.as_deref()
        ),
        (
            Some("80331"),
            Some("München"),
            Some("Sendlinger Straße"),
            Some("12a")
        )
    );
    assert_eq!(a.province.as_deref(), Some("Bayern"));
    assert_eq!(a.locality.as_deref(), Some("Altstadt"));
    assert_eq!(a.country.as_deref(), Some("DE"));
    let at = a.location.unwrap();
    assert!(
        (at.latitude() - 48.137_154).abs() < 1e-9 && (at.longitude() - 11.576_124).abs() < 1e-9
    );
    assert_eq!(house.built_area_m2, Some(182));
    assert_eq!(house.plot_area_m2, Some(540));
    assert_eq!(house.rooms, Some(6), "half rooms are rounded down");
    assert_eq!(
        (house.bedrooms, house.bathrooms, house.parking_spaces),
        (Some(4), Some(2), Some(2))
    );
    assert_eq!(house.features, ["kamin", "swimmingpool"]);
    assert_eq!(house.amenities["heizungsart"], ["FUSSBODEN", "ZENTRAL"]);
    assert_eq!(house.amenities["ausstatt_kategorie"], ["GEHOBEN"]);
    assert_eq!(house.amenities["verfuegbar_ab"], ["nach Vereinbarung"]);
    assert_eq!(house.pool, Some(true));
    assert_eq!(house.year_built, Some(1998));
    let energy = house.energy_rating.as_ref().unwrap();
    assert_eq!(
        energy.consumption.as_deref(),
        Some("C, 85.3 kWh/(m²a), BEDARF")
    );
    assert_eq!(energy.emissions.as_deref(), Some("21 kg/(m²a)"));
    let de = propimport_domain::LanguageCode::parse("de").unwrap();
    let text = &house.texts[&de];
    assert_eq!(
        text.title.as_deref(),
        Some("Familienhaus mit Garten in der Altstadt")
    );
    let description = text.description.as_deref().unwrap();
    assert!(
        description.starts_with("Helles Haus mit großem Garten."),
        "{description}"
    );
    assert!(
        description.contains("Marienplatz") && description.contains("Fußbodenheizung & Kamin.")
    );
    let urls: Vec<&str> = house.images.iter().map(|i| i.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://img.muster.example/h100/sued.jpg",
            "https://img.muster.example/h100/wohnzimmer.jpg"
        ],
        "the title picture first, documents left out"
    );
    assert_eq!(house.images[0].captions[&de], "Ansicht von Süden");
    assert_eq!(house.floor_plans.len(), 1);
    let agent = house.agent.as_ref().unwrap();
    assert_eq!(agent.name.as_deref(), Some("Anna Berger"));
    assert_eq!(agent.email.as_deref(), Some("anna.berger@muster.example"));
    assert_eq!(agent.phone.as_deref(), Some("+49 89 100-12"));
    let office = house.office.as_ref().unwrap();
    assert_eq!(
        (office.id.as_deref(), office.name.as_deref()),
        (Some("AN-77"), Some("Muster Immobilien GmbH"))
    );
    assert_eq!(
        house.source_modified_at.unwrap().to_rfc3339(),
        "2026-11-28T00:00:00+00:00"
    );

    let flat = items[1].listing().unwrap();
    assert_eq!(
        flat.external_id.as_str(),
        "OBID-W200",
        "openimmo_obid when no objektnr_extern"
    );
    assert_eq!(flat.transaction, Transaction::RentMonthly);
    let Price::Amount { amount } = &flat.price else {
        panic!()
    };
    assert_eq!(
        amount.minor(),
        129_000,
        "kaltmiete before nettokaltmiete and warmmiete"
    );
    let kinds: Vec<_> = flat
        .charges
        .iter()
        .map(|c| (c.kind, c.period, c.amount.minor()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ChargeKind::Utilities, Period::Monthly, 20_000),
            (ChargeKind::Deposit, Period::Once, 354_000)
        ]
    );
    assert_eq!(flat.built_area_m2, Some(79), "a decimal comma is read");
    assert_eq!(flat.year_built, Some(1910));
    assert_eq!(flat.new_build, Some(false));
    assert_eq!(flat.property_type.as_deref(), Some("wohnung"));
    assert_eq!(flat.features, ["balkon"]);
    assert_eq!(flat.amenities["fahrstuhl"], ["PERSONEN"]);

    let on_request = items[2].listing().unwrap();
    assert_eq!(on_request.price, Price::OnRequest);
    assert_eq!(on_request.address.country.as_deref(), Some("AT"));
    assert!(matches!(&items[3], FeedItem::Gone(id) if id.as_str() == "X-400"));

    let failures = read.failures();
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[0].external_id, None);
    assert_eq!(failures[0].stage.as_str(), "map");
    assert!(
        failures[0]
            .message
            .contains("immobilie 5: verwaltung_techn: no objektnr_extern nor openimmo_obid"),
        "{}",
        failures[0].message
    );
    assert_eq!(failures[1].external_id.as_deref(), Some("G-600"));
    assert_eq!(failures[1].stage.as_str(), "validate");
    assert!(
        failures[1]
            .message
            .contains("immobilie 6: geo/geokoordinaten"),
        "{}",
        failures[1].message
    );

    let swiss = items[6].listing().unwrap();
    assert_eq!(
        swiss.office.as_ref().and_then(|o| o.name.as_deref()),
        Some("Zweite Makler AG")
    );
    assert_eq!(swiss.address.country.as_deref(), Some("CH"));
    let Price::Amount { amount } = &swiss.price else {
        panic!()
    };
    assert_eq!(amount.currency().as_str(), "CHF");
    assert_eq!(swiss.status, MarketStatus::Active);
}

#[tokio::test]
async fn records_remap_alone_and_read_the_same_through_any_buffer() {
    let bytes = fixture("openimmo/voll.xml");
    let (whole, _) = openimmo(&bytes, 1 << 16).await;
    for capacity in [1, 3, 64, 1000] {
        let (read, complete) = openimmo(&bytes, capacity).await;
        assert_eq!(read.items, whole.items, "capacity {capacity}");
        assert!(complete);
    }
    let format = FeedFormat::OPENIMMO.format();
    for item in &whole.items {
        let FeedItem::Listing(listing, Some(record)) = item else {
            continue;
        };
        let document = format.single_record_document(record);
        let (again, complete) = openimmo(&document, 1 << 16).await;
        assert!(!complete, "a one-record document withdraws nothing");
        assert_eq!(
            again.ok(),
            [FeedItem::Listing(listing.clone(), Some(record.clone()))]
        );
    }
}

#[tokio::test]
async fn a_partial_transfer_is_not_the_complete_list() {
    let (read, complete) = openimmo(&fixture("openimmo/teil.xml"), 1 << 16).await;
    assert!(!complete);
    let items = read.ok();
    assert_eq!(items.len(), 2);
    let house = items[0].listing().unwrap();
    assert_eq!(
        house.address.town.as_deref(),
        Some("München"),
        "ISO-8859-1 is decoded"
    );
    assert!(matches!(&items[1], FeedItem::Gone(id) if id.as_str() == "H-300"));
}

#[test]
fn only_openimmo_documents_sniff_as_openimmo() {
    assert_eq!(
        FeedFormat::sniff(&fixture("openimmo/voll.xml")),
        Some(FeedFormat::OPENIMMO)
    );
    assert_eq!(
        FeedFormat::sniff(&fixture("openimmo/teil.xml")),
        Some(FeedFormat::OPENIMMO)
    );
    for other in [
        "kyero.xml",
        "kyero-latin1.xml",
        "listings.json",
        "listings.ndjson",
    ] {
        let head = fixture(other);
        let head = &head[..head.len().min(4096)];
        assert!(!FeedFormat::OPENIMMO.format().sniff(head), "{other}");
    }
}

mod pipeline;
mod zips;

use zips::zip_of;
