//! Maps one RESO `Property` record to the canonical [`Listing`], to a withdrawal (the record
//! says the listing is gone), or to the reason this record alone failed. `RESO.md` documents
//! every field; the rules that need a decision are:
//!
//! - identity: `ListingKey`, else `ListingKeyNumeric`, else `ListingId`; a record without
//!   any fails at `map`;
//! - gone: `MlgCanView` is false, or `StandardStatus` is Withdrawn, Canceled, Expired, Closed
//!   or Delete — such a record only needs its id;
//! - what fails a record: its id, its price and transaction (`ListPrice`, `LeaseAmount`,
//!   `CurrencyCode`, a lease's period) and `ModificationTimestamp`; every other field with a
//!   value that cannot be read is left out of the listing (logged at debug), so one odd
//!   optional field never hides a listing;
//! - lease: `PropertyType` ending in "Lease", or no `ListPrice` but a `LeaseAmount`; the
//!   period comes from `LeaseAmountFrequency` (monthly when absent, weekly, or annually, which
//!   is divided by 12); other periods fail at `map`;
//! - bathrooms: `BathroomsTotalInteger` or `BathroomsTotalDecimal` may carry a fraction
//!   (`rooms.rs`); areas are converted to whole m² from their units (square feet when none
//!   is given);
//! - nulls and blank strings are "not given"; unknown fields are ignored.

mod address;
mod charges;
mod features;
mod measures;
mod media;
mod people;
mod price;
mod rooms;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use propimport_domain::{Currency, ExternalId, LanguageCode, Listing, LocalizedText, MarketStatus};
use serde_json::Value;

use super::values::{Record, date, flag, given, letters, text, timestamp, whole};
use crate::formats::{RecordError, Stage, html};

/// What one record became.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A listing to store.
    Listing(Box<Listing>),
    /// A listing the source says is gone: withdraw it.
    Gone(ExternalId),
    /// The record failed alone.
    Failed(RecordError),
}

/// The field a record's id was read from, to ask the server for the record again by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyField {
    /// `ListingKey` (text).
    Key,
    /// `ListingKeyNumeric` (a number).
    KeyNumeric,
    /// `ListingId` (text).
    Id,
}

impl KeyField {
    /// The RESO field's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Key => "ListingKey",
            Self::KeyNumeric => "ListingKeyNumeric",
            Self::Id => "ListingId",
        }
    }

    /// The field of a name, as stored with a key to retry.
    pub(crate) fn of_name(name: &str) -> Option<Self> {
        [Self::Key, Self::KeyNumeric, Self::Id]
            .into_iter()
            .find(|field| field.name() == name)
    }
}

/// A mapped record, its `ModificationTimestamp` (for the watermark) when readable, and its
/// id with the field it came from, when it has one.
#[derive(Debug)]
pub(crate) struct Mapped {
    pub outcome: Outcome,
    pub modified: Option<DateTime<Utc>>,
    pub key: Option<(KeyField, String)>,
}

/// `StandardStatus` values (reduced to letters) that mean the listing is off the market.
const GONE_STATUSES: &[&str] = &[
    "withdrawn",
    "canceled",
    "cancelled",
    "expired",
    "closed",
    "delete",
    "deleted",
];

/// Why a record failed, before it is tied to its id and place.
struct Failure {
    stage: Stage,
    message: String,
}

type Result<T> = std::result::Result<T, Failure>;

fn unreadable(message: String) -> Failure {
    Failure {
        stage: Stage::Map,
        message,
    }
}

fn rejected(field: &str, error: &propimport_domain::Error) -> Failure {
    Failure {
        stage: Stage::Validate,
        message: format!("{field}: {error}"),
    }
}

/// Maps one record; `label` says where it is (`page 2, record 3`) and prefixes messages;
/// `currency` is used when the record has no `CurrencyCode`.
pub(crate) fn map(value: Value, currency: Currency, label: &str) -> Mapped {
    let Value::Object(record) = value else {
        let failure = RecordError {
            external_id: None,
            stage: Stage::Parse,
            message: format!("{label}: is not a JSON object"),
        };
        return Mapped {
            outcome: Outcome::Failed(failure),
            modified: None,
            key: None,
        };
    };
    let modified = timestamp(&record, "ModificationTimestamp").ok().flatten();
    let key = key(&record);
    let id = key.as_ref().map(|(_, id)| id.as_str());
    let outcome = match outcome(&record, id, currency) {
        Ok(outcome) => outcome,
        Err(failure) => Outcome::Failed(RecordError {
            external_id: id.map(str::to_owned),
            stage: failure.stage,
            message: format!("{label}: {}", failure.message),
        }),
    };
    Mapped {
        outcome,
        modified,
        key,
    }
}

/// The record's id: `ListingKey`, else `ListingKeyNumeric` (a whole number, or its digits
/// in a string), else `ListingId`.
fn key(record: &Record) -> Option<(KeyField, String)> {
    if let Some(key) = text(record, "ListingKey").ok().flatten() {
        return Some((KeyField::Key, key));
    }
    if let Some(key) = whole::<u64>(record, "ListingKeyNumeric").ok().flatten() {
        return Some((KeyField::KeyNumeric, key.to_string()));
    }
    let id = text(record, "ListingId").ok().flatten()?;
    Some((KeyField::Id, id))
}

