//! Areas in whole square metres from the units RESO sends, and coordinates.

use propimport_domain::GeoPoint;

use super::{Failure, Result, field, rejected, unreadable};
use crate::formats::Stage;
use crate::formats::reso::values::{Record, decimal, letters, text};

/// Square metres per unit of the areas RESO sends.
const SQUARE_METRES_PER: &[(&[&str], f64)] = &[
    (&["squarefeet", "squarefoot", "sqft", "sf"], 0.092_903_04),
    (
        &["squaremeters", "squaremetres", "squaremeter", "sqm", "m2"],
        1.0,
    ),
    (&["acres", "acre", "ac"], 4_046.856_422_4),
    (&["hectares", "hectare", "ha"], 10_000.0),
];

/// An area in whole m²: the value of `name` in the unit named by `unit_field` (square feet
/// when absent) or `unit`; zero counts as not given.
pub(super) fn area(
    r: &Record,
    name: &str,
    unit_field: Option<&str>,
    unit: Option<&str>,
) -> Result<Option<u32>> {
    let Some(value) = field(decimal(r, name))? else {
        return Ok(None);
    };
    let unit_text = match unit_field {
        Some(f) => field(text(r, f))?,
        None => None,
    };
    let unit_name = unit_text.as_deref().or(unit).unwrap_or("Square Feet");
    let key = letters(unit_name);
    let Some((_, factor)) = SQUARE_METRES_PER
        .iter()
        .find(|(names, _)| names.contains(&key.as_str()))
    else {
        return Err(unreadable(format!(
            "{}: {unit_name:?} is not a unit of area (Square Feet, Square Meters, Acres)",
            unit_field.unwrap_or(name)
        )));
    };
    let m2 = (value * factor).round();
    if value < 0.0 {
        return Err(Failure {
            stage: Stage::Validate,
            message: format!("{name}: {value} is negative"),
        });
    }
    if m2 > f64::from(u32::MAX) {
        return Err(Failure {
            stage: Stage::Validate,
            message: format!("{name}: {value} is too large"),
        });
    }
    // Whole, non-negative and within u32, so the cast is exact.
    let m2 = m2 as u32;
    Ok((m2 > 0).then_some(m2))
}

/// The lot: `LotSizeSquareFeet`, else `LotSizeArea` in `LotSizeUnits`, else `LotSizeAcres`.
pub(super) fn lot_area(r: &Record) -> Result<Option<u32>> {
    if let Some(m2) = area(r, "LotSizeSquareFeet", None, Some("Square Feet"))? {
        return Ok(Some(m2));
    }
    if let Some(m2) = area(r, "LotSizeArea", Some("LotSizeUnits"), None)? {
        return Ok(Some(m2));
    }
    area(r, "LotSizeAcres", None, Some("Acres"))
}

/// Coordinates when both are given; 0,0 (what exports send for "unknown") counts as not
/// given, a point off Earth fails at `validate`.
pub(super) fn location(r: &Record) -> Result<Option<GeoPoint>> {
    let latitude = field(decimal(r, "Latitude"))?;
    let longitude = field(decimal(r, "Longitude"))?;
    match (latitude, longitude) {
        (Some(lat), Some(lon)) if lat != 0.0 || lon != 0.0 => GeoPoint::new(lat, lon)
            .map(Some)
            .map_err(|e| rejected("Latitude/Longitude", &e)),
        _ => Ok(None),
    }
}
