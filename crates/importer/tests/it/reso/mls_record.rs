//! A record as an MLS (MLS Grid style) really sends it: `ListingKeyNumeric` only, "full.half"
//! bathrooms, numbers in strings with thousands separators, comma-delimited lists, the
//! address in parts, `MlsStatus` next to `StandardStatus`, attribution, captions and a floor
//! plan. Each rule is pinned here on the fixture `reso/mls-record.json`.

use std::sync::Arc;

use propimport_domain::testing::InMemoryListingStore;
use propimport_domain::{
    Area, AreaUnit, ChargeKind, Currency, LanguageCode, MarketStatus, Money, Period, Price,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use super::{RESOURCE, at, importer, ok, page, run, source, stored};

#[tokio::test]
async fn an_mls_record_maps_whole() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .respond_with(ok(page(&server, "mls-record.json")))
        .mount(&server)
        .await;
    let store = Arc::new(InMemoryListingStore::new());
    let report = run(&importer(source(&server), store.clone()))
        .await
        .unwrap();
    assert_eq!(
        (report.total, report.inserted, report.failed),
        (1, 1, 0),
        "{:?}",
        report.errors
    );
    let l = stored(&*store, "1177245510").await.listing;
    let usd = Currency::parse("USD").unwrap();
    let money = |minor| Money::from_minor(minor, usd).unwrap();

    // Identity and status.
    assert_eq!(l.reference.as_deref(), Some("11872391"));
    assert_eq!(
        (l.status, l.source_status.as_deref()),
        (MarketStatus::Pending, Some("Contingent"))
    );
    // Prices in strings with thousands separators.
    assert_eq!(
        l.price,
        Price::Amount {
            amount: money(38_990_000)
        }
    );
    assert_eq!(l.original_price, Some(money(39_990_000)));
    // Rooms: 1.1 bathrooms is one full and one half.
    assert_eq!((l.bedrooms, l.rooms), (Some(3), Some(7)));
    assert_eq!(
        (l.bathrooms, l.bathrooms_full, l.bathrooms_half),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(
        (l.year_built, l.garage_spaces, l.parking_spaces),
        (Some(1956), Some(2), Some(4))
    );
    // Areas.
    assert_eq!(l.built_area_m2, Some(135), "1,450 sq ft");
    assert_eq!(
        l.lot_size,
        Some(Area {
            value: 0.18,
            unit: AreaUnit::Acres
        })
    );
    assert_eq!(l.plot_area_m2, Some(728));
    // The address from its parts.
    let a = &l.address;
    assert_eq!(a.display.as_deref(), Some("1418 N Oak Park Ave, Unit 2R"));
    assert_eq!(
        (
            a.street_number.as_deref(),
            a.street.as_deref(),
            a.unit.as_deref()
        ),
        (Some("1418"), Some("N Oak Park Ave"), Some("2R"))
    );
    assert_eq!(
        (
            a.town.as_deref(),
            a.county.as_deref(),
            a.province.as_deref(),
            a.postal_code.as_deref()
        ),
        (Some("Oak Park"), Some("Cook"), Some("IL"), Some("60302"))
    );
    assert_eq!(a.locality.as_deref(), Some("Frank Lloyd Wright District"));
    assert!(a.location.is_some());
    let en = &l.texts[&LanguageCode::parse("en").unwrap()];
    assert_eq!(en.title.as_deref(), Some("1418 N Oak Park Ave, Unit 2R"));
    assert_eq!(
        en.description.as_deref(),
        Some("Classic Prairie-style home steps from the Wright home & studio.")
    );
    // Comma-delimited lists (and arrays) as amenities, trimmed, empties dropped.
    let amenity = |name: &str| l.amenities.get(name).cloned().unwrap_or_default();
    assert_eq!(amenity("heating"), ["Natural Gas", "Forced Air"]);
    assert_eq!(amenity("cooling"), ["Central Air"]);
    assert_eq!(amenity("sewer"), ["Public Sewer"]);
    assert_eq!(amenity("waterSource"), ["Lake Michigan"]);
    assert_eq!(amenity("basement"), ["Full", "Finished"]);
    assert_eq!(amenity("lotFeatures"), ["Corner Lot", "Mature Trees"]);
    assert_eq!(amenity("architecturalStyle"), ["Prairie"]);
    assert_eq!(amenity("appliances").len(), 6);
    assert!(!l.amenities.contains_key("interiorFeatures"));
    assert!(l.features.is_empty(), "RESO lists go to amenities only");
    // Charges: the tax with its year; a zero fee is no charge.
    assert_eq!(l.charges.len(), 1);
    let tax = &l.charges[0];
    assert_eq!(
        (tax.kind, tax.amount, tax.period, tax.year),
        (ChargeKind::Tax, money(841_267), Period::Yearly, Some(2023))
    );
    // Attribution.
    let agent = l.agent.as_ref().unwrap();
    assert_eq!(
        (
            agent.name.as_deref(),
            agent.id.as_deref(),
            agent.email.as_deref(),
            agent.phone.as_deref()
        ),
        (
            Some("Maria Kowalski"),
            Some("MRD12345"),
            Some("maria@example-realty.test"),
            Some("708-555-0142")
        )
    );
    let office = l.office.as_ref().unwrap();
    assert_eq!(
        (
            office.name.as_deref(),
            office.id.as_deref(),
            office.phone.as_deref()
        ),
        (
            Some("Example Realty Group"),
            Some("MRD9876"),
            Some("708-555-0100")
        )
    );
    assert_eq!(
        l.listed_at,
        Some(at("2024-04-29T00:00:00Z")),
        "OnMarketDate first"
    );
    assert_eq!(
        l.virtual_tours,
        ["https://tours.example.test/1418-n-oak-park"],
        "unbranded only"
    );
    // Media: photos by Order with their captions, the floor plan apart, documents skipped.
    let photos: Vec<(&str, Option<&str>)> = l
        .images
        .iter()
        .map(|i| {
            (
                i.url.as_str(),
                i.captions.values().next().map(String::as_str),
            )
        })
        .collect();
    assert_eq!(
        photos,
        [
            (
                "https://media.example.test/1418/1.jpg",
                Some("Front elevation in spring")
            ),
            ("https://media.example.test/1418/2.jpg", None),
            ("https://media.example.test/1418/3.jpg", Some("Yard")),
        ]
    );
    assert_eq!(l.floor_plans.len(), 1);
    assert_eq!(
        l.floor_plans[0]
            .captions
            .values()
            .next()
            .map(String::as_str),
        Some("First floor")
    );
    assert_eq!((l.pool, l.new_build), (Some(false), Some(false)));
    assert_eq!(l.source_modified_at, Some(at("2024-05-06T14:03:27.123Z")));
}
