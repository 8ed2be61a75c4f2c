//! The mapping of single records: conversions, leases, gone records and odd values.

use propimport_domain::{Address, AreaUnit, ChargeKind, Money, Period, Price, Transaction};
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
    let l = listing(
        json!({"ListingKey": "K", "LotSizeArea": "1,250.5", "LotSizeUnits": "Square Feet"}),
    );
    let lot = l.lot_size.unwrap();
    assert_eq!(
        (lot.value, lot.unit, l.plot_area_m2),
        (1250.5, AreaUnit::SquareFeet, Some(116))
    );
    // An area in an unknown unit, or negative, is left out; the listing stays.
    let l = listing(
        json!({"ListingKey": "K", "LivingArea": 1, "LivingAreaUnits": "Furlongs", "LotSizeAcres": -5}),
    );
    assert_eq!(
        (l.built_area_m2, l.lot_size, l.plot_area_m2),
        (None, None, None)
    );
}

#[test]
fn identity_falls_back_to_the_numeric_key_then_the_id() {
    let mapped = map(
        json!({"ListingKeyNumeric": 123456789012_u64, "ListingId": "MRD1"}),
        usd(),
        "r",
    );
    assert_eq!(
        mapped.key,
        Some((KeyField::KeyNumeric, "123456789012".into()))
    );
    assert!(
        matches!(mapped.outcome, Outcome::Listing(l) if l.external_id.as_str() == "123456789012" && l.reference.as_deref() == Some("MRD1"))
    );
    let mapped = map(
        json!({"ListingKeyNumeric": "77", "ListPrice": "x"}),
        usd(),
        "r",
    );
    assert_eq!(mapped.key, Some((KeyField::KeyNumeric, "77".into())));
    assert!(matches!(mapped.outcome, Outcome::Failed(f) if f.external_id.as_deref() == Some("77")));
    let mapped = map(
        json!({"ListingKeyNumeric": 1.5, "ListingId": "MRD2"}),
        usd(),
        "r",
    );
    assert_eq!(mapped.key, Some((KeyField::Id, "MRD2".into())));
    let f = failure(json!({"ListingKey": "", "StandardStatus": "Active"}));
    assert_eq!(
        f.message,
        "record 1: has no ListingKey, ListingKeyNumeric or ListingId"
    );
}

#[test]
fn statuses() {
    let status = |s: &str| {
        let l = listing(
            json!({"ListingKey": "K", "StandardStatus": s, "MlsStatus": format!("MLS {s}")}),
        );
        (l.status, l.source_status.unwrap())
    };
    assert_eq!(
        status("Active"),
        (MarketStatus::Active, "MLS Active".into())
    );
    assert_eq!(status("Coming Soon").0, MarketStatus::Active);
    assert_eq!(status("Active Under Contract").0, MarketStatus::Pending);
    assert_eq!(status("Pending").0, MarketStatus::Pending);
    assert_eq!(status("Hold").0, MarketStatus::Withdrawn);
    let l = listing(json!({"ListingKey": "K", "StandardStatus": "Pending"}));
    assert_eq!(l.source_status.as_deref(), Some("Pending"));
}

#[test]
fn charges_prices_people_and_dates() {
    let l = listing(json!({
        "ListingKey": "K", "ListPrice": "$425,000", "OriginalListPrice": "449,900.00",
        "TaxAnnualAmount": "6,012.34", "TaxYear": "2023",
        "AssociationFee": 250, "AssociationFeeFrequency": "Monthly", "AssociationName": "Oak HOA",
        "AssociationFee2": 100, "AssociationFee2Frequency": "Every Other Month",
        "ListAgentFirstName": "Ann", "ListAgentLastName": "Lee", "ListAgentMlsId": "A1",
        "ListAgentPreferredPhone": "555-0100", "ListOfficeName": "Lee Realty", "ListOfficePhone": "555-0199",
        "ListingContractDate": "2024-04-28", "OnMarketDate": "not a date",
        "YearBuilt": "1998", "GarageSpaces": "2.5", "ParkingTotal": 4, "RoomsTotal": "9"
    }));
    let money = |minor| Money::from_minor(minor, usd()).unwrap();
    assert_eq!(
        l.price,
        Price::Amount {
            amount: money(42_500_000)
        }
    );
    assert_eq!(l.original_price, Some(money(44_990_000)));
    assert_eq!(
        l.charges.len(),
        2,
        "a fee without a known period is left out"
    );
    assert_eq!(
        (
            l.charges[0].kind,
            l.charges[0].amount,
            l.charges[0].period,
            l.charges[0].year
        ),
        (ChargeKind::Tax, money(601_234), Period::Yearly, Some(2023))
    );
    assert_eq!(
        (
            l.charges[1].kind,
            l.charges[1].period,
            l.charges[1].label.as_deref()
        ),
        (ChargeKind::Association, Period::Monthly, Some("Oak HOA"))
    );
    let agent = l.agent.unwrap();
    assert_eq!(
        (
            agent.name.as_deref(),
            agent.id.as_deref(),
            agent.phone.as_deref()
        ),
        (Some("Ann Lee"), Some("A1"), Some("555-0100"))
    );
    assert_eq!(l.office.unwrap().name.as_deref(), Some("Lee Realty"));
    assert_eq!(
        l.listed_at.unwrap().to_rfc3339(),
        "2024-04-28T00:00:00+00:00"
    );
    assert_eq!(
        (l.year_built, l.garage_spaces, l.parking_spaces, l.rooms),
        (Some(1998), Some(2), Some(4), Some(9))
    );
    let same = listing(json!({"ListingKey": "K", "ListPrice": 10, "OriginalListPrice": "10.00"}));
    assert_eq!(
        (same.original_price, same.agent, same.office),
        (None, None, None)
    );
}

