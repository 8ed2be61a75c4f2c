//! [`SqlListingStore`]: the domain's `ListingStore` on PostgreSQL and SQLite.

mod kept;
mod known;
mod retry;
mod rows;
mod upsert;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection as _, RunQueryDsl};
use propimport_domain::{
    ExternalId, KeptRecord, KnownRecord, KnownRecords, ListingRecord, ListingStatus, ListingStore,
    Result, RetryKey, SourceName, SourceRecord, SourceState, StoredListing, UpsertOutcome,
    WithdrawReport, withdrawal_blocked,
};

#[cfg(feature = "testing")]
pub(crate) use self::known::WALK_THE_INDEX;
use self::rows::{SourceStateRow, StoredRow, status_text};
use self::upsert::{Expect, ListingWrites as _};
use crate::Database;
use crate::error::{corrupt, corrupt_value, from_diesel};
use crate::schema::properties::dsl as p;
use crate::schema::property_seen::dsl as ps;
use crate::schema::source_state::dsl as ss;
use crate::sql_types::DbTime;

/// Rows per upsert transaction, and ids per statement where ids are bound one parameter each
/// (500 stays well below SQLite's 32,766 bind parameters). PostgreSQL binds arrays, but larger
/// chunks were slower there: with 2,000 ids the planner joins them by scanning the source's
/// rows instead of looking each up.
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

pub(crate) const ACTIVE: &str = "active";

/// Listings and per-source state stored in a [`Database`].
#[derive(Debug, Clone)]
pub struct SqlListingStore {
    db: Database,
}

impl SqlListingStore {
    /// A store on `db` (which must be migrated).
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Writes `batch` a chunk of [`ROWS_PER_STATEMENT`] at a time, each in its transaction.
    async fn upsert_chunks(
        &self,
        source: &SourceName,
        batch: &[ListingRecord],
        seen_at: DateTime<Utc>,
        mut expect: Expect,
    ) -> Result<Vec<UpsertOutcome>> {
        let mut all = Vec::with_capacity(batch.len());
        for chunk in batch.chunks(ROWS_PER_STATEMENT) {
            let outcomes = self.upsert_chunk(source, chunk, seen_at, expect).await?;
            // A stored listing met ends the expectation for the rest of the batch.
            if outcomes.iter().any(|o| *o != UpsertOutcome::Inserted) {
                expect = Expect::Any;
            }
            all.extend(outcomes);
        }
        Ok(all)
    }
}

