//! The canonical listing every feed format is mapped to, with the parse-don't-validate types
//! its fields are made of.

mod details;
mod fields;
mod known;
mod money;
mod stored;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use details::{
    Area, AreaUnit, Charge, ChargeKind, Contact, Image, MarketStatus, Period, Tenure,
};
pub use fields::{ExternalId, GeoPoint, LanguageCode};
pub use known::{KnownRecord, KnownRecords, RecordKey};
pub use money::{Currency, Money, Price};
pub use stored::{
    KeptRecord, ListingRecord, ListingStatus, RetryKey, SourceRecord, SourceState, StoredListing,
    UpsertOutcome, WithdrawReport, withdrawal_blocked,
};

use crate::JobName;

/// The name of a source (a partner feed). It is also the name of the source's import job.
pub type SourceName = JobName;

/// Sale, or rent for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transaction {
    /// For sale.
    Sale,
    /// For rent, priced per month.
    RentMonthly,
    /// For rent, priced per week.
    RentWeekly,
}

/// An energy certificate's grades or values, as the source gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnergyRating {
    /// Energy consumption.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumption: Option<String>,
    /// Emissions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emissions: Option<String>,
}

/// Title and description in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalizedText {
    /// A short title, when the source gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The description, as plain text (HTML removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Where a listing is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// The address as the source wants it shown (RESO `UnparsedAddress`, Rightmove
    /// `DISPLAY_ADDRESS`), or made from the parts when it gives none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// House number (RESO `StreetNumber`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_number: Option<String>,
    /// Street, with its direction and suffix (RESO `StreetDirPrefix StreetName
    /// StreetSuffix StreetDirSuffix`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Flat, unit or floor (RESO `UnitNumber`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Neighbourhood, district or suburb (Kyero `location_detail`, REAXML `suburb`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// County or parish (RESO `CountyOrParish`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    /// Country (name or ISO code, as the source gives it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Province, state or region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// Town or city.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub town: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Coordinates, checked to be on Earth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
}

/// One listing as propimport stores it, whatever feed it came from. `FORMAT.md` documents
/// every field and how each format fills it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// Its id at the source; with the source name, its identity.
    pub external_id: ExternalId,
    /// The agent's own reference, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Sale or rent.
    pub transaction: Transaction,
    /// Where it is on the market (active when not given).
    #[serde(default, skip_serializing_if = "MarketStatus::is_active")]
    pub status: MarketStatus,
    /// The source's own status, as given (RESO `MlsStatus`, Rightmove `STATUS_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_status: Option<String>,
    /// The asking price, or "on request".
    pub price: Price,
    /// The first asking price, when it has changed since (RESO `OriginalListPrice`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_price: Option<Money>,
    /// Taxes and fees besides the price, each with its period.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<Charge>,
    /// The kind of property, lower-case (`villa`, `apartment`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property_type: Option<String>,
    /// How it is held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenure: Option<Tenure>,
    /// Sold or let as a share (shared ownership, part ownership).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_ownership: Option<bool>,
    /// Bedrooms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bedrooms: Option<u16>,
    /// Bathrooms in all, full and partial (RESO `BathroomsTotalInteger`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bathrooms: Option<u16>,
    /// Full bathrooms (RESO `BathroomsFull`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bathrooms_full: Option<u16>,
    /// Half bathrooms: a toilet and a basin (RESO `BathroomsHalf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bathrooms_half: Option<u16>,
    /// Rooms in all (RESO `RoomsTotal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rooms: Option<u16>,
    /// Built or living area in m².
    #[serde(skip_serializing_if = "Option::is_none")]
    pub built_area_m2: Option<u32>,
    /// Plot area in m².
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plot_area_m2: Option<u32>,
    /// The plot as the source states it, in its unit (RESO `LotSizeArea`, `LotSizeUnits`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_size: Option<Area>,
    /// The year it was built (RESO `YearBuilt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_built: Option<u16>,
    /// Parking spaces in all, garage spaces included (RESO `ParkingTotal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parking_spaces: Option<u16>,
    /// Garage spaces (RESO `GarageSpaces`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub garage_spaces: Option<u16>,
    /// Where it is.
    #[serde(default)]
    pub address: Address,
    /// Titles and descriptions by language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub texts: BTreeMap<LanguageCode, LocalizedText>,
    /// Features (`pool`, `sea views`…), as given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// Features by group, named after the RESO field that lists them (`heating`,
    /// `cooling`, `sewer`, `waterSource`, `basement`, `lotFeatures`, `architecturalStyle`…).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub amenities: BTreeMap<String, Vec<String>>,
    /// Photos in display order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    /// Floor plans.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub floor_plans: Vec<Image>,
    /// Virtual tour and video links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtual_tours: Vec<String>,
    /// The listing's pages at the source, by language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub urls: BTreeMap<LanguageCode, String>,
    /// Has a pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<bool>,
    /// Is a new build.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_build: Option<bool>,
    /// Energy rating, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy_rating: Option<EnergyRating>,
    /// The listing agent (RESO `ListAgentFullName`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<Contact>,
    /// The listing office (RESO `ListOfficeName`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<Contact>,
    /// When it was put on the market (RESO `ListingContractDate`, `OnMarketDate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed_at: Option<DateTime<Utc>>,
    /// When the source last changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_modified_at: Option<DateTime<Utc>>,
}

