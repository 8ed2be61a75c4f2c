//! RESO's lists of features (`"Heating": "Natural Gas,Forced Air"`) as the listing's
//! amenities, each under its field's name in lowerCamel case (`heating`).

use std::collections::BTreeMap;

use super::soft;
use crate::formats::reso::values::{Record, list};

/// The RESO fields read as lists of amenities.
pub(super) const AMENITY_FIELDS: &[&str] = &[
    "AccessibilityFeatures",
    "Appliances",
    "ArchitecturalStyle",
    "AssociationAmenities",
    "Basement",
    "BuildingFeatures",
    "CommunityFeatures",
    "ConstructionMaterials",
    "Cooling",
    "Electric",
    "ExteriorFeatures",
    "Fencing",
    "FireplaceFeatures",
    "Flooring",
    "FoundationDetails",
    "GreenEnergyEfficient",
    "Heating",
    "InteriorFeatures",
    "LaundryFeatures",
    "Levels",
    "LotFeatures",
    "ParkingFeatures",
    "PatioAndPorchFeatures",
    "PoolFeatures",
    "Roof",
    "SecurityFeatures",
    "Sewer",
    "SpaFeatures",
    "Utilities",
    "View",
    "WaterSource",
    "WaterfrontFeatures",
    "WindowFeatures",
];

/// The amenities of a record: each field of [`AMENITY_FIELDS`] with at least one value; a
/// field that is not a list or a text is left out.
pub(super) fn amenities(r: &Record) -> BTreeMap<String, Vec<String>> {
    AMENITY_FIELDS
        .iter()
        .filter_map(|name| {
            let values = soft(list(r, name));
            (!values.is_empty()).then(|| (lower_camel(name), values))
        })
        .collect()
}

/// `WaterSource` → `waterSource`.
fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lists_are_grouped_by_field() {
        let serde_json::Value::Object(r) = json!({
            "Heating": "Natural Gas,Forced Air", "Cooling": ["Central Air"], "Sewer": "",
            "WaterSource": "Public", "Roof": 5, "Unlisted": "x"
        }) else {
            unreachable!()
        };
        let amenities = amenities(&r);
        assert_eq!(
            amenities.keys().collect::<Vec<_>>(),
            ["cooling", "heating", "waterSource"]
        );
        assert_eq!(amenities["heating"], ["Natural Gas", "Forced Air"]);
    }
}
