//! The batch upsert: outcomes from the stored hashes (read while setting the stored listings'
//! last-seen times), then one upsert for new and changed rows with theirs, all in one
//! transaction per chunk.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection as _, RunQueryDsl};
use propimport_domain::{ListingRecord, Result, SourceName, UpsertOutcome};

use super::rows::{PropertyColumns, PropertyRow};
use super::{ACTIVE, SqlListingStore};
use crate::error::TxError;
use crate::schema::properties::dsl as p;
use crate::schema::property_seen::dsl as ps;
use crate::sql_types::{DbTime, UtcTimestamp};

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

/// PostgreSQL's upsert of a chunk's rows with their last-seen rows, bound as one array per
/// column: a fixed text, so it is parsed and planned once per connection rather than once per
/// chunk (a multi-row VALUES list has a parameter per cell). `$1` source, `$2` the time for
/// first-seen, last-seen, creation and update, `$3…$20` the columns of [`PropertyColumns`].
const PG_UPSERT: &str = "\
WITH written AS ( \
INSERT INTO properties (source, external_id, status, content_hash, transaction_type, price_minor, \
    currency, property_type, bedrooms, bathrooms, built_area_m2, plot_area_m2, country, province, \
    town, postal_code, latitude, longitude, data, source_modified_at, first_seen_at, \
    withdrawn_at, created_at, updated_at) \
SELECT $1, r.external_id, 'active', r.content_hash, r.transaction_type, r.price_minor, \
    r.currency, r.property_type, r.bedrooms, r.bathrooms, r.built_area_m2, r.plot_area_m2, \
    r.country, r.province, r.town, r.postal_code, r.latitude, r.longitude, r.data, \
    r.source_modified_at, $2, NULL, $2, $2 \
FROM unnest($3::text[], $4::text[], $5::text[], $6::int8[], $7::text[], $8::text[], \
    $9::int4[], $10::int4[], $11::int4[], $12::int4[], $13::text[], $14::text[], $15::text[], \
    $16::text[], $17::float8[], $18::float8[], $19::text[], $20::timestamptz[]) \
    AS r (external_id, content_hash, transaction_type, price_minor, currency, property_type, \
    bedrooms, bathrooms, built_area_m2, plot_area_m2, country, province, town, postal_code, \
    latitude, longitude, data, source_modified_at) \
ON CONFLICT (source, external_id) DO UPDATE SET \
    status = excluded.status, content_hash = excluded.content_hash, \
    transaction_type = excluded.transaction_type, price_minor = excluded.price_minor, \
    currency = excluded.currency, property_type = excluded.property_type, \
    bedrooms = excluded.bedrooms, bathrooms = excluded.bathrooms, \
    built_area_m2 = excluded.built_area_m2, plot_area_m2 = excluded.plot_area_m2, \
    country = excluded.country, province = excluded.province, town = excluded.town, \
    postal_code = excluded.postal_code, latitude = excluded.latitude, \
    longitude = excluded.longitude, data = excluded.data, \
    source_modified_at = excluded.source_modified_at, withdrawn_at = NULL, \
    updated_at = excluded.updated_at \
RETURNING id) \
INSERT INTO property_seen (property_id, last_seen_at) SELECT id, $2 FROM written \
ON CONFLICT (property_id) DO UPDATE SET last_seen_at = excluded.last_seen_at";

/// Writes upsert rows and last-seen times.
///
/// PostgreSQL: one statement per chunk for the rows ([`PG_UPSERT`]) and one for the seen
/// times, ids joined as an array (`unnest`), which is planned as one unique-index lookup per id
/// whatever the table's statistics (`external_id = ANY($ids)` is planned from statistics, and
/// on a table not analyzed yet, right after a large first import, it was estimated to match
/// most of the source, so each chunk scanned all the source's rows). SQLite: a statement per
/// row, as its async wrapper cannot build multi-row inserts (inside the caller's transaction,
/// so still one commit per chunk); its `IN (…)` uses the unique index either way.
pub(super) trait ListingWrites {
    /// Inserts new rows and overwrites changed ones (all but first-seen and creation times),
    /// and sets their last-seen time to `seen`.
    fn write_rows(
        &mut self,
        src: &str,
        seen: DbTime,
        rows: Vec<PropertyRow<'_>>,
    ) -> impl Future<Output = QueryResult<()>> + Send;