impl Listing {
    /// A listing with only its identity, transaction and price; every other field empty.
    pub fn new(external_id: ExternalId, transaction: Transaction, price: Price) -> Self {
        Self {
            external_id,
            reference: None,
            transaction,
            status: MarketStatus::Active,
            source_status: None,
            price,
            original_price: None,
            charges: Vec::new(),
            property_type: None,
            tenure: None,
            shared_ownership: None,
            bedrooms: None,
            bathrooms: None,
            bathrooms_full: None,
            bathrooms_half: None,
            rooms: None,
            built_area_m2: None,
            plot_area_m2: None,
            lot_size: None,
            year_built: None,
            parking_spaces: None,
            garage_spaces: None,
            address: Address::default(),
            texts: BTreeMap::new(),
            features: Vec::new(),
            amenities: BTreeMap::new(),
            images: Vec::new(),
            floor_plans: Vec::new(),
            virtual_tours: Vec::new(),
            urls: BTreeMap::new(),
            pool: None,
            new_build: None,
            energy_rating: None,
            agent: None,
            office: None,
            listed_at: None,
            source_modified_at: None,
        }
    }
}

impl Listing {
    /// Its canonical JSON: the serde form, fields in declaration order, maps ordered.
    pub fn to_document(&self) -> String {
        // Written into a buffer of about its final size: grown from empty, a document of a
        // few KiB would be copied by one reallocation after another.
        let mut buffer = Vec::with_capacity(self.json_len_estimate());
        // Serializing a Listing cannot fail: every field is a plain value or an ordered map,
        // and the JSON serializer writes only UTF-8.
        match serde_json::to_writer(&mut buffer, self) {
            Ok(()) => String::from_utf8(buffer).unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// A generous estimate of the length of its JSON: its free texts (escaping can lengthen
    /// them a little) plus room for the fixed fields and the keys.
    fn json_len_estimate(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        let texts: usize = self
            .texts
            .values()
            .map(|t| opt(&t.title) + opt(&t.description) + 48)
            .sum();
        let images: usize = self
            .images
            .iter()
            .chain(&self.floor_plans)
            .map(|i| i.url.len() + 16 + i.captions.values().map(|c| c.len() + 16).sum::<usize>())
            .sum();
        let lists: usize = self
            .features
            .iter()
            .chain(self.amenities.values().flatten())
            .chain(&self.virtual_tours)
            .chain(self.urls.values())
            .map(|s| s.len() + 8)
            .sum::<usize>()
            + images;
        let people: usize = [&self.agent, &self.office]
            .into_iter()
            .flatten()
            .map(|c| opt(&c.id) + opt(&c.name) + opt(&c.email) + opt(&c.phone) + 48)
            .sum();
        let charges =
            self.charges.len() * 96 + self.charges.iter().map(|c| opt(&c.label)).sum::<usize>();
        let a = &self.address;
        let address = [
            &a.display,
            &a.street_number,
            &a.street,
            &a.unit,
            &a.locality,
            &a.county,
            &a.country,
            &a.province,
            &a.town,
            &a.postal_code,
        ]
        .into_iter()
        .map(|part| opt(part) + 16)
        .sum::<usize>();
        let free = texts
            + lists
            + people
            + charges
            + address
            + opt(&self.reference)
            + opt(&self.property_type)
            + opt(&self.source_status);
        free + free / 8 + 1024
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_reads_back_as_its_listing_and_fits_its_estimate() {
        let listing: Listing = serde_json::from_str(
            r#"{"externalId":"A1","transaction":"sale",
                "price":{"kind":"amount","amount":{"minor":25000000,"currency":"EUR"}},
                "address":{"town":"Jávea","location":{"latitude":38.79,"longitude":0.17}},
                "texts":{"en":{"title":"Villa \"Sol\"","description":"Sea views.\nPool."},
                         "es":{"description":"Vistas al mar."}},
                "features":["pool","sea views"],"images":["https://img.example/1.jpg"]}"#,
        )
        .unwrap();
        let document = listing.to_document();
        assert_eq!(serde_json::from_str::<Listing>(&document).unwrap(), listing);
        assert!(document.len() <= listing.json_len_estimate(), "{document}");
        let record = ListingRecord::new(listing.clone(), |l| l.external_id.to_string());
        assert_eq!(record.content_hash, "A1");
    }
}
