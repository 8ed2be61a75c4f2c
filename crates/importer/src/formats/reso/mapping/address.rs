//! The address: `UnparsedAddress` or the parts MLSs send (`StreetNumber`,
//! `StreetDirPrefix`, `StreetName`, `StreetSuffix`, `StreetDirSuffix`, `UnitNumber`…).
//!
//! When `InternetAddressDisplayYN` forbids showing the address, the street-level parts
//! (display, number, street, unit) and the coordinates are left out; the town, county,
//! postal code and the rest stay, so the listing can still be found by place.

use propimport_domain::Address;

use super::{measures, soft};
use crate::formats::reso::values::{Record, letters, text};

/// The record's address; `shown` is whether the street address may be shown.
pub(super) fn address(r: &Record, shown: bool) -> Address {
    let part = |name| soft(text(r, name));
    let street_number = part("StreetNumber").or_else(|| part("StreetNumberNumeric"));
    let street_parts: Vec<String> = [
        "StreetDirPrefix",
        "StreetName",
        "StreetSuffix",
        "StreetDirSuffix",
    ]
    .iter()
    .filter_map(|name| part(name))
    .collect();
    let street = (!street_parts.is_empty()).then(|| street_parts.join(" "));
    let unit = part("UnitNumber");
    let display = part("UnparsedAddress")
        .or_else(|| display(street_number.as_deref(), street.as_deref(), unit.as_deref()));
    let mut address = Address {
        county: part("CountyOrParish"),
        country: part("Country"),
        province: part("StateOrProvince"),
        town: part("City"),
        postal_code: part("PostalCode"),
        locality: part("SubdivisionName").or_else(|| part("MLSAreaMajor")),
        ..Address::default()
    };
    if shown {
        address.display = display;
        address.street_number = street_number;
        address.street = street;
        address.unit = unit;
        address.location = measures::location(r);
    }
    address
}

/// `123 N Main St, Unit 4` from the parts; `None` without a street. A unit that names its
/// own kind (`#4`, `Apt 4`, `Suite 200`) is written as given.
fn display(number: Option<&str>, street: Option<&str>, unit: Option<&str>) -> Option<String> {
    let street = street?;
    let mut line = match number {
        Some(number) => format!("{number} {street}"),
        None => street.to_owned(),
    };
    if let Some(unit) = unit {
        let named = unit.starts_with('#')
            || [
                "unit",
                "apt",
                "apartment",
                "suite",
                "ste",
                "lot",
                "bldg",
                "fl",
                "floor",
            ]
            .iter()
            .any(|kind| {
                letters(unit).starts_with(kind) && !unit.starts_with(|c: char| c.is_ascii_digit())
            });
        line.push_str(", ");
        if !named {
            line.push_str("Unit ");
        }
        line.push_str(unit);
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn of(value: Value, shown: bool) -> Address {
        let Value::Object(r) = value else {
            unreachable!()
        };
        address(&r, shown)
    }

    #[test]
    fn the_display_is_built_from_the_parts() {
        let a = of(
            json!({"StreetNumber": "123", "StreetDirPrefix": "N", "StreetName": "Main", "StreetSuffix": "St",
            "UnitNumber": "4", "City": "Springfield", "CountyOrParish": "Sangamon", "SubdivisionName": "Oak Knoll",
            "Latitude": 39.8, "Longitude": -89.6}),
            true,
        );
        assert_eq!(a.display.as_deref(), Some("123 N Main St, Unit 4"));
        assert_eq!(
            (
                a.street_number.as_deref(),
                a.street.as_deref(),
                a.unit.as_deref()
            ),
            (Some("123"), Some("N Main St"), Some("4"))
        );
        assert_eq!(
            (a.county.as_deref(), a.locality.as_deref()),
            (Some("Sangamon"), Some("Oak Knoll"))
        );
        assert!(a.location.is_some());
        let suite = of(
            json!({"StreetNumber": 9, "StreetName": "Elm", "UnitNumber": "Suite 200"}),
            true,
        );
        assert_eq!(suite.display.as_deref(), Some("9 Elm, Suite 200"));
        let given = of(
            json!({"UnparsedAddress": "1 Main St", "StreetName": "Main"}),
            true,
        );
        assert_eq!(given.display.as_deref(), Some("1 Main St"));
        assert_eq!(of(json!({"StreetNumber": "5"}), true).display, None);
    }

    #[test]
    fn a_hidden_address_keeps_only_the_place() {
        let a = of(
            json!({"UnparsedAddress": "1 Main St", "StreetNumber": "1", "StreetName": "Main", "City": "Aurora",
            "PostalCode": "60505", "Latitude": 41.7, "Longitude": -88.3}),
            false,
        );
        assert_eq!(
            (a.display, a.street_number, a.street, a.location),
            (None, None, None, None)
        );
        assert_eq!(
            (a.town.as_deref(), a.postal_code.as_deref()),
            (Some("Aurora"), Some("60505"))
        );
    }
}
