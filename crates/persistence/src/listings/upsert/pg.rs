//! PostgreSQL's chunk writes: two prepared statements per chunk with every row's values bound
//! as one array per column (`unnest`), whatever the number of rows.
//!
//! One statement gives the outcomes and sets the stored rows' seen times ([`PgProbe`]), one
//! writes the new and changed rows ([`PgUpsert`]). A chunk whose written rows are all new (a
//! first import) inserts them without a conflict clause ([`PgInsert`]): an upsert checks the
//! unique index before each insertion and logs a confirmation after it. A chunk expected to be
//! new (`Expect::New`: the run's chunks so far held no stored listing) is inserted so without
//! its probe, by one statement whose transaction's `BEGIN` and `COMMIT` are sent with it (one
//! round trip, [`insert_unprobed`]). Should one of those ids be stored after all (or another
//! writer have stored it since the probe), the insert fails on the unique index, the chunk's
//! transaction is rolled back and the chunk is written again, probed anew, by upserts.
//!
//! The probe looks each id of the array up by a `LATERAL` subquery, which can only be run as one
//! unique-index lookup per id whatever the table's statistics: a plain join is planned from
//! statistics, and once the table was analyzed during a first import (its rows narrow, their
//! documents and source records kept apart) it was planned as a hash join over a scan of every row,
//! so each chunk's probe cost grew with the table (40 ms per 500 ids at 100,000 rows, against 1 ms
//! for the lookups); `external_id = ANY($ids)` had the same fault on a table not analyzed yet.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::AstPass;
use diesel_async::{
    AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection as _,
    TransactionManager,
};
use propimport_domain::{ListingRecord, UpsertOutcome};

use super::{ChunkJob, Expect, ListingWrites, met_a_stored_row, unknown_parameter};
use crate::error::TxError;
use crate::listings::rows::PropertyColumns;
use crate::prepared::{Prepared, Statement};
use crate::sql_types::{DbTime, UtcTimestamp};

/// PostgreSQL's upsert of a chunk's rows with their last-seen rows, bound as one array per
/// column: a fixed text, prepared once per connection (a multi-row VALUES list has a
/// parameter per cell and a text per row count). `$1` source, `$2` the time for first-seen,
/// last-seen, creation and update, `$3…$23` the columns of [`PropertyColumns`].
struct PgUpsert<'a> {
    src: &'a str,
    seen: DbTime,
    c: PropertyColumns<'a>,
}

/// The insertion of a chunk's rows, up to the conflict clause (shared by [`PgUpsert`] and
/// [`PgInsert`]).
macro_rules! insert_rows {
    () => {
        "\
WITH written AS ( \
INSERT INTO properties (source, external_id, status, content_hash, transaction_type, price_minor, \
    currency, property_type, bedrooms, bathrooms, built_area_m2, plot_area_m2, country, province, \
    town, postal_code, latitude, longitude, data, source_modified_at, first_seen_at, \
    withdrawn_at, created_at, updated_at, source_format, source_record, record_key) \
SELECT $1, r.external_id, 'active', r.content_hash, r.transaction_type, r.price_minor, \
    r.currency, r.property_type, r.bedrooms, r.bathrooms, r.built_area_m2, r.plot_area_m2, \
    r.country, r.province, r.town, r.postal_code, r.latitude, r.longitude, r.data, \
    r.source_modified_at, $2, NULL, $2, $2, r.source_format, r.source_record, r.record_key \
FROM unnest($3::text[], $4::text[], $5::text[], $6::int8[], $7::text[], $8::text[], \
    $9::int4[], $10::int4[], $11::int4[], $12::int4[], $13::text[], $14::text[], $15::text[], \
    $16::text[], $17::float8[], $18::float8[], $19::text[], $20::timestamptz[], $21::text[], \
    $22::bytea[], $23::bytea[]) \
    AS r (external_id, content_hash, transaction_type, price_minor, currency, property_type, \
    bedrooms, bathrooms, built_area_m2, plot_area_m2, country, province, town, postal_code, \
    latitude, longitude, data, source_modified_at, source_format, source_record, record_key) \
"
    };
}

