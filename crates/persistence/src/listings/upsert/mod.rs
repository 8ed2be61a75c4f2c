//! The batch upsert: outcomes from the stored hashes (compared while setting the stored
//! listings' last-seen times), then one write of the new and changed rows with theirs, all in
//! one transaction per chunk. A chunk expected to be new ([`Expect::New`]) is inserted whole
//! without reading the stored hashes, and should one of its ids be stored after all, that
//! transaction is rolled back and the chunk written again in a second one, probed. Each
//! backend writes its own way ([`pg`], [`sqlite`]); what a chunk is and which of its rows are
//! written is decided here, once.

/// The conflict clause of both backends' upserts: everything but the first-seen and creation
/// times is overwritten, and a withdrawn listing that reappears is active again.
macro_rules! on_conflict_update {
    () => {
        "ON CONFLICT (source, external_id) DO UPDATE SET \
status = excluded.status, content_hash = excluded.content_hash, \
transaction_type = excluded.transaction_type, price_minor = excluded.price_minor, \
currency = excluded.currency, property_type = excluded.property_type, \
bedrooms = excluded.bedrooms, bathrooms = excluded.bathrooms, \
built_area_m2 = excluded.built_area_m2, plot_area_m2 = excluded.plot_area_m2, \
country = excluded.country, province = excluded.province, town = excluded.town, \
postal_code = excluded.postal_code, latitude = excluded.latitude, \
longitude = excluded.longitude, data = excluded.data, \
source_modified_at = excluded.source_modified_at, withdrawn_at = NULL, \
updated_at = excluded.updated_at, source_format = excluded.source_format, \
source_record = excluded.source_record, record_key = excluded.record_key"
    };
}

/// PostgreSQL's sightings of the listings a statement's CTE `found` holds (their ids in
/// `found.id`), at the time parameter `$at`: an update of the rows there are and an insertion
/// of the rows missing. Missing is asked of the table as the statement's snapshot has it
/// (every part of a statement sees the table as it was before it, so the rows the update
/// changes are still found there, by the index): asking the update's returned rows instead
/// was planned, whenever `found` was estimated at a row, as a nested loop over both, 125,000
/// comparisons and 15 ms per chunk of 500.
macro_rules! sight_found {
    ($at:literal) => {
        concat!(
            "updated AS ( \
    UPDATE property_seen s SET last_seen_at = ",
            $at,
            " FROM found WHERE s.property_id = found.id), \
added AS ( \
    INSERT INTO property_seen (property_id, last_seen_at) \
    SELECT DISTINCT f.id, ",
            $at,
            "::timestamptz FROM found f \
    WHERE NOT EXISTS (SELECT 1 FROM property_seen s WHERE s.property_id = f.id) \
    ON CONFLICT (property_id) DO UPDATE SET last_seen_at = excluded.last_seen_at) "
        )
    };
}

mod pg;
mod pg_known;
mod sqlite;
mod sqlite_upsert;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use propimport_domain::{ListingRecord, Result, SourceName, UpsertOutcome};

use super::rows::PropertyRow;
use super::{ACTIVE, SqlListingStore};
use crate::error::TxError;
use crate::sql_types::DbTime;

/// A record's id, content hash and record key (the last copy of an id in a chunk only: an
/// unchanged listing takes the key of its last copy), whose outcome is asked.
pub(super) type Probe<'a> = (&'a str, &'a str, Option<&'a [u8]>);

/// What a probe reads of a stored listing: its content hash, status and record key.
pub(super) type Stored = (String, String, Option<Vec<u8>>);

/// The outcome of a probe from what is stored of its id, if anything: unchanged when the
/// hash is the same and the listing active.
fn outcome((_, hash, _): &Probe<'_>, stored: Option<&Stored>) -> UpsertOutcome {
    match stored {
        None => UpsertOutcome::Inserted,
        Some((stored_hash, status, _)) if stored_hash == hash && status == ACTIVE => {
            UpsertOutcome::Unchanged
        }
        Some(_) => UpsertOutcome::Updated,
    }
}

/// Whether a probe found unchanged must have its record key stored: it has one (only the
/// last copy of an id in a chunk does), and the stored one is another.
fn rekeys((_, _, key): &Probe<'_>, stored: Option<&Stored>) -> bool {
    match (key, stored) {
        (Some(key), Some((_, _, stored_key))) => stored_key.as_deref() != Some(*key),
        _ => false,
    }
}

/// The 0-based places of the 1-based positions a statement gave among `len` rows; a position
/// out of range is an error.
fn places(ords: Vec<i64>, len: usize) -> QueryResult<Vec<usize>> {
    ords.into_iter()
        .map(|ord| {
            usize::try_from(ord - 1)
                .ok()
                .filter(|&at| at < len)
                .ok_or_else(|| {
                    diesel::result::Error::DeserializationError(
                        format!("position {ord} out of 1..={len}").into(),
                    )
                })
        })
        .collect()
}

/// The error of a PostgreSQL statement asked to bind a parameter it does not have.
fn unknown_parameter(n: usize) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(format!("no parameter ${n}").into())
}

/// What the caller expects of a chunk's listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    /// Nothing: the chunk is probed first.
    Any,
    /// That none is stored: the chunk is inserted without its probe, and written again, probed,
    /// when one is.
    New,
}

