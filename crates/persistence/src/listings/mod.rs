//! [`SqlListingStore`]: the domain's `ListingStore` on PostgreSQL and SQLite.

mod rows;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection as _, RunQueryDsl};
use propimport_domain::{
    ExternalId, ListingRecord, ListingStatus, ListingStore, Result, SourceName, SourceState,
    StoredListing, UpsertOutcome, WithdrawReport, withdrawal_blocked,
};

use self::rows::{PropertyRow, SourceStateRow, StoredRow, status_text};
use crate::Database;
use crate::error::from_diesel;
use crate::schema::properties::dsl as p;
use crate::schema::source_state::dsl as ss;
use crate::sql_types::DbTime;

/// Rows written per statement: 500 rows × 25 columns stays below SQLite's 32,766 and
/// PostgreSQL's 65,535 bind parameters.
const ROWS_PER_STATEMENT: usize = 500;

const ACTIVE: &str = "active";

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
}

/// Decides each record's outcome from the stored (hash, status) of its id.
fn outcomes(
    batch: &[ListingRecord],
    stored: &HashMap<String, (String, String)>,
) -> Vec<UpsertOutcome> {
    batch
        .iter()
        .map(|r| match stored.get(r.listing.external_id.as_str()) {
            None => UpsertOutcome::Inserted,
            Some((hash, status)) if hash == &r.content_hash && status == ACTIVE => {
                UpsertOutcome::Unchanged
            }
            Some(_) => UpsertOutcome::Updated,
        })
        .collect()
}

