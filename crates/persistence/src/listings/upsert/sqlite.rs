//! SQLite's chunk writes: the whole chunk runs as one task on the connection's blocking
//! thread, on diesel's synchronous connection, so a row costs one step of a prepared
//! statement (diesel caches it per connection) rather than a hand-off between threads per
//! statement.
//!
//! The probe reads the stored hashes of the chunk's ids (`IN (…)` uses the unique index) and
//! sets the stored listings' last-seen time; each new or changed row is then upserted by the
//! same cached statement, and their sightings set in one statement. A chunk expected to be new
//! is inserted without its probe or a conflict clause; should one of its ids be stored after
//! all, the insert fails on the unique index, and the chunk is rolled back and written again,
//! probed, by upserts.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel::upsert::excluded;
use propimport_domain::{ListingRecord, UpsertOutcome};

use super::sqlite_upsert::{GROUP, InsertRows};
use super::{ChunkJob, Expect, ListingWrites, Stored, met_a_stored_row, outcome, rekeys};
use crate::connection::SqliteConn;
use crate::error::TxError;
use crate::listings::rows::PropertyRow;
use crate::schema::properties::dsl as p;
use crate::schema::property_seen::dsl as ps;
use crate::sql_types::{DbTime, UtcTimestamp};

/// The outcome of each probe of the chunk, setting the last-seen time of the stored listings
/// among them.
fn probe_seen(conn: &mut SqliteConnection, job: &ChunkJob<'_>) -> QueryResult<Vec<UpsertOutcome>> {
    let keys = job.keys();
    let stored: HashMap<String, Stored> = p::properties
        .filter(p::source.eq(job.src))
        .filter(p::external_id.eq_any(&keys))
        .select((p::external_id, p::content_hash, p::status, p::record_key))
        .load::<(String, String, String, Option<Vec<u8>>)>(conn)?
        .into_iter()
        .map(|(id, hash, status, key)| (id, (hash, status, key)))
        .collect();
    mark_seen(conn, job.src, &keys, job.seen)?;
    let mut outcomes = Vec::with_capacity(job.probes.len());
    for probe in &job.probes {
        let found = stored.get(probe.0);
        let decided = outcome(probe, found);
        // An unchanged listing takes its record's key (see `upsert/mod.rs`).
        if decided == UpsertOutcome::Unchanged && rekeys(probe, found) {
            diesel::update(
                p::properties
                    .filter(p::source.eq(job.src))
                    .filter(p::external_id.eq(probe.0)),
            )
            .set(p::record_key.eq(probe.2))
            .execute(conn)?;
        }
        outcomes.push(decided);
    }
    Ok(outcomes)
}

/// Inserts new rows and overwrites changed ones (all but first-seen and creation times; with
/// `UPSERT` false a stored row fails the statement instead), a group of rows per statement,
/// and sets their last-seen time.
fn write_rows<const UPSERT: bool>(
    conn: &mut SqliteConnection,
    src: &str,
    seen: DbTime,
    rows: &[PropertyRow<'_>],
) -> QueryResult<()> {
    let mut groups = rows.chunks_exact(GROUP);
    for group in &mut groups {
        let group: &[PropertyRow<'_>; GROUP] = group.try_into().map_err(|_| {
            diesel::result::Error::QueryBuilderError("a group of the wrong size".into())
        })?;
        InsertRows::<GROUP, UPSERT>(group).execute(conn)?;
    }
    for row in groups.remainder() {
        InsertRows::<1, UPSERT>(std::array::from_ref(row)).execute(conn)?;
    }
    let keys: Vec<&str> = rows.iter().map(PropertyRow::external_id).collect();
    mark_seen(conn, src, &keys, seen).map(drop)
}

/// Sets the last-seen time of the source's listings with these ids.
fn mark_seen(
    conn: &mut SqliteConnection,
    src: &str,
    keys: &[&str],
    seen: DbTime,
) -> QueryResult<usize> {
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
        .execute(conn)
}

