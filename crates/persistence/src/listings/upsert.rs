//! The batch upsert: outcomes from the stored hashes (compared while setting the stored
//! listings' last-seen times), then one upsert for new and changed rows with theirs, all in
//! one transaction per chunk.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::AstPass;
use diesel::upsert::excluded;
use diesel_async::{AnsiTransactionManager, AsyncConnection as _, RunQueryDsl, TransactionManager};
use propimport_domain::{ListingRecord, Result, SourceName, UpsertOutcome};

use super::rows::{PropertyColumns, PropertyRow};
use super::{ACTIVE, SqlListingStore};
use crate::error::TxError;
use crate::prepared::{Prepared, Statement};
use crate::schema::properties::dsl as p;
use crate::schema::property_seen::dsl as ps;
use crate::sql_types::{DbTime, UtcTimestamp};

/// A record's id and content hash, whose outcome is asked.
pub(super) type Probe<'a> = (&'a str, &'a str);

/// The outcome of a probe from the stored (hash, status) of its id, if stored.
fn outcome(hash: &str, stored: Option<&(String, String)>) -> UpsertOutcome {
    match stored {
        None => UpsertOutcome::Inserted,
        Some((stored_hash, status)) if stored_hash == hash && status == ACTIVE => {
            UpsertOutcome::Unchanged
        }
        Some(_) => UpsertOutcome::Updated,
    }
}

/// PostgreSQL's upsert of a chunk's rows with their last-seen rows, bound as one array per
/// column: a fixed text, prepared once per connection (a multi-row VALUES list has a
/// parameter per cell and a text per row count). `$1` source, `$2` the time for first-seen,
/// last-seen, creation and update, `$3…$20` the columns of [`PropertyColumns`].
struct PgUpsert<'a> {
    src: &'a str,
    seen: DbTime,
    c: PropertyColumns<'a>,
}

impl Statement for PgUpsert<'_> {
    const SQL: &'static str = "\
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

    fn bind<'b>(&'b self, n: usize, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        use diesel::sql_types::{Array, BigInt, Double, Integer, Nullable, Text};
        let c = &self.c;
        match n {
            1 => out.push_bind_param::<Text, _>(self.src),
            2 => out.push_bind_param::<UtcTimestamp, _>(&self.seen),
            3 => out.push_bind_param::<Array<Text>, _>(&c.external_id),
            4 => out.push_bind_param::<Array<Text>, _>(&c.content_hash),
            5 => out.push_bind_param::<Array<Text>, _>(&c.transaction_type),
            6 => out.push_bind_param::<Array<Nullable<BigInt>>, _>(&c.price_minor),
            7 => out.push_bind_param::<Array<Nullable<Text>>, _>(&c.currency),
            8 => out.push_bind_param::<Array<Nullable<Text>>, _>(&c.property_type),
            9 => out.push_bind_param::<Array<Nullable<Integer>>, _>(&c.bedrooms),
            10 => out.push_bind_param::<Array<Nullable<Integer>>, _>(&c.bathrooms),
            11 => out.push_bind_param::<Array<Nullable<Integer>>, _>(&c.built_area_m2),
            12 => out.push_bind_param::<Array<Nullable<Integer>>, _>(&c.plot_area_m2),
            13 => out.push_bind_param::<Array<Nullable<Text>>, _>(&c.country),
            14 => out.push_bind_param::<Array<Nullable<Text>>, _>(&c.province),
            15 => out.push_bind_param::<Array<Nullable<Text>>, _>(&c.town),
            16 => out.push_bind_param::<Array<Nullable<Text>>, _>(&c.postal_code),
            17 => out.push_bind_param::<Array<Nullable<Double>>, _>(&c.latitude),
            18 => out.push_bind_param::<Array<Nullable<Double>>, _>(&c.longitude),
            19 => out.push_bind_param::<Array<Text>, _>(&c.data),
            20 => out.push_bind_param::<Array<Nullable<UtcTimestamp>>, _>(&c.source_modified_at),
            _ => Err(unknown_parameter(n)),
        }
    }
}

/// PostgreSQL's read of a chunk's outcomes, which also sets the last-seen time of every
/// stored listing among them: `$1` the records' ids, `$2` their hashes (a listing twice in
/// the chunk is probed twice, and seen once), `$3` the source, `$4` the time. One row: the
/// 1-based positions of the unchanged probes and those of the stored but changed (or
/// withdrawn) ones; the rest are new. The hashes are compared by the server, so nothing but
/// positions comes back. Sightings are updated in place (a plain `UPDATE` costs less than an
/// `INSERT … ON CONFLICT` that finds its row) and added for stored listings that have none.
struct PgProbe<'a> {
    ids: Vec<&'a str>,
    hashes: Vec<&'a str>,
    src: &'a str,
    seen: DbTime,
}

