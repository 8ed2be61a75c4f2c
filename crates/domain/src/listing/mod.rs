//! The canonical listing every feed format is mapped to, with the parse-don't-validate types
//! its fields are made of.

mod fields;
mod money;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use fields::{ExternalId, GeoPoint, LanguageCode};
pub use money::{Currency, Money, Price};

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

/// One listing as propimport stores it, whatever feed it came from.
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
    /// The asking price, or "on request".
    pub price: Price,
    /// The kind of property, lower-case (`villa`, `apartment`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property_type: Option<String>,
    /// Bedrooms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bedrooms: Option<u16>,
    /// Bathrooms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bathrooms: Option<u16>,
    /// Built area in m².
    #[serde(skip_serializing_if = "Option::is_none")]
    pub built_area_m2: Option<u32>,
    /// Plot area in m².
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plot_area_m2: Option<u32>,
    /// Where it is.
    #[serde(default)]
    pub address: Address,
    /// Titles and descriptions by language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub texts: BTreeMap<LanguageCode, LocalizedText>,
    /// Features (`pool`, `sea views`…), as given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// Image URLs in display order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
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
    /// When the source last changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_modified_at: Option<DateTime<Utc>>,
}

/// A listing ready to store, with the hash that decides whether a stored copy is unchanged
/// (the importer's hash of the normalized listing and its mapping version). The stored
/// document, the listing's canonical JSON ([`Listing::to_document`]), is made only for the
/// listings that are written.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingRecord {
    /// The listing.
    pub listing: Listing,
    /// Hex hash of the normalized listing and the mapping version.
    pub content_hash: String,
}

impl ListingRecord {
    /// The record of `listing`, with the hash `hash` gives of it.
    pub fn new(listing: Listing, hash: impl FnOnce(&Listing) -> String) -> Self {
        let content_hash = hash(&listing);
        Self {
            listing,
            content_hash,
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
        let lists: usize = self
            .features
            .iter()
            .chain(&self.images)
            .chain(self.urls.values())
            .map(|s| s.len() + 8)
            .sum();
        let address = opt(&self.address.country)
            + opt(&self.address.province)
            + opt(&self.address.town)
            + opt(&self.address.postal_code);
        let free = texts + lists + address + opt(&self.reference) + opt(&self.property_type);
        free + free / 8 + 512
    }
}

/// What an upsert did with one listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpsertOutcome {
    /// It was new.
    Inserted,
    /// It existed with other content (or was withdrawn and came back).
    Updated,
    /// It existed with the same content; only its last-seen time moved.
    Unchanged,
}

/// Whether a stored listing is on the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListingStatus {
    /// Published.
    Active,
    /// Gone from its source (kept, never deleted).
    Withdrawn,
}

/// A listing as stored, with its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredListing {
    /// The source.
    pub source: SourceName,
    /// The listing.
    pub listing: Listing,
    /// Active or withdrawn.
    pub status: ListingStatus,
    /// Its content hash.
    pub content_hash: String,
    /// First import that saw it.
    pub first_seen_at: DateTime<Utc>,
    /// Last import that saw it.
    pub last_seen_at: DateTime<Utc>,
    /// When it was withdrawn, if it is.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// The result of withdrawing the listings a complete snapshot did not contain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WithdrawReport {
    /// Active listings of the source before.
    pub active_before: i64,
    /// Active listings not seen since the snapshot began.
    pub missing: i64,
    /// How many were withdrawn (0 when blocked).
    pub withdrawn: i64,
    /// Whether the safety limit blocked the withdrawal.
    pub blocked: bool,
}

/// Per-source state kept between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceState {
    /// The source.
    pub source: SourceName,
    /// Incremental sources: the modification time up to which everything is stored.
    pub watermark: Option<DateTime<Utc>>,
    /// Snapshot sources: when the last complete snapshot was stored.
    pub last_snapshot_at: Option<DateTime<Utc>>,
}

/// Whether withdrawing `missing` of `active` listings exceeds `max_fraction` (the safety limit
/// against a truncated or broken snapshot). Every store decides with this function.
pub fn withdrawal_blocked(active: i64, missing: i64, max_fraction: f64) -> bool {
    #[expect(clippy::cast_precision_loss, reason = "listing counts far below 2^52")]
    let fraction = if active == 0 {
        0.0
    } else {
        missing as f64 / active as f64
    };
    fraction > max_fraction
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