/// Whether a chunk's plain insert met a stored row: one stored before (an unprobed chunk),
/// or by another writer since the probe.
fn met_a_stored_row(error: &TxError) -> bool {
    matches!(
        error,
        TxError::Db(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _
        ))
    )
}

/// Listing writes of one backend's connection.
pub(super) trait ListingWrites {
    /// Probes a chunk of one source's records (setting the last-seen time of the stored
    /// listings among them to `seen`) and writes its new and changed rows with theirs, in one
    /// transaction (a savepoint inside the caller's, if any); gives each record's outcome.
    /// With [`Expect::New`] the probe may be left out (see the backend).
    fn write_chunk(
        &mut self,
        src: &str,
        chunk: &[ListingRecord],
        seen: DbTime,
        expect: Expect,
    ) -> impl Future<Output = std::result::Result<Vec<UpsertOutcome>, TxError>> + Send;

    /// Sets the last-seen time of the source's listings with these ids (adding their rows of
    /// `property_seen` where missing); gives how many were set.
    fn mark_seen(
        &mut self,
        src: &str,
        keys: &[&str],
        seen: DbTime,
    ) -> impl Future<Output = QueryResult<usize>> + Send;

    /// Sets the last-seen time of the source's active listings among `ids` stored with the
    /// key at the same place of `keys`, in one transaction (committed as a chunk's is); gives
    /// whether each was.
    fn touch_known(
        &mut self,
        src: &str,
        ids: &[&str],
        keys: &[&[u8]],
        seen: DbTime,
    ) -> impl Future<Output = std::result::Result<Vec<bool>, TxError>> + Send;
}

/// One chunk's work: its records, their probes and which copy of each id is written.
pub(super) struct ChunkJob<'a> {
    src: &'a str,
    chunk: &'a [ListingRecord],
    probes: Vec<Probe<'a>>,
    /// The position of the last copy of each id (earlier copies are not written).
    last: HashMap<&'a str, usize>,
    seen: DbTime,
}

impl<'a> ChunkJob<'a> {
    /// The work of writing `chunk` for source `src` at `seen`.
    pub(super) fn new(src: &'a str, chunk: &'a [ListingRecord], seen: DbTime) -> Self {
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(chunk.len());
        for (i, r) in chunk.iter().enumerate() {
            last.insert(r.listing.external_id.as_str(), i);
        }
        Self {
            src,
            chunk,
            probes: chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let id = r.listing.external_id.as_str();
                    let key = r.record_key.as_ref().filter(|_| last.get(id) == Some(&i));
                    (id, r.content_hash.as_str(), key.map(|k| &k.0[..]))
                })
                .collect(),
            last,
            seen,
        }
    }

    /// The rows to write once the probes' outcomes are known: the last copy of each id that
    /// is new or changed.
    pub(super) fn rows(&self, outcomes: &[UpsertOutcome]) -> Result<Vec<PropertyRow<'a>>> {
        let mut rows = Vec::new();
        for (i, (r, outcome)) in self.chunk.iter().zip(outcomes).enumerate() {
            let written = self.last.get(r.listing.external_id.as_str()) == Some(&i);
            if written && *outcome != UpsertOutcome::Unchanged {
                rows.push(PropertyRow::new(self.src, r, self.seen)?);
            }
        }
        Ok(rows)
    }

    /// The distinct ids of the chunk.
    pub(super) fn keys(&self) -> Vec<&'a str> {
        let mut keys: Vec<&str> = self.probes.iter().map(|(id, _, _)| *id).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

impl SqlListingStore {
    /// One chunk in one transaction: read the stored hashes (setting the stored listings'
    /// last-seen time), then write new and changed rows with theirs; or, for a chunk expected
    /// to be new, insert every row unprobed (and, should one be stored after all, roll that
    /// back and write the chunk probed in a second transaction).
    ///
    /// On PostgreSQL the transaction commits without waiting for its WAL to reach the disk
    /// (`synchronous_commit = off`, for this transaction only). WAL is flushed in order, so
    /// the run's finish, committed synchronously, makes every chunk before it durable; a
    /// crash mid-run can lose the last few chunks of a run that is then recorded as abandoned,
    /// and the next run writes them again. Nothing is ever half-written.
    pub(super) async fn upsert_chunk(
        &self,
        source: &SourceName,
        chunk: &[ListingRecord],
        seen_at: DateTime<Utc>,
        expect: Expect,
    ) -> Result<Vec<UpsertOutcome>> {
        let src = source.to_string();
        let seen = DbTime(seen_at);
        with_write_conn!(self.db, |conn, _dialect| {
            conn.write_chunk(&src, chunk, seen, expect)
                .await
                .map_err(TxError::into_domain)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::places;

    #[test]
    fn positions_out_of_range_are_errors() {
        assert_eq!(places(vec![1, 3], 3).unwrap(), [0, 2]);
        assert!(places(Vec::new(), 0).unwrap().is_empty());
        for bad in [0, 4, -1] {
            let error = places(vec![bad], 3).unwrap_err().to_string();
            assert!(
                error.contains(&format!("position {bad} out of 1..=3")),
                "{error}"
            );
        }
    }
}
