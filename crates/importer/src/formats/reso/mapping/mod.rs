//! Maps one RESO `Property` record to the canonical [`Listing`], to a withdrawal (the record
//! says the listing is gone), or to the reason this record alone failed. `RESO.md` documents
//! every field; the rules that need a decision are:
//!
//! - identity: `ListingKey`, else `ListingId`; a record without either fails at `map`;
//! - gone: `MlgCanView` is false, or `StandardStatus` is Withdrawn, Canceled, Expired, Closed
//!   or Delete — such a record only needs its id;
//! - lease: `PropertyType` ending in "Lease", or no `ListPrice` but a `LeaseAmount`; the
//!   period comes from `LeaseAmountFrequency` (monthly when absent, weekly, or annually, which
//!   is divided by 12); other periods fail at `map`;
//! - areas are converted to whole m² from their units (square feet when none is given);
//! - nulls and blank strings are "not given"; unknown fields are ignored.

mod measures;
mod media;
mod price;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use propimport_domain::{
    Address, Currency, ExternalId, Image, LanguageCode, Listing, LocalizedText,
};
use serde_json::Value;

use super::values::{Record, flag, given, letters, text, timestamp, whole};
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

/// A mapped record and its `ModificationTimestamp` (for the watermark), when readable.
#[derive(Debug)]
pub(crate) struct Mapped {
    pub outcome: Outcome,
    pub modified: Option<DateTime<Utc>>,
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
        };
    };
    let modified = timestamp(&record, "ModificationTimestamp").ok().flatten();
    let id = text(&record, "ListingKey")
        .ok()
        .flatten()
        .or_else(|| text(&record, "ListingId").ok().flatten());
    let outcome = match outcome(&record, id.as_deref(), currency) {
        Ok(outcome) => outcome,
        Err(failure) => Outcome::Failed(RecordError {
            external_id: id,
            stage: failure.stage,
            message: format!("{label}: {}", failure.message),
        }),
    };
    Mapped { outcome, modified }
}

fn outcome(record: &Record, id: Option<&str>, currency: Currency) -> Result<Outcome> {
    let Some(id) = id else {
        return Err(unreadable("has no ListingKey or ListingId".into()));
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

fn listing(r: &Record, external_id: ExternalId, currency: Currency) -> Result<Listing> {
    let (transaction, price) = price::price(r, currency)?;
    let kind = field(text(r, "PropertySubType"))?.or(field(text(r, "PropertyType"))?);
    Ok(Listing {
        reference: field(text(r, "ListingId"))?,
        property_type: kind.map(|k| k.to_lowercase()),
        bedrooms: field(whole(r, "BedroomsTotal"))?,
        bathrooms: field(whole(r, "BathroomsTotalInteger"))?,
        built_area_m2: measures::area(r, "LivingArea", Some("LivingAreaUnits"), None)?,
        plot_area_m2: measures::lot_area(r)?,
        address: Address {
            country: field(text(r, "Country"))?,
            province: field(text(r, "StateOrProvince"))?,
            town: field(text(r, "City"))?,
            postal_code: field(text(r, "PostalCode"))?,
            location: measures::location(r)?,
            ..Address::default()
        },
        texts: texts(r)?,
        images: media::images(r)?.into_iter().map(Image::new).collect(),
        pool: field(flag(r, "PoolPrivateYN"))?,
        new_build: field(flag(r, "NewConstructionYN"))?,
        source_modified_at: field(timestamp(r, "ModificationTimestamp"))?,
        ..Listing::new(external_id, transaction, price)
    })
}

/// A value reader's message as a `map` failure.
fn field<T>(read: std::result::Result<T, String>) -> Result<T> {
    read.map_err(unreadable)
}

/// English title (the address, unless `InternetAddressDisplayYN` forbids showing it) and
/// description (`PublicRemarks` as plain text).
fn texts(r: &Record) -> Result<BTreeMap<LanguageCode, LocalizedText>> {
    let address_shown = matches!(flag(r, "InternetAddressDisplayYN"), Ok(None | Some(true)));
    let title = if address_shown {
        field(text(r, "UnparsedAddress"))?
    } else {
        None
    };
    let description = match given(r, "PublicRemarks") {
        None => None,
        Some(Value::String(remarks)) => Some(html::plain_text(remarks)).filter(|d| !d.is_empty()),
        Some(_) => return Err(unreadable("PublicRemarks: is not text".into())),
    };
    let mut texts = BTreeMap::new();
    if title.is_some() || description.is_some() {
        let english = LanguageCode::parse("en").map_err(|e| rejected("PublicRemarks", &e))?;
        texts.insert(english, LocalizedText { title, description });
    }
    Ok(texts)
}