#[test]
fn one_bad_optional_field_does_not_reject_the_listing() {
    let l = listing(json!({
        "ListingKey": "K", "ListPrice": 100000, "BedroomsTotal": 2.5, "BathroomsTotalInteger": "lots",
        "YearBuilt": "c. 1900", "Heating": 7, "Media": "none", "PoolPrivateYN": "maybe",
        "InternetAddressDisplayYN": "sometimes", "UnparsedAddress": "1 Main St", "Latitude": 95, "Longitude": 1,
        "TaxAnnualAmount": "n/a", "PublicRemarks": 12, "OnMarketDate": 5, "City": ["x"]
    }));
    assert_eq!(
        (l.bedrooms, l.bathrooms, l.year_built, l.pool),
        (None, None, None, None)
    );
    assert!(l.amenities.is_empty() && l.images.is_empty() && l.charges.is_empty());
    assert_eq!(
        l.address,
        Address::default(),
        "an unreadable display flag hides the address"
    );
    // What a listing cannot do without still fails it.
    for essential in [
        json!({"ListingKey": "K", "ListPrice": "a lot"}),
        json!({"ListingKey": "K", "ListPrice": 1, "CurrencyCode": "dollars"}),
        json!({"ListingKey": "K", "ListPrice": 1, "ModificationTimestamp": "yesterday"}),
    ] {
        let _ = failure(essential);
    }
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
        "ListingKeyNumeric",
        "BathroomsTotalInteger",
        "BathroomsTotalDecimal",
        "BathroomsFull",
        "BathroomsHalf",
        "Heating",
        "StreetNumber",
        "UnitNumber",
        "TaxAnnualAmount",
        "AssociationFee",
        "AssociationFeeFrequency",
        "OriginalListPrice",
        "ListAgentFullName",
        "OnMarketDate",
        "GarageSpaces",
        "VirtualTourURLUnbranded",
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
        json!("1.99999999999999999999"),
        json!(1.1),
        json!("9,999,999,999,999,999,999"),
        json!([{"MediaURL": "u", "MediaCategory": "Floor Plan", "LongDescription": ["x"]}]),
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
    let l = listing(
        json!({"ListingKey": "K", "Latitude": 95, "Longitude": 1, "UnparsedAddress": "1 Main St"}),
    );
    assert_eq!(l.address.location, None, "a point off Earth is left out");
    assert_eq!(
        l.texts[&LanguageCode::parse("en").unwrap()]
            .title
            .as_deref(),
        Some("1 Main St")
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

#[test]
fn never_panics_on_cut_or_mutated_records() {
    let fixture = include_str!("../../../../tests/fixtures/reso/mls-record.json");
    let fixture = fixture.replace("{{base}}", "https://mls.example");
    let bytes = fixture.as_bytes();
    let map_all = |body: &[u8]| {
        if let Ok(page) = crate::formats::reso::page::parse(body, 0) {
            for record in page.records {
                let _ = map(record, usd(), "r");
            }
        }
    };
    for cut in (0..bytes.len()).step_by(7) {
        map_all(&bytes[..cut]);
    }
    // A deterministic xorshift: bytes replaced, digits and quotes swapped in.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let swaps = b"0123456789.,-\"[]{}: eE+\\";
    for _ in 0..3000 {
        let mut mutated = bytes.to_vec();
        for _ in 0..(next() % 4 + 1) {
            let at = (next() % mutated.len() as u64) as usize;
            mutated[at] = swaps[(next() % swaps.len() as u64) as usize];
        }
        map_all(&mutated);
    }
}