/// Whether each (id, key) is an active listing of the source stored with that key; those that
/// are are seen at `seen`.
fn touch_known(
    conn: &mut SqliteConnection,
    src: &str,
    pairs: &[(String, Vec<u8>)],
    seen: DbTime,
) -> QueryResult<Vec<bool>> {
    let mut ids: Vec<&str> = pairs.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    // The status is compared here: filtered in the query, it had SQLite look the ids up
    // through the (source, status) index, a scan of the source's active listings per chunk.
    let stored: HashMap<String, Option<Vec<u8>>> = p::properties
        .filter(p::source.eq(src))
        .filter(p::external_id.eq_any(&ids))
        .select((p::external_id, p::status, p::record_key))
        .load::<(String, String, Option<Vec<u8>>)>(conn)?
        .into_iter()
        .filter(|(_, status, _)| status == super::ACTIVE)
        .map(|(id, _, key)| (id, key))
        .collect();
    let matched: Vec<bool> = pairs
        .iter()
        .map(|(id, key)| stored.get(id).is_some_and(|k| k.as_ref() == Some(key)))
        .collect();
    let seen_ids: Vec<&str> = pairs
        .iter()
        .zip(&matched)
        .filter(|(_, m)| **m)
        .map(|((id, _), _)| id.as_str())
        .collect();
    if !seen_ids.is_empty() {
        mark_seen(conn, src, &seen_ids, seen)?;
    }
    Ok(matched)
}

/// How a chunk is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    /// Every row inserted without a probe or a conflict clause, each outcome `Inserted`.
    Unprobed,
    /// Probed, then the new and changed rows upserted.
    Probed,
}

/// Writes the chunk as `attempt` says, in a transaction (a savepoint inside the caller's
/// `BEGIN IMMEDIATE`).
fn chunk_writes(
    conn: &mut SqliteConnection,
    job: &ChunkJob<'_>,
    attempt: Attempt,
) -> Result<Vec<UpsertOutcome>, TxError> {
    conn.transaction::<_, TxError, _>(|conn| {
        if attempt == Attempt::Unprobed {
            let outcomes = vec![UpsertOutcome::Inserted; job.probes.len()];
            write_rows::<false>(conn, job.src, job.seen, &job.rows(&outcomes)?)?;
            return Ok(outcomes);
        }
        let outcomes = probe_seen(conn, job)?;
        let rows = job.rows(&outcomes)?;
        if !rows.is_empty() {
            write_rows::<true>(conn, job.src, job.seen, &rows)?;
        }
        Ok(outcomes)
    })
}

/// Writes the chunk: unprobed first when it is expected to be new, and probed again if one of
/// its ids is stored after all.
fn write_chunk(
    conn: &mut SqliteConnection,
    job: &ChunkJob<'_>,
    expect: Expect,
) -> Result<Vec<UpsertOutcome>, TxError> {
    if expect == Expect::New {
        match chunk_writes(conn, job, Attempt::Unprobed) {
            Err(error) if met_a_stored_row(&error) => {}
            written => return written,
        }
    }
    chunk_writes(conn, job, Attempt::Probed)
}

impl ListingWrites for SqliteConn {
    /// The chunk is copied once into the task that writes it (the task must own what it
    /// reads); its rows are serialized there, off the caller's thread.
    async fn write_chunk(
        &mut self,
        src: &str,
        chunk: &[ListingRecord],
        seen: DbTime,
        expect: Expect,
    ) -> Result<Vec<UpsertOutcome>, TxError> {
        let (src, chunk) = (src.to_owned(), chunk.to_vec());
        self.spawn_blocking(move |conn| {
            Ok(write_chunk(
                conn,
                &ChunkJob::new(&src, &chunk, seen),
                expect,
            ))
        })
        .await?
    }

    async fn touch_known(
        &mut self,
        src: &str,
        ids: &[&str],
        keys: &[&[u8]],
        seen: DbTime,
    ) -> Result<Vec<bool>, TxError> {
        let src = src.to_owned();
        let pairs: Vec<(String, Vec<u8>)> = ids
            .iter()
            .zip(keys)
            .map(|(id, key)| ((*id).to_owned(), key.to_vec()))
            .collect();
        self.spawn_blocking(move |conn| {
            conn.transaction(|conn| touch_known(conn, &src, &pairs, seen))
        })
        .await
        .map_err(TxError::from)
    }

    async fn mark_seen(&mut self, src: &str, keys: &[&str], seen: DbTime) -> QueryResult<usize> {
        let src = src.to_owned();
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        self.spawn_blocking(move |conn| {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            mark_seen(conn, &src, &keys, seen)
        })
        .await
    }
}