fn outcome(record: &Record, id: Option<&str>, currency: Currency) -> Result<Outcome> {
    let Some(id) = id else {
        return Err(unreadable(
            "has no ListingKey, ListingKeyNumeric or ListingId".into(),
        ));
    };
    let external_id = ExternalId::parse(id).map_err(|e| rejected("ListingKey", &e))?;
    if is_gone(record) {
        return Ok(Outcome::Gone(external_id));
    }
    listing(record, external_id, currency).map(|l| Outcome::Listing(Box::new(l)))
}

/// Whether the record says its listing is off the market (see the module's rules).
fn is_gone(record: &Record) -> bool {
    let hidden = matches!(flag(record, "MlgCanView"), Ok(Some(false)));
    let status = text(record, "StandardStatus").ok().flatten();
    hidden || status.is_some_and(|s| GONE_STATUSES.contains(&letters(&s).as_str()))
}

/// The market status of a listing that is not gone: `Pending` and `Active Under Contract`
/// are pending, `Hold` is withdrawn (still published), anything else active.
fn status(r: &Record) -> MarketStatus {
    let status = soft(text(r, "StandardStatus")).unwrap_or_default();
    match letters(&status).as_str() {
        "pending" | "activeundercontract" => MarketStatus::Pending,
        "hold" => MarketStatus::Withdrawn,
        _ => MarketStatus::Active,
    }
}

fn listing(r: &Record, external_id: ExternalId, currency: Currency) -> Result<Listing> {
    let (transaction, price) = price::price(r, currency)?;
    let source_modified_at = field(timestamp(r, "ModificationTimestamp"))?;
    let currency = price::currency(r, currency)?;
    let kind = soft(text(r, "PropertySubType")).or(soft(text(r, "PropertyType")));
    let baths = rooms::bathrooms(r);
    let address_shown = !matches!(
        flag(r, "InternetAddressDisplayYN"),
        Ok(Some(false)) | Err(_)
    );
    let address = address::address(r, address_shown);
    let mut listing = Listing::new(external_id, transaction, price);
    listing.original_price = price::original(r, &listing.price, currency);
    listing.charges = charges::charges(r, currency);
    listing.reference = soft(text(r, "ListingId"));
    listing.status = status(r);
    listing.source_status = soft(text(r, "MlsStatus")).or(soft(text(r, "StandardStatus")));
    listing.property_type = kind.map(|k| k.to_lowercase());
    listing.bedrooms = soft(whole(r, "BedroomsTotal"));
    listing.bathrooms = baths.total;
    listing.bathrooms_full = baths.full;
    listing.bathrooms_half = baths.half;
    listing.rooms = soft(whole(r, "RoomsTotal"));
    listing.built_area_m2 = measures::built_area(r);
    listing.lot_size = measures::lot_size(r);
    listing.plot_area_m2 = listing.lot_size.and_then(|lot| lot.whole_square_metres());
    listing.plot_area_m2 = listing.plot_area_m2.filter(|m2| *m2 > 0);
    listing.year_built = soft(whole::<u16>(r, "YearBuilt")).filter(|y| *y > 0);
    listing.parking_spaces = rooms::spaces(r, "ParkingTotal");
    listing.garage_spaces = rooms::spaces(r, "GarageSpaces");
    listing.texts = texts(r, address.display.as_deref());
    listing.address = address;
    listing.amenities = features::amenities(r);
    let media = media::media(r);
    listing.images = media.photos;
    listing.floor_plans = media.floor_plans;
    listing.virtual_tours = media::virtual_tours(r);
    listing.pool = soft(flag(r, "PoolPrivateYN"));
    listing.new_build = soft(flag(r, "NewConstructionYN"));
    listing.agent = people::agent(r);
    listing.office = people::office(r);
    listing.listed_at = soft(date(r, "OnMarketDate")).or(soft(date(r, "ListingContractDate")));
    listing.source_modified_at = source_modified_at;
    Ok(listing)
}

/// A value reader's message as a `map` failure (for the fields a record cannot do without).
fn field<T>(read: std::result::Result<T, String>) -> Result<T> {
    read.map_err(unreadable)
}

/// A value of an optional field, or its default when it cannot be read (logged at debug).
fn soft<T: Default>(read: std::result::Result<T, String>) -> T {
    read.unwrap_or_else(|message| {
        tracing::debug!(%message, "RESO field left out");
        T::default()
    })
}

/// English title (the display address, unless `InternetAddressDisplayYN` forbids showing it)
/// and description (`PublicRemarks` as plain text).
fn texts(r: &Record, display: Option<&str>) -> BTreeMap<LanguageCode, LocalizedText> {
    let title = display.map(str::to_owned);
    let description = match given(r, "PublicRemarks") {
        Some(Value::String(remarks)) => Some(html::plain_text(remarks)).filter(|d| !d.is_empty()),
        _ => None,
    };
    let mut texts = BTreeMap::new();
    if (title.is_some() || description.is_some())
        && let Ok(english) = LanguageCode::parse("en")
    {
        texts.insert(english, LocalizedText { title, description });
    }
    texts
}