#[async_trait]
impl ListingStore for SqlListingStore {
    async fn upsert_batch(
        &self,
        source: &SourceName,
        batch: &[ListingRecord],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<UpsertOutcome>> {
        let mut all = Vec::with_capacity(batch.len());
        for chunk in batch.chunks(ROWS_PER_STATEMENT) {
            all.extend(self.upsert_chunk(source, chunk, seen_at).await?);
        }
        Ok(all)
    }

    async fn withdraw_unseen(
        &self,
        source: &SourceName,
        started: DateTime<Utc>,
        max_fraction: f64,
        now: DateTime<Utc>,
    ) -> Result<WithdrawReport> {
        let (src, started, now) = (source.to_string(), DbTime(started), DbTime(now));
        with_write_conn!(self.db, |conn, _dialect| {
            conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
                let active_before: i64 = p::properties
                    .filter(p::source.eq(&src))
                    .filter(p::status.eq(ACTIVE))
                    .count()
                    .get_result(conn)
                    .await?;
                let unseen = p::properties
                    .filter(p::source.eq(&src))
                    .filter(p::status.eq(ACTIVE))
                    .filter(p::last_seen_at.lt(started));
                let missing: i64 = unseen.count().get_result(conn).await?;
                if withdrawal_blocked(active_before, missing, max_fraction) {
                    return Ok(WithdrawReport {
                        active_before,
                        missing,
                        withdrawn: 0,
                        blocked: true,
                    });
                }
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
        let src = source.to_string();
        let seen = DbTime(seen_at);
        let mut total = 0u64;
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let keys: Vec<&str> = chunk.iter().map(ExternalId::as_str).collect();
            let n: usize = with_write_conn!(self.db, |conn, _dialect| {
                diesel::update(
                    p::properties
                        .filter(p::source.eq(&src))
                        .filter(p::external_id.eq_any(&keys)),
                )
                .set(p::last_seen_at.eq(seen))
                .execute(conn)
                .await
                .map_err(from_diesel)?
            });
            total += n as u64;
        }
        Ok(total)
    }

    async fn withdraw_ids(
        &self,
        source: &SourceName,
        ids: &[ExternalId],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let src = source.to_string();
        let now = DbTime(now);
        let mut total = 0u64;
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let keys: Vec<&str> = chunk.iter().map(ExternalId::as_str).collect();
            let n: usize = with_write_conn!(self.db, |conn, _dialect| {
                diesel::update(
                    p::properties
                        .filter(p::source.eq(&src))
                        .filter(p::status.eq(ACTIVE))
                        .filter(p::external_id.eq_any(&keys)),
                )
                .set((
                    p::status.eq(status_text(ListingStatus::Withdrawn)),
                    p::withdrawn_at.eq(now),
                    p::updated_at.eq(now),
                ))
                .execute(conn)
                .await
                .map_err(from_diesel)?
            });
            total += n as u64;
        }
        Ok(total)
    }

    async fn get_listing(
        &self,
        source: &SourceName,
        id: &ExternalId,
    ) -> Result<Option<StoredListing>> {
        let (src, key) = (source.to_string(), id.to_string());
        let row: Option<StoredRow> = with_conn!(self.db, |conn, _dialect| {
            p::properties
                .filter(p::source.eq(&src))
                .filter(p::external_id.eq(&key))
                .select(StoredRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(from_diesel)?
        });
        row.map(StoredRow::into_domain).transpose()
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
}

/// The upsert of listing rows: insert, or overwrite everything but the first-seen and
/// creation times when (source, external id) exists.
macro_rules! upsert_statement {
    ($values:expr) => {
        diesel::insert_into(p::properties)
            .values($values)
            .on_conflict((p::source, p::external_id))
            .do_update()
            .set((
                p::status.eq(excluded(p::status)),
                p::content_hash.eq(excluded(p::content_hash)),
                p::transaction_type.eq(excluded(p::transaction_type)),
                p::price_minor.eq(excluded(p::price_minor)),
                p::currency.eq(excluded(p::currency)),
                p::property_type.eq(excluded(p::property_type)),
                p::bedrooms.eq(excluded(p::bedrooms)),
                p::bathrooms.eq(excluded(p::bathrooms)),
                p::built_area_m2.eq(excluded(p::built_area_m2)),
                p::plot_area_m2.eq(excluded(p::plot_area_m2)),
                p::country.eq(excluded(p::country)),
                p::province.eq(excluded(p::province)),
                p::town.eq(excluded(p::town)),
                p::postal_code.eq(excluded(p::postal_code)),
                p::latitude.eq(excluded(p::latitude)),
                p::longitude.eq(excluded(p::longitude)),
                p::data.eq(excluded(p::data)),
                p::source_modified_at.eq(excluded(p::source_modified_at)),
                p::last_seen_at.eq(excluded(p::last_seen_at)),
                p::withdrawn_at.eq(excluded(p::withdrawn_at)),
                p::updated_at.eq(excluded(p::updated_at)),
            ))
    };
}

/// Writes upsert rows: one multi-row statement on PostgreSQL; one statement per row on
/// SQLite, whose async wrapper cannot build multi-row inserts (inside the caller's
/// transaction, so still one commit per chunk).
trait WriteRows {
    fn write_rows(
        &mut self,
        rows: &[PropertyRow<'_>],
    ) -> impl Future<Output = QueryResult<()>> + Send;
}

impl WriteRows for diesel_async::AsyncPgConnection {
    async fn write_rows(&mut self, rows: &[PropertyRow<'_>]) -> QueryResult<()> {
        upsert_statement!(rows).execute(self).await.map(drop)
    }
}

impl WriteRows for crate::database::SqliteConn {
    async fn write_rows(&mut self, rows: &[PropertyRow<'_>]) -> QueryResult<()> {
        for row in rows {
            upsert_statement!(row).execute(self).await?;
        }
        Ok(())
    }
}

/// An error inside a transaction: the database's (which rolls it back) or ours.
enum TxError {
    Db(diesel::result::Error),
    Domain(propimport_domain::Error),
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

impl From<propimport_domain::Error> for TxError {
    fn from(e: propimport_domain::Error) -> Self {
        Self::Domain(e)
    }
}

impl TxError {
    fn into_domain(self) -> propimport_domain::Error {
        match self {
            Self::Db(e) => from_diesel(e),
            Self::Domain(e) => e,
        }
    }
}

impl SqlListingStore {
    /// One chunk in one transaction: read the stored hashes, write new and changed rows with
    /// one multi-row upsert, touch the unchanged ones.
    async fn upsert_chunk(
        &self,
        source: &SourceName,
        chunk: &[ListingRecord],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<UpsertOutcome>> {
        let src = source.to_string();
        let seen = DbTime(seen_at);
        let keys: Vec<&str> = chunk
            .iter()
            .map(|r| r.listing.external_id.as_str())
            .collect();
        with_write_conn!(self.db, |conn, _dialect| {
            let src = &src;
            let keys = &keys;
            conn.transaction::<_, TxError, _>(async move |conn| {
                {
                    let stored: Vec<(String, String, String)> = p::properties
                        .filter(p::source.eq(src))
                        .filter(p::external_id.eq_any(keys))
                        .select((p::external_id, p::content_hash, p::status))
                        .load(conn)
                        .await?;
                    let stored: HashMap<String, (String, String)> = stored
                        .into_iter()
                        .map(|(id, hash, status)| (id, (hash, status)))
                        .collect();
                    let outcomes = outcomes(chunk, &stored);
                    // The last copy of an id wins; earlier copies are not written.
                    let mut last: HashMap<&str, usize> = HashMap::new();
                    for (i, r) in chunk.iter().enumerate() {
                        last.insert(r.listing.external_id.as_str(), i);
                    }
                    let mut rows = Vec::new();
                    let mut unchanged = Vec::new();
                    for (i, (r, outcome)) in chunk.iter().zip(&outcomes).enumerate() {
                        if last.get(r.listing.external_id.as_str()) != Some(&i) {
                            continue;
                        }
                        match outcome {
                            UpsertOutcome::Unchanged => {
                                unchanged.push(r.listing.external_id.as_str())
                            }
                            _ => rows.push(PropertyRow::new(src, r, seen)?),
                        }
                    }
                    if !rows.is_empty() {
                        conn.write_rows(&rows).await?;
                    }
                    if !unchanged.is_empty() {
                        diesel::update(
                            p::properties
                                .filter(p::source.eq(src))
                                .filter(p::external_id.eq_any(&unchanged)),
                        )
                        .set(p::last_seen_at.eq(seen))
                        .execute(conn)
                        .await?;
                    }
                    Ok(outcomes)
                }
            })
            .await
            .map_err(TxError::into_domain)
        })
    }
}