impl Statement for PgProbe<'_> {
    const SQL: &'static str = "\
WITH found AS ( \
    SELECT p.id, k.ord, p.content_hash = k.content_hash AND p.status = 'active' AS same \
    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(external_id, content_hash, ord) \
    JOIN properties p ON p.source = $3 AND p.external_id = k.external_id), \
updated AS ( \
    UPDATE property_seen s SET last_seen_at = $4 FROM found WHERE s.property_id = found.id \
    RETURNING s.property_id), \
added AS ( \
    INSERT INTO property_seen (property_id, last_seen_at) \
    SELECT DISTINCT f.id, $4::timestamptz FROM found f \
    WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.property_id = f.id) \
    ON CONFLICT (property_id) DO UPDATE SET last_seen_at = excluded.last_seen_at) \
SELECT coalesce(array_agg(ord) FILTER (WHERE same), '{}') AS unchanged, \
    coalesce(array_agg(ord) FILTER (WHERE NOT same), '{}') AS updated \
FROM found";

    fn bind<'b>(&'b self, n: usize, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        use diesel::sql_types::{Array, Text};
        match n {
            1 => out.push_bind_param::<Array<Text>, _>(&self.ids),
            2 => out.push_bind_param::<Array<Text>, _>(&self.hashes),
            3 => out.push_bind_param::<Text, _>(self.src),
            4 => out.push_bind_param::<UtcTimestamp, _>(&self.seen),
            _ => Err(unknown_parameter(n)),
        }
    }
}

/// The positions [`PgProbe`] answers.
#[derive(QueryableByName)]
struct ProbeAnswer {
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::BigInt>)]
    unchanged: Vec<i64>,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::BigInt>)]
    updated: Vec<i64>,
}

/// PostgreSQL's last-seen update of a source's listings by id: `$1` the time, `$2` the ids,
/// `$3` the source.
struct PgMarkSeen<'a> {
    keys: &'a [&'a str],
    src: &'a str,
    seen: DbTime,
}

impl Statement for PgMarkSeen<'_> {
    const SQL: &'static str = "\
INSERT INTO property_seen (property_id, last_seen_at) \
SELECT DISTINCT p.id, $1::timestamptz FROM unnest($2::text[]) AS k(external_id) \
JOIN properties p ON p.source = $3 AND p.external_id = k.external_id \
ON CONFLICT (property_id) DO UPDATE SET last_seen_at = excluded.last_seen_at";

    fn bind<'b>(&'b self, n: usize, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        use diesel::sql_types::{Array, Text};
        match n {
            1 => out.push_bind_param::<UtcTimestamp, _>(&self.seen),
            2 => out.push_bind_param::<Array<Text>, _>(self.keys),
            3 => out.push_bind_param::<Text, _>(self.src),
            _ => Err(unknown_parameter(n)),
        }
    }
}

fn unknown_parameter(n: usize) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(format!("no parameter ${n}").into())
}

/// Writes upsert rows and last-seen times.
///
/// PostgreSQL: one prepared statement per chunk for the outcomes and the stored rows' seen
/// times ([`PgProbe`]) and one for the new and changed rows ([`PgUpsert`]), ids joined as an
/// array (`unnest`), which is planned as one unique-index lookup per id
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

    /// The outcome of each probe against what is stored, setting the last-seen time of the
    /// stored listings among them to `seen`.
    fn probe_seen(
        &mut self,
        src: &str,
        probes: &[Probe<'_>],
        seen: DbTime,
    ) -> impl Future<Output = QueryResult<Vec<UpsertOutcome>>> + Send;

    /// Probes a chunk and writes its new and changed rows, in one transaction.
    fn write_chunk(
        &mut self,
        job: &ChunkJob<'_>,
    ) -> impl Future<Output = std::result::Result<Vec<UpsertOutcome>, TxError>> + Send;

    /// Sets the last-seen time of the source's listings with these ids (adding their rows of
    /// `property_seen` where missing); gives how many were set.
    fn mark_seen(
        &mut self,
        src: &str,
        keys: &[&str],
        seen: DbTime,
    ) -> impl Future<Output = QueryResult<usize>> + Send;
}

impl ListingWrites for diesel_async::AsyncPgConnection {
    async fn write_rows(
        &mut self,
        src: &str,
        seen: DbTime,
        rows: Vec<PropertyRow<'_>>,
    ) -> QueryResult<()> {
        let c = PropertyColumns::of(rows);
        Prepared(PgUpsert { src, seen, c })
            .execute(self)
            .await
            .map(drop)
    }