impl Statement for PgUpsert<'_> {
    const SQL: &'static str = concat!(
        insert_rows!(),
        on_conflict_update!(),
        " \
RETURNING id) \
INSERT INTO property_seen (property_id, last_seen_at) SELECT id, $2 FROM written \
ON CONFLICT (property_id) DO UPDATE SET last_seen_at = excluded.last_seen_at"
    );

    fn bind<'b>(&'b self, n: usize, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        bind_rows(self.src, &self.seen, &self.c, n, out)
    }
}

/// PostgreSQL's insertion of a chunk's new rows with their last-seen rows: [`PgUpsert`]
/// without its conflict clauses (a new listing's sighting is new too), the same parameters.
struct PgInsert<'a>(PgUpsert<'a>);

impl Statement for PgInsert<'_> {
    const SQL: &'static str = concat!(
        insert_rows!(),
        "RETURNING id) \
INSERT INTO property_seen (property_id, last_seen_at) SELECT id, $2 FROM written"
    );

    fn bind<'b>(&'b self, n: usize, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        bind_rows(self.0.src, &self.0.seen, &self.0.c, n, out)
    }
}

/// Binds parameter `n` of [`PgUpsert`] and [`PgInsert`].
fn bind_rows<'b>(
    src: &'b str,
    seen: &'b DbTime,
    c: &'b PropertyColumns<'_>,
    n: usize,
    out: &mut AstPass<'_, 'b, Pg>,
) -> QueryResult<()> {
    use diesel::sql_types::{Array, BigInt, Binary, Double, Integer, Nullable, Text};
    match n {
        1 => out.push_bind_param::<Text, _>(src),
        2 => out.push_bind_param::<UtcTimestamp, _>(seen),
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
        21 => out.push_bind_param::<Array<Nullable<Text>>, _>(&c.source_format),
        22 => out.push_bind_param::<Array<Nullable<Binary>>, _>(&c.source_record),
        23 => out.push_bind_param::<Array<Nullable<Binary>>, _>(&c.record_key),
        _ => Err(unknown_parameter(n)),
    }
}

/// PostgreSQL's read of a chunk's outcomes, which also sets the last-seen time of every
/// stored listing among them: `$1` the records' ids, `$2` their hashes (a listing twice in
/// the chunk is probed twice, and seen once), `$3` their record keys (NULL for a record
/// without one, or not the last copy of its id), `$4` the source, `$5` the time. An unchanged
/// listing stored with another key than its record's takes the record's (the key covers what
/// the content hash does not, Kyero's private notes, and the settings it was read with), and
/// stays unchanged. One row: the
/// 1-based positions of the unchanged probes and those of the stored but changed (or
/// withdrawn) ones; the rest are new. The hashes are compared by the server, so nothing but
/// positions comes back. Sightings are updated in place (a plain `UPDATE` costs less than an
/// `INSERT … ON CONFLICT` that finds its row) and added for stored listings that have none.
struct PgProbe<'a> {
    ids: Vec<&'a str>,
    hashes: Vec<&'a str>,
    keys: Vec<Option<&'a [u8]>>,
    src: &'a str,
    seen: DbTime,
}

