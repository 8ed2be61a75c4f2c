//! The mapping of single records: conversions, leases, gone records and odd values.

use propimport_domain::{Money, Price, Transaction};
use serde_json::json;

use super::*;

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn listing(value: Value) -> Listing {
    match map(value, usd(), "record 1").outcome {
        Outcome::Listing(listing) => *listing,
        other => panic!("not a listing: {other:?}"),
    }
}

fn failure(value: Value) -> RecordError {
    match map(value, usd(), "record 1").outcome {
        Outcome::Failed(failure) => failure,
        other => panic!("not a failure: {other:?}"),
    }
}

#[test]
fn areas_are_converted_to_square_metres() {
    let l = listing(
        json!({"ListingKey": "K", "LivingArea": "1000", "LotSizeArea": 0.5, "LotSizeUnits": "Acres"}),
    );
    assert_eq!((l.built_area_m2, l.plot_area_m2), (Some(93), Some(2023)));
    let l = listing(
        json!({"ListingKey": "K", "LivingArea": 120, "LivingAreaUnits": "Square Meters", "LotSizeSquareFeet": 0}),
    );
    assert_eq!((l.built_area_m2, l.plot_area_m2), (Some(120), None));
    let f = failure(json!({"ListingKey": "K", "LivingArea": 1, "LivingAreaUnits": "Furlongs"}));
    assert_eq!((f.stage, f.external_id.as_deref()), (Stage::Map, Some("K")));
    assert!(
        f.message.starts_with("record 1: LivingAreaUnits"),
        "{}",
        f.message
    );
    assert_eq!(
        failure(json!({"ListingKey": "K", "LivingArea": -5})).stage,
        Stage::Validate
    );
}

#[test]
fn leases_have_a_period() {
    let l = listing(
        json!({"ListingKey": "K", "PropertyType": "Residential Lease", "ListPrice": "2400"}),
    );
    assert_eq!(l.transaction, Transaction::RentMonthly);
    let l = listing(
        json!({"ListingKey": "K", "LeaseAmount": 1200, "LeaseAmountFrequency": "Annually"}),
    );
    let monthly = Money::from_minor(10_000, usd()).unwrap();
    assert_eq!(
        (l.transaction, l.price),
        (Transaction::RentMonthly, Price::Amount { amount: monthly })
    );
    let l = listing(
        json!({"ListingKey": "K", "PropertyType": "Commercial Lease", "ListPrice": 500, "LeaseAmountFrequency": "Weekly"}),
    );
    assert_eq!(l.transaction, Transaction::RentWeekly);
    let f = failure(
        json!({"ListingKey": "K", "PropertyType": "Residential Lease", "ListPrice": 5, "LeaseAmountFrequency": "Daily"}),
    );
    assert_eq!(f.stage, Stage::Map);
    let l = listing(json!({"ListingKey": "K", "ListPrice": 250000.5, "LeaseAmount": 900}));
    assert_eq!(
        l.transaction,
        Transaction::Sale,
        "a business's own lease does not make a rental"
    );
}

#[test]
fn gone_records_need_only_an_id() {
    for gone in [
        json!({"ListingKey": "K", "MlgCanView": false, "ListPrice": "x"}),
        json!({"ListingId": "K", "StandardStatus": "Canceled"}),
    ] {
        assert!(matches!(map(gone, usd(), "r").outcome, Outcome::Gone(id) if id.as_str() == "K"));
    }
    let pending =
        json!({"ListingKey": "K", "StandardStatus": "Active Under Contract", "MlgCanView": "true"});
    assert!(matches!(
        map(pending, usd(), "r").outcome,
        Outcome::Listing(_)
    ));
    let no_id = failure(json!({"StandardStatus": "Closed", "ListingKey": null}));
    assert_eq!((no_id.stage, no_id.external_id), (Stage::Map, None));
    assert_eq!(failure(json!([1])).stage, Stage::Parse);
}

#[test]
fn never_panics_on_odd_values() {
    let fields = [
        "ListingKey",
        "ListPrice",
        "CurrencyCode",
        "PropertyType",
        "LeaseAmount",
        "LeaseAmountFrequency",
        "BedroomsTotal",
        "LivingArea",
        "LivingAreaUnits",
        "LotSizeArea",
        "LotSizeUnits",
        "LotSizeAcres",
        "Latitude",
        "Longitude",
        "PublicRemarks",
        "Media",
        "MlgCanView",
        "StandardStatus",
        "ModificationTimestamp",
        "InternetAddressDisplayYN",
    ];
    let odd = [
        json!(null),
        json!(true),
        json!(-1),
        json!(1e308),
        json!(-1e308),
        json!(u64::MAX),
        json!(""),
        json!("x"),
        json!("1e400"),
        json!("NaN"),
        json!([]),
        json!({}),
        json!([{"MediaURL": 5, "Order": "x"}, 3, null]),
        json!("92233720368547758.07"),
    ];
    for field in fields {
        for value in &odd {
            let mut record = json!({"ListingKey": "K", "PropertyType": "Residential Lease", "LeaseAmountFrequency": "Annually"});
            record[field] = value.clone();
            let _ = map(record, usd(), "r");
        }
    }
    let huge = json!({"ListingKey": "K", "LeaseAmount": "92233720368547758.07", "LeaseAmountFrequency": "Annually"});
    assert!(matches!(map(huge, usd(), "r").outcome, Outcome::Listing(_)));
}

#[test]
fn coordinates_and_hidden_addresses() {
    let l = listing(
        json!({"ListingKey": "K", "Latitude": "0", "Longitude": 0, "UnparsedAddress": "1 Main St", "InternetAddressDisplayYN": false}),
    );
    assert_eq!(l.address.location, None);
    assert!(l.texts.is_empty());
    assert_eq!(
        failure(json!({"ListingKey": "K", "Latitude": 95, "Longitude": 1})).stage,
        Stage::Validate
    );
    assert_eq!(
        failure(json!({"ListingKey": "K", "CurrencyCode": "dollars"})).stage,
        Stage::Validate
    );
    assert_eq!(
        failure(json!({"ListingKey": "K", "ListPrice": "-1"})).stage,
        Stage::Validate
    );
}
