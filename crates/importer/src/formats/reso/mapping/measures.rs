//! Areas from the units RESO sends, and coordinates. A value that cannot be read (an unknown
//! unit, a negative area, a point off Earth) is left out rather than failing the listing.

use propimport_domain::{Area, AreaUnit, GeoPoint};

use super::soft;
use crate::formats::reso::values::{Record, decimal, letters, text};

/// The units of area RESO sends, by their names reduced to letters.
const UNITS: &[(&[&str], AreaUnit)] = &[
    (
        &["squarefeet", "squarefoot", "sqft", "sf"],
        AreaUnit::SquareFeet,
    ),
    (
        &["squaremeters", "squaremetres", "squaremeter", "sqm", "m2"],
        AreaUnit::SquareMetres,
    ),
    (&["acres", "acre", "ac"], AreaUnit::Acres),
    (&["hectares", "hectare", "ha"], AreaUnit::Hectares),
];

/// The value of `name` in the unit named by `unit_field` (`default` when absent); `None`
/// when missing, zero, negative, unreadable or in an unknown unit.
fn area(r: &Record, name: &str, unit_field: Option<&str>, default: AreaUnit) -> Option<Area> {
    let value = soft(decimal(r, name))?;
    let unit = match unit_field.and_then(|f| soft(text(r, f))) {
        None => default,
        Some(unit_name) => {
            let key = letters(&unit_name);
            let found = UNITS
                .iter()
                .find(|(names, _)| names.contains(&key.as_str()))
                .map(|(_, unit)| *unit);
            if found.is_none() {
                tracing::debug!(field = name, unit = %unit_name, "RESO area in an unknown unit left out");
            }
            found?
        }
    };
    (value > 0.0).then_some(Area { value, unit })
}

/// `LivingArea` in `LivingAreaUnits` (square feet when absent), in whole m².
pub(super) fn built_area(r: &Record) -> Option<u32> {
    area(
        r,
        "LivingArea",
        Some("LivingAreaUnits"),
        AreaUnit::SquareFeet,
    )
    .and_then(|a| a.whole_square_metres())
    .filter(|m2| *m2 > 0)
}

/// The lot as stated: `LotSizeArea` in `LotSizeUnits` (square feet when absent), else
/// `LotSizeSquareFeet`, else `LotSizeAcres`.
pub(super) fn lot_size(r: &Record) -> Option<Area> {
    area(r, "LotSizeArea", Some("LotSizeUnits"), AreaUnit::SquareFeet)
        .or_else(|| area(r, "LotSizeSquareFeet", None, AreaUnit::SquareFeet))
        .or_else(|| area(r, "LotSizeAcres", None, AreaUnit::Acres))
}

/// Coordinates when both are given; 0,0 (what exports send for "unknown") and a point off
/// Earth are left out.
pub(super) fn location(r: &Record) -> Option<GeoPoint> {
    let latitude = soft(decimal(r, "Latitude"));
    let longitude = soft(decimal(r, "Longitude"));
    match (latitude, longitude) {
        (Some(lat), Some(lon)) if lat != 0.0 || lon != 0.0 => GeoPoint::new(lat, lon)
            .inspect_err(|e| tracing::debug!(%e, "RESO coordinates left out"))
            .ok(),
        _ => None,
    }
}