    /// The stored (id, hash, status) of these ids, whose last-seen time becomes `seen`.
    fn stored_seen(
        &mut self,
        src: &str,
        keys: &[&str],
        seen: DbTime,
    ) -> impl Future<Output = QueryResult<Vec<(String, String, String)>>> + Send;

    /// Sets the last-seen time of the source's listings with these ids (adding their rows of
    /// `property_seen` where missing); gives how many were set.
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

impl ListingWrites for diesel_async::AsyncPgConnection {
    async fn write_rows(
        &mut self,
        src: &str,
        seen: DbTime,
        rows: Vec<PropertyRow<'_>>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Array, BigInt, Double, Integer, Nullable, Text};
        let c = PropertyColumns::of(rows);
        diesel::sql_query(PG_UPSERT)
            .bind::<Text, _>(src)
            .bind::<UtcTimestamp, _>(seen)
            .bind::<Array<Text>, _>(&c.external_id)
            .bind::<Array<Text>, _>(&c.content_hash)
            .bind::<Array<Text>, _>(&c.transaction_type)
            .bind::<Array<Nullable<BigInt>>, _>(&c.price_minor)
            .bind::<Array<Nullable<Text>>, _>(&c.currency)
            .bind::<Array<Nullable<Text>>, _>(&c.property_type)
            .bind::<Array<Nullable<Integer>>, _>(&c.bedrooms)
            .bind::<Array<Nullable<Integer>>, _>(&c.bathrooms)
            .bind::<Array<Nullable<Integer>>, _>(&c.built_area_m2)
            .bind::<Array<Nullable<Integer>>, _>(&c.plot_area_m2)
            .bind::<Array<Nullable<Text>>, _>(&c.country)
            .bind::<Array<Nullable<Text>>, _>(&c.province)
            .bind::<Array<Nullable<Text>>, _>(&c.town)
            .bind::<Array<Nullable<Text>>, _>(&c.postal_code)
            .bind::<Array<Nullable<Double>>, _>(&c.latitude)
            .bind::<Array<Nullable<Double>>, _>(&c.longitude)
            .bind::<Array<Text>, _>(&c.data)
            .bind::<Array<Nullable<UtcTimestamp>>, _>(&c.source_modified_at)
            .execute(self)
            .await
            .map(drop)
    }

    async fn stored_seen(
        &mut self,
        src: &str,
        keys: &[&str],
        seen: DbTime,
    ) -> QueryResult<Vec<(String, String, String)>> {
        use diesel::sql_types::{Array, Text};
        // One pass of index lookups serves both the read and the last-seen upsert.
        let rows: Vec<StoredKey> = diesel::sql_query(
            "WITH found AS ( \
                 SELECT p.id, p.external_id, p.content_hash, p.status \
                 FROM unnest($2::text[]) AS k(external_id) \
                 JOIN properties p ON p.source = $1 AND p.external_id = k.external_id), \
             seen AS ( \
                 INSERT INTO property_seen (property_id, last_seen_at) \
                 SELECT id, $3 FROM found \
                 ON CONFLICT (property_id) DO UPDATE SET last_seen_at = excluded.last_seen_at) \
             SELECT external_id, content_hash, status FROM found",
        )
        .bind::<Text, _>(src)
        .bind::<Array<Text>, _>(keys)
        .bind::<UtcTimestamp, _>(seen)
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
            "INSERT INTO property_seen (property_id, last_seen_at) \
             SELECT p.id, $3 FROM unnest($2::text[]) AS k(external_id) \
             JOIN properties p ON p.source = $1 AND p.external_id = k.external_id \
             ON CONFLICT (property_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
        )
        .bind::<Text, _>(src)
        .bind::<Array<Text>, _>(keys)
        .bind::<UtcTimestamp, _>(seen)
        .execute(self)
        .await
    }
}

