//! Where each field the mapping reads is in a record, found once from the definition so a
//! record's fields are reached by index.

use std::collections::HashMap;

/// The first `MEDIA_IMAGE_nn` the specification reserves for energy certificate graphs (EPC,
/// HIP): they are not photos.
pub(super) const FIRST_EPC_IMAGE: u16 = 60;

/// A numbered media field (`MEDIA_IMAGE_03`) and its caption field (`MEDIA_IMAGE_TEXT_03`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Media {
    /// Its number.
    pub number: u16,
    /// The index of the file name or URL.
    pub value: usize,
    /// The index of the caption, when the definition has one.
    pub caption: Option<usize>,
}

/// The indexes of the fields the mapping reads, each named after its BLM field (`address`
/// holds `ADDRESS_1` to `ADDRESS_4`); `None` when the definition lacks one.
#[derive(Debug, Clone, Default)]
pub(super) struct Columns {
    pub agent_ref: Option<usize>,
    pub branch_id: Option<usize>,
    pub status_id: Option<usize>,
    pub published_flag: Option<usize>,
    pub trans_type_id: Option<usize>,
    pub price: Option<usize>,
    pub price_qualifier: Option<usize>,
    pub currency: Option<usize>,
    pub let_rent_frequency: Option<usize>,
    pub let_furn_id: Option<usize>,
    pub let_type_id: Option<usize>,
    pub let_date_available: Option<usize>,
    pub let_bond: Option<usize>,
    pub address: [Option<usize>; 4],
    pub town: Option<usize>,
    pub region: Option<usize>,
    pub postcode1: Option<usize>,
    pub postcode2: Option<usize>,
    pub zipcode: Option<usize>,
    pub country_code: Option<usize>,
    pub display_address: Option<usize>,
    pub latitude: Option<usize>,
    pub longitude: Option<usize>,
    pub bedrooms: Option<usize>,
    pub bathrooms: Option<usize>,
    pub living_rooms: Option<usize>,
    pub prop_sub_id: Option<usize>,
    pub new_home_flag: Option<usize>,
    pub tenure_type_id: Option<usize>,
    pub shared_ownership: Option<usize>,
    pub summary: Option<usize>,
    pub description: Option<usize>,
    pub create_date: Option<usize>,
    pub update_date: Option<usize>,
    pub service_charge: Option<usize>,
    pub ground_rent: Option<usize>,
    pub features: Vec<usize>,
    pub images: Vec<Media>,
    pub floor_plans: Vec<Media>,
    pub virtual_tours: Vec<Media>,
}

impl Columns {
    /// The columns of a definition's (upper-case) `names`.
    pub fn new(names: &[String]) -> Self {
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let get = |name: &str| index.get(name).copied();
        let first = |candidates: &[&str]| candidates.iter().find_map(|n| get(n));
        let mut features: Vec<(u16, usize)> = names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| Some((n.strip_prefix("FEATURE")?.parse().ok()?, i)))
            .collect();
        features.sort_unstable();
        Self {
            agent_ref: get("AGENT_REF"),
            branch_id: get("BRANCH_ID"),
            status_id: get("STATUS_ID"),
            published_flag: get("PUBLISHED_FLAG"),
            trans_type_id: get("TRANS_TYPE_ID"),
            price: get("PRICE"),
            price_qualifier: get("PRICE_QUALIFIER"),
            currency: get("CURRENCY"),
            let_rent_frequency: get("LET_RENT_FREQUENCY"),
            let_furn_id: get("LET_FURN_ID"),
            let_type_id: get("LET_TYPE_ID"),
            let_date_available: get("LET_DATE_AVAILABLE"),
            let_bond: get("LET_BOND"),
            address: [
                first(&["ADDRESS_1", "HOUSE_NAME_NUMBER"]),
                first(&["ADDRESS_2", "STREET_NAME"]),
                get("ADDRESS_3"),
                get("ADDRESS_4"),
            ],
            town: first(&["TOWN", "OS_TOWN_CITY"]),
            region: get("OS_REGION"),
            postcode1: get("POSTCODE1"),
            postcode2: get("POSTCODE2"),
            zipcode: get("ZIPCODE"),
            country_code: get("COUNTRY_CODE"),
            display_address: get("DISPLAY_ADDRESS"),
            latitude: first(&["LATITUDE", "EXACT_LATITUDE"]),
            longitude: first(&["LONGITUDE", "EXACT_LONGITUDE", "EXACT_LONGDITUDE"]),
            bedrooms: get("BEDROOMS"),
            bathrooms: get("BATHROOMS"),
            living_rooms: get("LIVING_ROOMS"),
            prop_sub_id: get("PROP_SUB_ID"),
            new_home_flag: get("NEW_HOME_FLAG"),
            tenure_type_id: get("TENURE_TYPE_ID"),
            shared_ownership: get("SHARED_OWNERSHIP"),
            summary: get("SUMMARY"),
            description: get("DESCRIPTION"),
            create_date: get("CREATE_DATE"),
            update_date: get("UPDATE_DATE"),
            service_charge: first(&["ANNUAL_SERVICE_CHARGE", "SERVICE_CHARGE"]),
            ground_rent: first(&["ANNUAL_GROUND_RENT", "GROUND_RENT"]),
            features: features.into_iter().map(|(_, i)| i).collect(),
            images: media(names, &index, "MEDIA_IMAGE_", "MEDIA_IMAGE_TEXT_")
                .into_iter()
                .filter(|m| m.number < FIRST_EPC_IMAGE)
                .collect(),
            floor_plans: media(names, &index, "MEDIA_FLOOR_PLAN_", "MEDIA_FLOOR_PLAN_TEXT_"),
            virtual_tours: media(
                names,
                &index,
                "MEDIA_VIRTUAL_TOUR_",
                "MEDIA_VIRTUAL_TOUR_TEXT_",
            ),
        }
    }
}

/// The fields `prefix` + number, with their `caption` + number fields, by number.
fn media(
    names: &[String],
    index: &HashMap<&str, usize>,
    prefix: &str,
    caption: &str,
) -> Vec<Media> {
    let mut found: Vec<Media> = names
        .iter()
        .enumerate()
        .filter_map(|(value, name)| {
            let digits = name.strip_prefix(prefix)?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(Media {
                number: digits.parse().ok()?,
                value,
                caption: index.get(format!("{caption}{digits}").as_str()).copied(),
            })
        })
        .collect();
    found.sort_unstable_by_key(|m| m.number);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_fields_pair_with_their_captions_in_number_order() {
        let names: Vec<String> = [
            "AGENT_REF",
            "MEDIA_IMAGE_01",
            "MEDIA_IMAGE_60",
            "MEDIA_IMAGE_00",
            "MEDIA_IMAGE_TEXT_00",
            "MEDIA_FLOOR_PLAN_00",
            "FEATURE10",
            "FEATURE2",
            "MEDIA_VIRTUAL_TOUR_00",
        ]
        .map(String::from)
        .to_vec();
        let c = Columns::new(&names);
        assert_eq!(c.agent_ref, Some(0));
        let images: Vec<_> = c
            .images
            .iter()
            .map(|m| (m.number, m.value, m.caption))
            .collect();
        assert_eq!(images, [(0, 3, Some(4)), (1, 1, None)]);
        assert_eq!(c.floor_plans.len(), 1);
        assert_eq!(c.virtual_tours.len(), 1);
        assert_eq!(c.features, [7, 6]);
    }
}