    async fn probe_seen(
        &mut self,
        src: &str,
        probes: &[Probe<'_>],
        seen: DbTime,
    ) -> QueryResult<Vec<UpsertOutcome>> {
        let (ids, hashes) = probes.iter().copied().unzip();
        let answer: ProbeAnswer = Prepared(PgProbe {
            ids,
            hashes,
            src,
            seen,
        })
        .get_result(self)
        .await?;
        let mut outcomes = vec![UpsertOutcome::Inserted; probes.len()];
        let positions = [
            (answer.unchanged, UpsertOutcome::Unchanged),
            (answer.updated, UpsertOutcome::Updated),
        ];
        for (ords, outcome) in positions {
            for ord in ords {
                let slot = usize::try_from(ord - 1)
                    .ok()
                    .and_then(|i| outcomes.get_mut(i))
                    .ok_or_else(|| {
                        diesel::result::Error::DeserializationError(
                            format!("probe position {ord} out of 1..={}", probes.len()).into(),
                        )
                    })?;
                *slot = outcome;
            }
        }
        Ok(outcomes)
    }

    /// The transaction commits without waiting for its WAL to reach the disk
    /// (`synchronous_commit = off`, set by the same round trip that begins it).
    async fn write_chunk(
        &mut self,
        job: &ChunkJob<'_>,
    ) -> std::result::Result<Vec<UpsertOutcome>, TxError> {
        type Manager = AnsiTransactionManager;
        Manager::begin_transaction_sql(self, "BEGIN; SET LOCAL synchronous_commit = off").await?;
        match chunk_writes(self, job).await {
            Ok(outcomes) => {
                <Manager as TransactionManager<Self>>::commit_transaction(self).await?;
                Ok(outcomes)
            }
            // As diesel's own transactions do: the first error is the one to report.
            Err(error) => {
                match <Manager as TransactionManager<Self>>::rollback_transaction(self).await {
                    Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
                    Err(rollback) => Err(rollback.into()),
                }
            }
        }
    }

    async fn mark_seen(&mut self, src: &str, keys: &[&str], seen: DbTime) -> QueryResult<usize> {
        Prepared(PgMarkSeen { keys, src, seen }).execute(self).await
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

    async fn probe_seen(
        &mut self,
        src: &str,
        probes: &[Probe<'_>],
        seen: DbTime,
    ) -> QueryResult<Vec<UpsertOutcome>> {
        let mut keys: Vec<&str> = probes.iter().map(|(id, _)| *id).collect();
        keys.sort_unstable();
        keys.dedup();
        let stored: HashMap<String, (String, String)> = p::properties
            .filter(p::source.eq(src))
            .filter(p::external_id.eq_any(&keys))
            .select((p::external_id, p::content_hash, p::status))
            .load::<(String, String, String)>(self)
            .await?
            .into_iter()
            .map(|(id, hash, status)| (id, (hash, status)))
            .collect();
        self.mark_seen(src, &keys, seen).await?;
        Ok(probes
            .iter()
            .map(|(id, hash)| outcome(hash, stored.get(*id)))
            .collect())
    }

    async fn write_chunk(
        &mut self,
        job: &ChunkJob<'_>,
    ) -> std::result::Result<Vec<UpsertOutcome>, TxError> {
        self.transaction::<_, TxError, _>(async move |conn| chunk_writes(conn, job).await)
            .await
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

/// One chunk's work: its records, their probes and which copy of each id is written.
pub(super) struct ChunkJob<'a> {
    src: &'a str,
    chunk: &'a [ListingRecord],
    probes: Vec<Probe<'a>>,
    /// The position of the last copy of each id (earlier copies are not written).
    last: HashMap<&'a str, usize>,
    seen: DbTime,
}

/// Probes a chunk (setting the stored listings' last-seen time), then writes new and changed
/// rows with theirs; inside the caller's transaction.
async fn chunk_writes<C: ListingWrites + Send>(
    conn: &mut C,
    job: &ChunkJob<'_>,
) -> std::result::Result<Vec<UpsertOutcome>, TxError> {
    let outcomes = conn.probe_seen(job.src, &job.probes, job.seen).await?;
    let mut rows = Vec::new();
    for (i, (r, outcome)) in job.chunk.iter().zip(&outcomes).enumerate() {
        let written = job.last.get(r.listing.external_id.as_str()) == Some(&i);
        if written && *outcome != UpsertOutcome::Unchanged {
            rows.push(PropertyRow::new(job.src, r, job.seen)?);
        }
    }
    if !rows.is_empty() {
        conn.write_rows(job.src, job.seen, rows).await?;
    }
    Ok(outcomes)
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
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(chunk.len());
        for (i, r) in chunk.iter().enumerate() {
            last.insert(r.listing.external_id.as_str(), i);
        }
        let job = ChunkJob {
            src: &src,
            chunk,
            probes: chunk
                .iter()
                .map(|r| (r.listing.external_id.as_str(), r.content_hash.as_str()))
                .collect(),
            last,
            seen: DbTime(seen_at),
        };
        with_write_conn!(self.db, |conn, _dialect| {
            conn.write_chunk(&job).await.map_err(TxError::into_domain)
        })
    }
}
