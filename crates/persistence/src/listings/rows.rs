//! Rows of `properties` and `source_state`.

use diesel::prelude::*;
use propimport_domain::{
    JobName, ListingRecord, ListingStatus, Price, RecordKey, Result, SourceRecord, SourceState,
    StoredListing, Transaction,
};

use crate::error::{corrupt, corrupt_value};
use crate::schema::{properties, source_state};
use crate::sql_types::DbTime;

/// A listing row to insert or to overwrite on conflict.
#[derive(Debug, Insertable)]
#[diesel(table_name = properties, treat_none_as_default_value = false)]
pub(crate) struct PropertyRow<'a> {
    pub(crate) source: &'a str,
    pub(crate) external_id: &'a str,
    pub(crate) status: &'static str,
    pub(crate) content_hash: &'a str,
    pub(crate) transaction_type: &'static str,
    pub(crate) price_minor: Option<i64>,
    pub(crate) currency: Option<String>,
    pub(crate) property_type: Option<&'a str>,
    pub(crate) bedrooms: Option<i32>,
    pub(crate) bathrooms: Option<i32>,
    pub(crate) built_area_m2: Option<i32>,
    pub(crate) plot_area_m2: Option<i32>,
    pub(crate) country: Option<&'a str>,
    pub(crate) province: Option<&'a str>,
    pub(crate) town: Option<&'a str>,
    pub(crate) postal_code: Option<&'a str>,
    pub(crate) latitude: Option<f64>,
    pub(crate) longitude: Option<f64>,
    pub(crate) data: String,
    pub(crate) source_modified_at: Option<DbTime>,
    pub(crate) first_seen_at: DbTime,
    pub(crate) withdrawn_at: Option<DbTime>,
    pub(crate) created_at: DbTime,
    pub(crate) updated_at: DbTime,
    pub(crate) source_format: Option<&'a str>,
    /// The kept source record, packed against `data` ([`super::kept::pack`]).
    pub(crate) source_record: Option<Vec<u8>>,
    /// The record's key, when its format gives one.
    pub(crate) record_key: Option<&'a [u8]>,
}

pub(crate) fn transaction_text(t: Transaction) -> &'static str {
    match t {
        Transaction::Sale => "sale",
        Transaction::RentMonthly => "rent_monthly",
        Transaction::RentWeekly => "rent_weekly",
    }
}

pub(crate) fn status_text(s: ListingStatus) -> &'static str {
    match s {
        ListingStatus::Active => "active",
        ListingStatus::Withdrawn => "withdrawn",
    }
}

impl<'a> PropertyRow<'a> {
    /// The listing's id in its source.
    pub(crate) fn external_id(&self) -> &'a str {
        self.external_id
    }

    /// The row of an active listing seen at `seen` (its document serialized and its source
    /// record compressed here, for the listings that are written only).
    pub(crate) fn new(source: &'a str, record: &'a ListingRecord, seen: DbTime) -> Result<Self> {
        let l = &record.listing;
        let (price_minor, currency) = match &l.price {
            Price::Amount { amount } => (Some(amount.minor()), Some(amount.currency())),
            Price::OnRequest => (None, None),
        };
        let data = l.to_document();
        let source_record = record
            .source
            .as_ref()
            .map(|s| super::kept::pack(&s.bytes, data.as_bytes()));
        Ok(Self {
            source,
            external_id: l.external_id.as_str(),
            status: status_text(ListingStatus::Active),
            content_hash: &record.content_hash,
            transaction_type: transaction_text(l.transaction),
            price_minor,
            currency: currency.map(|c| c.as_str().to_owned()),
            property_type: l.property_type.as_deref(),
            bedrooms: l.bedrooms.map(i32::from),
            bathrooms: l.bathrooms.map(i32::from),
            built_area_m2: l.built_area_m2.and_then(|v| i32::try_from(v).ok()),
            plot_area_m2: l.plot_area_m2.and_then(|v| i32::try_from(v).ok()),
            country: l.address.country.as_deref(),
            province: l.address.province.as_deref(),
            town: l.address.town.as_deref(),
            postal_code: l.address.postal_code.as_deref(),
            latitude: l.address.location.map(|p| p.latitude()),
            longitude: l.address.location.map(|p| p.longitude()),
            data,
            source_modified_at: l.source_modified_at.map(DbTime),
            first_seen_at: seen,
            withdrawn_at: None,
            created_at: seen,
            updated_at: seen,
            source_format: record.source.as_ref().map(|s| &*s.format),
            source_record,
            record_key: record.record_key.as_ref().map(|k| &k.0[..]),
        })
    }
}

