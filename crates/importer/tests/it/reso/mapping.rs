//! Field mapping of records as real payloads send them: numbers as strings, `Order` as a
//! string, nulls, vendor fields, units; and a source that is not a URL.

use std::sync::Arc;

use propimport_domain::testing::InMemoryListingStore;
use propimport_domain::{Currency, LanguageCode, Money, Price, Transaction};
use propimport_importer::{FeedFormat, Importer, Location, SourceConfig};
use wiremock::MockServer;

use super::{at, importer, name, run, serve_three_pages, source, stored};

#[tokio::test]
async fn maps_fields_as_real_payloads_send_them() {
    let server = MockServer::start().await;
    serve_three_pages(&server).await;
    let store = Arc::new(InMemoryListingStore::new());
    run(&importer(source(&server), store.clone()))
        .await
        .unwrap();

    let house = stored(&*store, "K-100").await.listing;
    let usd = Currency::parse("USD").unwrap();
    let price = Money::from_minor(45_000_000, usd).unwrap();
    assert_eq!(
        (house.transaction, house.price),
        (Transaction::Sale, Price::Amount { amount: price })
    );
    assert_eq!(house.reference.as_deref(), Some("MLS100"));
    assert_eq!(
        house.property_type.as_deref(),
        Some("single family residence")
    );
    assert_eq!((house.bedrooms, house.bathrooms), (Some(4), Some(3)));
    assert_eq!(
        (house.built_area_m2, house.plot_area_m2),
        (Some(200), Some(1012)),
        "2150 sq ft and 0.25 acres in m²"
    );
    let location = house.address.location.unwrap();
    assert_eq!(
        (location.latitude(), location.longitude()),
        (39.7392, -104.9903)
    );
    assert_eq!(
        (
            house.address.town.as_deref(),
            house.address.province.as_deref(),
            house.address.postal_code.as_deref(),
            house.address.country.as_deref()
        ),
        (Some("Denver"), Some("CO"), Some("80202"), Some("US"))
    );
    let en = &house.texts[&LanguageCode::parse("en").unwrap()];
    assert_eq!(en.title.as_deref(), Some("123 Main St, Denver, CO 80202"));
    assert_eq!(
        en.description.as_deref(),
        Some("Bright home with mountain views.\nNear parks & schools.")
    );
    assert_eq!(
        house
            .images
            .iter()
            .map(|i| i.url.as_str())
            .collect::<Vec<_>>(),
        [
            "https://img.example/k100/1.jpg",
            "https://img.example/k100/2.jpg",
            "https://img.example/k100/3.jpg",
            "https://img.example/k100/9.jpg",
        ],
        "photos by Order (strings compared as numbers), unordered last, documents skipped"
    );
    assert_eq!((house.pool, house.new_build), (Some(false), Some(false)));
    assert_eq!(house.source_modified_at, Some(at("2024-05-01T10:00:00Z")));

    let flat = stored(&*store, "K-101").await.listing;
    let cad = Money::from_minor(240_000, Currency::parse("CAD").unwrap()).unwrap();
    assert_eq!(
        (flat.transaction, flat.price),
        (Transaction::RentMonthly, Price::Amount { amount: cad })
    );
    assert_eq!(flat.property_type.as_deref(), Some("residential lease"));
    assert_eq!(
        (flat.bedrooms, flat.bathrooms, flat.built_area_m2),
        (None, Some(1), Some(86))
    );
    assert!(flat.texts.is_empty() && flat.images.is_empty() && flat.reference.is_none());
    assert_eq!(flat.address.location, None);
    assert_eq!(flat.source_modified_at, Some(at("2024-05-01T11:00:00Z")));

    let land = stored(&*store, "K-103").await.listing;
    assert_eq!(land.plot_area_m2, Some(4047), "an acre in m²");
    assert_eq!(land.address.location, None, "0,0 means unknown");
    let small = stored(&*store, "K-104").await.listing;
    assert_eq!(small.bedrooms, Some(2));
    let cents = Money::from_minor(19_900_050, usd).unwrap();
    assert_eq!(small.price, Price::Amount { amount: cents });
}

#[tokio::test]
async fn a_reso_source_needs_a_url() {
    let config = SourceConfig::new(name(), FeedFormat::RESO, Location::File("feed.json".into()));
    let result = Importer::builder(config, Arc::new(InMemoryListingStore::new())).build();
    let err = result.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("needs an http(s) URL"), "{err}");
}
