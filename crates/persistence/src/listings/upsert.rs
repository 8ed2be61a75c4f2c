//! The batch upsert: outcomes from the stored hashes, one upsert for new and changed rows,
//! one update for the unchanged ones' last-seen time, all in one transaction per chunk.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection as _, RunQueryDsl};
use propimport_domain::{ListingRecord, Result, SourceName, UpsertOutcome};

use super::rows::PropertyRow;
use super::{ACTIVE, SqlListingStore};
use crate::error::TxError;
use crate::schema::properties::dsl as p;
use crate::sql_types::DbTime;

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

/// Reads the stored (id, hash, status) of a chunk's ids and moves the unchanged ones'
/// last-seen time. On PostgreSQL the ids are joined as an array (`unnest`), which is planned
/// as one unique-index lookup per id whatever the table's statistics: `external_id =
/// ANY($ids)` is planned from statistics, and on a table not analyzed yet (right after a large
/// first import) it is estimated to match most of the source, so each chunk scanned all the
/// source's rows. SQLite's `IN (…)` uses the unique index either way.
trait KeyedRows {
    fn stored(
        &mut self,
        src: &str,
        keys: &[&str],
    ) -> impl Future<Output = QueryResult<Vec<(String, String, String)>>> + Send;

    fn mark_seen(
        &mut self,
        src: &str,
        keys: &[&str],
        seen: DbTime,
    ) -> impl Future<Output = QueryResult<usize>> + Send;
}

/// A stored id with its hash and status.
#[derive(QueryableByName)]
struct StoredKey {
    #[diesel(sql_type = diesel::sql_types::Text)]
    external_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    content_hash: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
}

impl KeyedRows for diesel_async::AsyncPgConnection {
    async fn stored(
        &mut self,
        src: &str,
        keys: &[&str],
    ) -> QueryResult<Vec<(String, String, String)>> {
        use diesel::sql_types::{Array, Text};
        let rows: Vec<StoredKey> = diesel::sql_query(
            "SELECT p.external_id, p.content_hash, p.status \
             FROM unnest($2::text[]) AS k(external_id) \
             JOIN properties p ON p.source = $1 AND p.external_id = k.external_id",
        )
        .bind::<Text, _>(src)
        .bind::<Array<Text>, _>(keys)
        .load(self)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.external_id, r.content_hash, r.status))
            .collect())
    }

    async fn mark_seen(&mut self, src: &str, keys: &[&str], seen: DbTime) -> QueryResult<usize> {
        use diesel::sql_types::{Array, Text};
        diesel::sql_query(
            "UPDATE properties AS p SET last_seen_at = $3 \
             FROM unnest($2::text[]) AS k(external_id) \
             WHERE p.source = $1 AND p.external_id = k.external_id",
        )
        .bind::<Text, _>(src)
        .bind::<Array<Text>, _>(keys)
        .bind::<crate::sql_types::UtcTimestamp, _>(seen)
        .execute(self)
        .await
    }
}

impl KeyedRows for crate::database::SqliteConn {
    async fn stored(
        &mut self,
        src: &str,
        keys: &[&str],
    ) -> QueryResult<Vec<(String, String, String)>> {
        p::properties
            .filter(p::source.eq(src))
            .filter(p::external_id.eq_any(keys))
            .select((p::external_id, p::content_hash, p::status))
            .load(self)
            .await
    }

    async fn mark_seen(&mut self, src: &str, keys: &[&str], seen: DbTime) -> QueryResult<usize> {
        diesel::update(
            p::properties
                .filter(p::source.eq(src))
                .filter(p::external_id.eq_any(keys)),
        )
        .set(p::last_seen_at.eq(seen))
        .execute(self)
        .await
    }
}

impl SqlListingStore {
    /// One chunk in one transaction: read the stored hashes, write new and changed rows with
    /// one multi-row upsert, touch the unchanged ones.
    pub(super) async fn upsert_chunk(
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
                    let stored = conn.stored(src, keys).await?;
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
                        conn.mark_seen(src, &unchanged, seen).await?;
                    }
                    Ok(outcomes)
                }
            })
            .await
            .map_err(TxError::into_domain)
        })
    }
}