impl Statement for PgProbe<'_> {
    const SQL: &'static str = concat!(
        "\
WITH found AS ( \
    SELECT p.id, k.ord, p.content_hash = k.content_hash AND p.status = 'active' AS same, \
        k.record_key AS new_key, p.record_key IS DISTINCT FROM k.record_key AS other_key \
    FROM unnest($1::text[], $2::text[], $3::bytea[]) WITH ORDINALITY \
        AS k(external_id, content_hash, record_key, ord) \
    CROSS JOIN LATERAL (SELECT q.id, q.content_hash, q.status, q.record_key FROM properties q \
        WHERE q.source = $4 AND q.external_id = k.external_id LIMIT 1) p), \
rekeyed AS ( \
    UPDATE properties q SET record_key = found.new_key FROM found \
    WHERE q.id = found.id AND found.same AND found.new_key IS NOT NULL AND found.other_key), ",
        sight_found!("$5"),
        "\
SELECT coalesce(array_agg(ord) FILTER (WHERE same), '{}') AS unchanged, \
    coalesce(array_agg(ord) FILTER (WHERE NOT same), '{}') AS updated \
FROM found"
    );

    fn bind<'b>(&'b self, n: usize, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        use diesel::sql_types::{Array, Binary, Nullable, Text};
        match n {
            1 => out.push_bind_param::<Array<Text>, _>(&self.ids),
            2 => out.push_bind_param::<Array<Text>, _>(&self.hashes),
            3 => out.push_bind_param::<Array<Nullable<Binary>>, _>(&self.keys),
            4 => out.push_bind_param::<Text, _>(self.src),
            5 => out.push_bind_param::<UtcTimestamp, _>(&self.seen),
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
CROSS JOIN LATERAL (SELECT q.id FROM properties q \
    WHERE q.source = $3 AND q.external_id = k.external_id LIMIT 1) p \
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

/// The outcome of each probe of the chunk, setting the last-seen time of the stored listings
/// among them.
async fn probe_seen(
    conn: &mut AsyncPgConnection,
    job: &ChunkJob<'_>,
) -> QueryResult<Vec<UpsertOutcome>> {
    let mut ids = Vec::with_capacity(job.probes.len());
    let mut hashes = Vec::with_capacity(job.probes.len());
    let mut keys = Vec::with_capacity(job.probes.len());
    for &(id, hash, key) in &job.probes {
        ids.push(id);
        hashes.push(hash);
        keys.push(key);
    }
    let answer: ProbeAnswer = Prepared(PgProbe {
        ids,
        hashes,
        keys,
        src: job.src,
        seen: job.seen,
    })
    .get_result(conn)
    .await?;
    let mut outcomes = vec![UpsertOutcome::Inserted; job.probes.len()];
    let positions = [
        (answer.unchanged, UpsertOutcome::Unchanged),
        (answer.updated, UpsertOutcome::Updated),
    ];
    for (ords, outcome) in positions {
        for at in super::places(ords, outcomes.len())? {
            outcomes[at] = outcome;
        }
    }
    Ok(outcomes)
}

/// How a chunk is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    /// Inserted without a probe, every record's outcome `Inserted`: for a chunk expected to
    /// hold no stored listing.
    Unprobed,
    /// Probed, then written by plain inserts when every written row is new.
    Probed,
    /// Probed, then written by upserts.
    Upserts,
}

/// Probes the chunk, then writes its new and changed rows with their sightings: by upserts,
/// or (unless `attempt` is [`Attempt::Upserts`]) by plain inserts when every row written is new.
async fn probed_writes(
    conn: &mut AsyncPgConnection,
    job: &ChunkJob<'_>,
    attempt: Attempt,
) -> Result<Vec<UpsertOutcome>, TxError> {
    let outcomes = probe_seen(conn, job).await?;
    let rows = job.rows(&outcomes)?;
    if rows.is_empty() {
        return Ok(outcomes);
    }
    let all_new = !outcomes.contains(&UpsertOutcome::Updated);
    let upsert = PgUpsert {
        src: job.src,
        seen: job.seen,
        c: PropertyColumns::of(rows),
    };
    if attempt != Attempt::Upserts && all_new {
        Prepared(PgInsert(upsert)).execute(conn).await?;
    } else {
        Prepared(upsert).execute(conn).await?;
    }
    Ok(outcomes)
}

/// The chunk in one transaction, which commits without waiting for its WAL to reach the disk.
async fn chunk_transaction(
    conn: &mut AsyncPgConnection,
    job: &ChunkJob<'_>,
    attempt: Attempt,
) -> Result<Vec<UpsertOutcome>, TxError> {
    if attempt == Attempt::Unprobed {
        return insert_unprobed(conn, job).await;
    }
    begin_async_commit(conn).await?;
    let written = probed_writes(conn, job, attempt).await;
    end_transaction(conn, written).await
}

/// A chunk expected to be new, inserted by its one statement in a transaction of its own
/// ([`alone_in_transaction`]: one round trip), its rows made before the transaction begins.
/// Should one of them be stored, the insertion fails, its transaction is rolled back and its
/// error is returned.
async fn insert_unprobed(
    conn: &mut AsyncPgConnection,
    job: &ChunkJob<'_>,
) -> Result<Vec<UpsertOutcome>, TxError> {
    let outcomes = vec![UpsertOutcome::Inserted; job.probes.len()];
    let insert = Prepared(PgInsert(PgUpsert {
        src: job.src,
        seen: job.seen,
        c: PropertyColumns::of(job.rows(&outcomes)?),
    }));
    alone_in_transaction(conn, |mut conn| insert.execute(&mut conn)).await?;
    Ok(outcomes)
}