#[async_trait]
impl ListingStore for SqlListingStore {
    async fn upsert_batch(
        &self,
        source: &SourceName,
        batch: &[ListingRecord],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<UpsertOutcome>> {
        self.upsert_chunks(source, batch, seen_at, Expect::Any)
            .await
    }

    /// Each chunk is inserted without its probe; a chunk in which a listing is stored after
    /// all is rolled back and written again, probed, by upserts.
    async fn upsert_new_batch(
        &self,
        source: &SourceName,
        batch: &[ListingRecord],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<UpsertOutcome>> {
        self.upsert_chunks(source, batch, seen_at, Expect::New)
            .await
    }

    async fn known_records(&self, source: &SourceName) -> Result<KnownRecords> {
        self.read_known(source).await
    }

    async fn touch_known(
        &self,
        source: &SourceName,
        records: &[KnownRecord],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<bool>> {
        self.touch_known_chunks(source, records, DbTime(seen_at))
            .await
    }

    async fn withdraw_unseen(
        &self,
        source: &SourceName,
        started: DateTime<Utc>,
        max_fraction: f64,
        now: DateTime<Utc>,
    ) -> Result<WithdrawReport> {
        let (src, started, now) = (source.to_string(), DbTime(started), DbTime(now));
        // Counts and updates all of the source's active listings (hundreds of thousands in a
        // large feed): bounded by the bulk bound rather than DATABASE_TIMEOUT.
        with_write_conn!(self.db, bound = self.db.bulk_bound(), |conn, _dialect| {
            conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
                // Both counts in one pass over the source's active listings and their
                // sightings (a hash join, rather than a probe of the sightings per listing).
                let (active_before, missing): (i64, i64) = p::properties
                    .left_join(ps::property_seen)
                    .filter(p::source.eq(&src))
                    .filter(p::status.eq(ACTIVE))
                    .select((
                        diesel::dsl::count_star(),
                        diesel::dsl::count(p::id).aggregate_filter(
                            ps::last_seen_at.is_null().or(ps::last_seen_at.lt(started)),
                        ),
                    ))
                    .get_result(conn)
                    .await?;
                if missing == 0 || withdrawal_blocked(active_before, missing, max_fraction) {
                    return Ok(WithdrawReport {
                        active_before,
                        missing,
                        withdrawn: 0,
                        blocked: missing > 0,
                    });
                }
                // Active listings without a sighting since the run started.
                let seen_since = ps::property_seen
                    .filter(ps::property_id.eq(p::id))
                    .filter(ps::last_seen_at.ge(started));
                let unseen = p::properties
                    .filter(p::source.eq(&src))
                    .filter(p::status.eq(ACTIVE))
                    .filter(diesel::dsl::not(diesel::dsl::exists(seen_since)));
                let withdrawn = diesel::update(unseen)
                    .set((
                        p::status.eq(status_text(ListingStatus::Withdrawn)),
                        p::withdrawn_at.eq(now),
                        p::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
                Ok(WithdrawReport {
                    active_before,
                    missing,
                    withdrawn: i64::try_from(withdrawn).unwrap_or(i64::MAX),
                    blocked: false,
                })
            })
            .await
            .map_err(from_diesel)
        })
    }

    async fn touch(
        &self,
        source: &SourceName,
        ids: &[ExternalId],
        seen_at: DateTime<Utc>,
    ) -> Result<u64> {
        self.update_ids(source, ids, IdChange::Seen(DbTime(seen_at)))
            .await
    }

    async fn withdraw_ids(
        &self,
        source: &SourceName,
        ids: &[ExternalId],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.update_ids(source, ids, IdChange::Withdraw(DbTime(now)))
            .await
    }

    async fn get_listing(
        &self,
        source: &SourceName,
        id: &ExternalId,
    ) -> Result<Option<StoredListing>> {
        let (src, key) = (source.to_string(), id.to_string());
        let row: Option<(StoredRow, Option<DbTime>)> = with_conn!(self.db, |conn, _dialect| {
            p::properties
                .left_join(ps::property_seen)
                .filter(p::source.eq(&src))
                .filter(p::external_id.eq(&key))
                .select((StoredRow::as_select(), ps::last_seen_at.nullable()))
                .first(conn)
                .await
                .optional()
                .map_err(from_diesel)?
        });
        row.map(|(row, seen)| row.into_domain(seen)).transpose()
    }

    async fn source_records(
        &self,
        source: &SourceName,
        after: Option<&ExternalId>,
        limit: usize,
    ) -> Result<Vec<(ExternalId, KeptRecord)>> {
        let src = source.to_string();
        let after = after.map(ExternalId::to_string);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<(String, Option<String>, Option<Vec<u8>>, String)> =
            with_conn!(self.db, |conn, _dialect| {
                let mut query = p::properties
                    .filter(p::source.eq(&src))
                    .filter(p::status.eq(ACTIVE))
                    .filter(p::source_record.is_not_null())
                    .into_boxed();
                if let Some(after) = &after {
                    query = query.filter(p::external_id.gt(after.clone()));
                }
                query
                    .order(p::external_id)
                    .limit(limit)
                    .select((p::external_id, p::source_format, p::source_record, p::data))
                    .load(conn)
                    .await
                    .map_err(from_diesel)?
            });
        rows.into_iter()
            .map(|(id, format, record, document)| {
                let id = ExternalId::parse(&id).map_err(|e| corrupt("external id", e))?;
                let format = format.ok_or_else(|| corrupt_value("source format", "NULL"))?;
                let stored = record.unwrap_or_default();
                let kept = kept::unpack(&stored, document.as_bytes()).map(|bytes| SourceRecord {
                    format: format.into(),
                    bytes,
                });
                Ok((id, kept))
            })
            .collect()
    }

    async fn count_active(&self, source: &SourceName) -> Result<i64> {
        let src = source.to_string();
        with_conn!(self.db, |conn, _dialect| {
            p::properties
                .filter(p::source.eq(&src))
                .filter(p::status.eq(ACTIVE))
                .count()
                .get_result(conn)
                .await
                .map_err(from_diesel)
        })
    }

    async fn has_active(&self, source: &SourceName) -> Result<bool> {
        let src = source.to_string();
        with_conn!(self.db, |conn, _dialect| {
            diesel::select(diesel::dsl::exists(
                p::properties
                    .filter(p::source.eq(&src))
                    .filter(p::status.eq(ACTIVE)),
            ))
            .get_result(conn)
            .await
            .map_err(from_diesel)
        })
    }

    async fn source_state(&self, source: &SourceName) -> Result<Option<SourceState>> {
        let src = source.to_string();
        let row: Option<SourceStateRow> = with_conn!(self.db, |conn, _dialect| {
            ss::source_state
                .filter(ss::source.eq(&src))
                .select(SourceStateRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(from_diesel)?
        });
        row.map(SourceStateRow::into_domain).transpose()
    }

    async fn save_source_state(&self, state: &SourceState) -> Result<()> {
        let row = SourceStateRow::of(state, DbTime(Utc::now()));
        with_write_conn!(self.db, |conn, _dialect| {
            diesel::insert_into(ss::source_state)
                .values(&row)
                .on_conflict(ss::source)
                .do_update()
                .set((
                    ss::watermark.eq(excluded(ss::watermark)),
                    ss::last_snapshot_at.eq(excluded(ss::last_snapshot_at)),
                    ss::updated_at.eq(excluded(ss::updated_at)),
                ))
                .execute(conn)
                .await
                .map_err(from_diesel)?;
        });
        Ok(())
    }

    async fn retry_keys(&self, source: &SourceName) -> Result<Vec<RetryKey>> {
        self.read_retry_keys(source).await
    }

    async fn add_retry_keys(&self, source: &SourceName, keys: &[RetryKey]) -> Result<()> {
        self.insert_retry_keys(source, keys).await
    }

    async fn clear_retry_keys(&self, source: &SourceName, ids: &[ExternalId]) -> Result<u64> {
        self.delete_retry_keys(source, ids).await
    }
}

/// A change applied to listings picked by id.
#[derive(Debug, Clone, Copy)]
enum IdChange {
    /// Mark as seen at this time.
    Seen(DbTime),
    /// Withdraw the active ones at this time.
    Withdraw(DbTime),
}

impl SqlListingStore {
    /// Applies `change` to the source's listings with these ids, a statement per chunk;
    /// returns how many rows changed.
    async fn update_ids(
        &self,
        source: &SourceName,
        ids: &[ExternalId],
        change: IdChange,
    ) -> Result<u64> {
        let src = source.to_string();
        let mut total = 0u64;
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let keys: Vec<&str> = chunk.iter().map(ExternalId::as_str).collect();
            let n: usize = with_write_conn!(self.db, |conn, _dialect| {
                let picked = p::properties
                    .filter(p::source.eq(&src))
                    .filter(p::external_id.eq_any(&keys));
                match change {
                    IdChange::Seen(at) => conn.mark_seen(&src, &keys, at).await,
                    IdChange::Withdraw(at) => {
                        diesel::update(picked.filter(p::status.eq(ACTIVE)))
                            .set((
                                p::status.eq(status_text(ListingStatus::Withdrawn)),
                                p::withdrawn_at.eq(at),
                                p::updated_at.eq(at),
                            ))
                            .execute(conn)
                            .await
                    }
                }
                .map_err(from_diesel)?
            });
            total += n as u64;
        }
        Ok(total)
    }
}