impl ListingWrites for crate::database::SqliteConn {
    async fn write_rows(
        &mut self,
        src: &str,
        seen: DbTime,
        rows: Vec<PropertyRow<'_>>,
    ) -> QueryResult<()> {
        for row in &rows {
            diesel::insert_into(p::properties)
                .values(row)
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
                    p::withdrawn_at.eq(excluded(p::withdrawn_at)),
                    p::updated_at.eq(excluded(p::updated_at)),
                ))
                .execute(self)
                .await?;
        }
        let keys: Vec<&str> = rows.iter().map(PropertyRow::external_id).collect();
        self.mark_seen(src, &keys, seen).await.map(drop)
    }

    async fn stored_seen(
        &mut self,
        src: &str,
        keys: &[&str],
        seen: DbTime,
    ) -> QueryResult<Vec<(String, String, String)>> {
        let stored = p::properties
            .filter(p::source.eq(src))
            .filter(p::external_id.eq_any(keys))
            .select((p::external_id, p::content_hash, p::status))
            .load(self)
            .await?;
        self.mark_seen(src, keys, seen).await?;
        Ok(stored)
    }

    async fn mark_seen(&mut self, src: &str, keys: &[&str], seen: DbTime) -> QueryResult<usize> {
        let picked = p::properties
            .filter(p::source.eq(src))
            .filter(p::external_id.eq_any(keys))
            .select((p::id, seen.into_sql::<UtcTimestamp>()));
        diesel::insert_into(ps::property_seen)
            .values(picked)
            .into_columns((ps::property_id, ps::last_seen_at))
            .on_conflict(ps::property_id)
            .do_update()
            .set(ps::last_seen_at.eq(excluded(ps::last_seen_at)))
            .execute(self)
            .await
    }
}

impl SqlListingStore {
    /// One chunk in one transaction: read the stored hashes (setting the stored listings'
    /// last-seen time), then write new and changed rows with theirs.
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
    ) -> Result<Vec<UpsertOutcome>> {
        let src = source.to_string();
        let seen = DbTime(seen_at);
        // The last copy of an id wins; earlier copies are not written.
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(chunk.len());
        for (i, r) in chunk.iter().enumerate() {
            last.insert(r.listing.external_id.as_str(), i);
        }
        let keys: Vec<&str> = chunk
            .iter()
            .enumerate()
            .filter(|(i, r)| last.get(r.listing.external_id.as_str()) == Some(i))
            .map(|(_, r)| r.listing.external_id.as_str())
            .collect();
        with_write_conn!(self.db, |conn, dialect| {
            let (src, keys, last) = (&src, &keys, &last);
            conn.transaction::<_, TxError, _>(async move |conn| {
                if matches!(dialect, crate::database::Dialect::Postgres) {
                    diesel::sql_query("SET LOCAL synchronous_commit = off")
                        .execute(&mut *conn)
                        .await?;
                }
                let stored: HashMap<String, (String, String)> = conn
                    .stored_seen(src, keys, seen)
                    .await?
                    .into_iter()
                    .map(|(id, hash, status)| (id, (hash, status)))
                    .collect();
                let outcomes = outcomes(chunk, &stored);
                let mut rows = Vec::new();
                for (i, (r, outcome)) in chunk.iter().zip(&outcomes).enumerate() {
                    let written = last.get(r.listing.external_id.as_str()) == Some(&i);
                    if written && *outcome != UpsertOutcome::Unchanged {
                        rows.push(PropertyRow::new(src, r, seen)?);
                    }
                }
                if !rows.is_empty() {
                    conn.write_rows(src, seen, rows).await?;
                }
                Ok(outcomes)
            })
            .await
            .map_err(TxError::into_domain)
        })
    }
}