/// Runs one statement (`statement` sends it on `conn`) in a transaction of its own that
/// commits as [`begin_async_commit`]'s does, its `BEGIN` and `COMMIT` sent to the server with
/// it (pipelined): one round trip instead of three. Should the statement fail, the transaction
/// is aborted and the server answers the `COMMIT` by rolling it back; the statement's error is
/// returned.
///
/// Each is sent when it is first polled, and `join!` in its biased mode polls them in the
/// order given. The statement may wait before it is sent (for the statement cache's lock, or
/// a prepare on first use), so it may reach the server after the `COMMIT`: it is then all or
/// nothing on its own, committed synchronously. `BEGIN` and `COMMIT` are sent at once, in that
/// order, so a caller that stops waiting for the answers leaves no transaction open.
pub(super) async fn alone_in_transaction<'c, T, F>(
    conn: &'c mut AsyncPgConnection,
    statement: impl FnOnce(&'c AsyncPgConnection) -> F,
) -> Result<T, TxError>
where
    F: Future<Output = QueryResult<T>>,
{
    let status = AnsiTransactionManager::transaction_manager_status_mut(conn);
    if status.transaction_depth()?.is_some() {
        return Err(diesel::result::Error::AlreadyInTransaction.into());
    }
    let conn: &'c AsyncPgConnection = conn;
    let (mut begin, mut commit) = (conn, conn);
    let (begun, result, committed) = tokio::join!(
        biased;
        begin.batch_execute(BEGIN_ASYNC_COMMIT),
        statement(conn),
        commit.batch_execute("COMMIT"),
    );
    begun?;
    let result = result?;
    committed?;
    Ok(result)
}

/// Begins a transaction whose commit does not wait for its WAL to reach the disk.
const BEGIN_ASYNC_COMMIT: &str = "BEGIN; SET LOCAL synchronous_commit = off";

/// Begins a transaction that commits without waiting for its WAL to reach the disk
/// (`synchronous_commit = off`, set by the same round trip that begins it): the run's
/// synchronous finish flushes it.
pub(super) async fn begin_async_commit(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    AnsiTransactionManager::begin_transaction_sql(conn, BEGIN_ASYNC_COMMIT).await
}

/// Ends the transaction begun by [`begin_async_commit`]: commits it after `result`, or rolls
/// it back after its error (which is the one given, as diesel's own transactions do).
pub(super) async fn end_transaction<T>(
    conn: &mut AsyncPgConnection,
    result: Result<T, TxError>,
) -> Result<T, TxError> {
    type Manager = AnsiTransactionManager;
    match result {
        Ok(value) => {
            <Manager as TransactionManager<AsyncPgConnection>>::commit_transaction(conn).await?;
            Ok(value)
        }
        // As diesel's own transactions do: the first error is the one to report.
        Err(error) => {
            match <Manager as TransactionManager<AsyncPgConnection>>::rollback_transaction(conn)
                .await
            {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
                Err(rollback) => Err(rollback.into()),
            }
        }
    }
}

impl ListingWrites for AsyncPgConnection {
    /// A chunk of new listings is inserted plainly (without its probe, when they are expected
    /// to be new); if one of them is stored after all, the chunk is written again, probed, by
    /// upserts.
    async fn write_chunk(
        &mut self,
        src: &str,
        chunk: &[ListingRecord],
        seen: DbTime,
        expect: Expect,
    ) -> Result<Vec<UpsertOutcome>, TxError> {
        let job = ChunkJob::new(src, chunk, seen);
        let first = match expect {
            Expect::New => Attempt::Unprobed,
            Expect::Any => Attempt::Probed,
        };
        match chunk_transaction(self, &job, first).await {
            Err(error) if met_a_stored_row(&error) => {
                chunk_transaction(self, &job, Attempt::Upserts).await
            }
            written => written,
        }
    }

    async fn mark_seen(&mut self, src: &str, keys: &[&str], seen: DbTime) -> QueryResult<usize> {
        Prepared(PgMarkSeen { keys, src, seen }).execute(self).await
    }

    async fn touch_known(
        &mut self,
        src: &str,
        ids: &[&str],
        keys: &[&[u8]],
        seen: DbTime,
    ) -> Result<Vec<bool>, TxError> {
        alone_in_transaction(self, |conn| {
            super::pg_known::touch_known(conn, src, ids, keys, seen)
        })
        .await
    }
}