/// Rows as columns, to bind as arrays (PostgreSQL's `unnest`): one statement text whatever
/// the number of rows, prepared once per connection.
#[derive(Debug, Default)]
pub(crate) struct PropertyColumns<'a> {
    pub(crate) external_id: Vec<&'a str>,
    pub(crate) content_hash: Vec<&'a str>,
    pub(crate) transaction_type: Vec<&'static str>,
    pub(crate) price_minor: Vec<Option<i64>>,
    pub(crate) currency: Vec<Option<String>>,
    pub(crate) property_type: Vec<Option<&'a str>>,
    pub(crate) bedrooms: Vec<Option<i32>>,
    pub(crate) bathrooms: Vec<Option<i32>>,
    pub(crate) built_area_m2: Vec<Option<i32>>,
    pub(crate) plot_area_m2: Vec<Option<i32>>,
    pub(crate) country: Vec<Option<&'a str>>,
    pub(crate) province: Vec<Option<&'a str>>,
    pub(crate) town: Vec<Option<&'a str>>,
    pub(crate) postal_code: Vec<Option<&'a str>>,
    pub(crate) latitude: Vec<Option<f64>>,
    pub(crate) longitude: Vec<Option<f64>>,
    pub(crate) data: Vec<String>,
    pub(crate) source_modified_at: Vec<Option<DbTime>>,
    pub(crate) source_format: Vec<Option<&'a str>>,
    pub(crate) source_record: Vec<Option<Vec<u8>>>,
    pub(crate) record_key: Vec<Option<&'a [u8]>>,
}

impl<'a> PropertyColumns<'a> {
    /// The columns of `rows` that vary by row (source, status and the times are the same for
    /// every row of a chunk).
    pub(crate) fn of(rows: Vec<PropertyRow<'a>>) -> Self {
        let mut c = Self::default();
        for r in rows {
            c.external_id.push(r.external_id);
            c.content_hash.push(r.content_hash);
            c.transaction_type.push(r.transaction_type);
            c.price_minor.push(r.price_minor);
            c.currency.push(r.currency);
            c.property_type.push(r.property_type);
            c.bedrooms.push(r.bedrooms);
            c.bathrooms.push(r.bathrooms);
            c.built_area_m2.push(r.built_area_m2);
            c.plot_area_m2.push(r.plot_area_m2);
            c.country.push(r.country);
            c.province.push(r.province);
            c.town.push(r.town);
            c.postal_code.push(r.postal_code);
            c.latitude.push(r.latitude);
            c.longitude.push(r.longitude);
            c.data.push(r.data);
            c.source_modified_at.push(r.source_modified_at);
            c.source_format.push(r.source_format);
            c.source_record.push(r.source_record);
            c.record_key.push(r.record_key);
        }
        c
    }
}

/// A stored listing as read back.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = properties)]
pub(crate) struct StoredRow {
    source: String,
    status: String,
    content_hash: String,
    data: String,
    first_seen_at: DbTime,
    withdrawn_at: Option<DbTime>,
    source_format: Option<String>,
    source_record: Option<Vec<u8>>,
    record_key: Option<Vec<u8>>,
}

impl StoredRow {
    /// The stored listing, last seen at `last_seen_at` (from `property_seen`; its update
    /// time if it has no row there).
    pub(crate) fn into_domain(self, last_seen_at: Option<DbTime>) -> Result<StoredListing> {
        Ok(StoredListing {
            source: JobName::parse(&self.source).map_err(|e| corrupt("source", e))?,
            listing: serde_json::from_str(&self.data).map_err(|e| corrupt("listing data", e))?,
            status: match self.status.as_str() {
                "active" => ListingStatus::Active,
                "withdrawn" => ListingStatus::Withdrawn,
                other => return Err(corrupt_value("listing status", other)),
            },
            content_hash: self.content_hash,
            first_seen_at: self.first_seen_at.0,
            last_seen_at: last_seen_at.map_or(self.first_seen_at.0, |t| t.0),
            withdrawn_at: self.withdrawn_at.map(|t| t.0),
            source_record: match (self.source_format, self.source_record) {
                (Some(format), Some(stored)) => Some(SourceRecord {
                    format: format.into(),
                    bytes: super::kept::unpack(&stored, self.data.as_bytes())
                        .map_err(|e| corrupt_value("source record", &e))?,
                }),
                _ => None,
            },
            record_key: match self.record_key {
                Some(stored) => Some(
                    RecordKey::from_slice(&stored)
                        .ok_or_else(|| corrupt_value("record key", &format!("{stored:02x?}")))?,
                ),
                None => None,
            },
        })
    }
}

/// A `source_state` row.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = source_state)]
pub(crate) struct SourceStateRow {
    source: String,
    watermark: Option<DbTime>,
    last_snapshot_at: Option<DbTime>,
    updated_at: DbTime,
}

impl SourceStateRow {
    pub(crate) fn of(s: &SourceState, now: DbTime) -> Self {
        Self {
            source: s.source.to_string(),
            watermark: s.watermark.map(DbTime),
            last_snapshot_at: s.last_snapshot_at.map(DbTime),
            updated_at: now,
        }
    }

    pub(crate) fn into_domain(self) -> Result<SourceState> {
        Ok(SourceState {
            source: JobName::parse(&self.source).map_err(|e| corrupt("source", e))?,
            watermark: self.watermark.map(|t| t.0),
            last_snapshot_at: self.last_snapshot_at.map(|t| t.0),
        })
    }
}
