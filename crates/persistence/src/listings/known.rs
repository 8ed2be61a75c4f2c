//! The record keys of a source's listings: the table an import reads first, and the sighting
//! of records recognized by their keys.

use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, RunQueryDsl};
use propimport_domain::{KnownRecord, KnownRecords, RecordKey, Result, SourceName};

use super::upsert::ListingWrites as _;
use super::{ACTIVE, ROWS_PER_STATEMENT, SqlListingStore};
use crate::database::Dialect;
use crate::error::{TxError, corrupt_value, from_diesel};
use crate::schema::properties::dsl as p;
use crate::schema::record_key_secret::dsl as rks;
use crate::sql_types::DbTime;

/// Keys read per query: pages in id order, so that no query holds a connection for long and
/// no more than a page of rows is held besides the table.
const KEYS_PER_PAGE: i64 = 20_000;

/// Rows the first page reads: when its active listings have no key, the source stores none
/// (its records were read by a format that gives no keys) and the table is read no further.
const FIRST_PAGE: i64 = 1_000;

/// Pins PostgreSQL's plan of a page to a walk of the `(source, external_id)` index for the
/// rest of the page's transaction. Before the table is analyzed (a re-import right after a
/// large first import), the planner expected a few hundred rows of the source and read each
/// page by a bitmap scan of all the source's rows after the page's start, then sorted them:
/// the pages of a table cost the square of its rows (the 51 pages of 1,000,000 rows took
/// 7.3 s, 0.26 s pinned). The walk stops at the page's end, whatever the statistics.
pub(crate) const WALK_THE_INDEX: &str = "SELECT set_config('enable_bitmapscan', 'off', true), \
     set_config('enable_sort', 'off', true)";

impl SqlListingStore {
    /// The store's record-key secret, and the keys of the source's active listings that have
    /// one, with their ids, page by page in id order. A stored key of the wrong length
    /// (damaged) is left out: that listing's record is then mapped as any other. When the
    /// active listings of the first page ([`FIRST_PAGE`] rows) have no key, the table is
    /// empty: a source whose format is detected at each run reads it whatever its format, and
    /// a JSON source's table would be a pass over all its rows for nothing. (A source whose
    /// first listings lost their keys, by `propimport remap`, recognizes nothing for a run;
    /// its unchanged listings take their keys back in that run.)
    pub(super) async fn read_known(&self, source: &SourceName) -> Result<KnownRecords> {
        let src = source.to_string();
        let secret: Vec<u8> = with_conn!(self.db, |conn, _dialect| {
            rks::record_key_secret
                .filter(rks::id.eq(1))
                .select(rks::secret)
                .first(conn)
                .await
                .map_err(from_diesel)?
        });
        let secret: [u8; 16] = secret
            .as_slice()
            .try_into()
            .map_err(|_| corrupt_value("record key secret", &format!("{} bytes", secret.len())))?;
        let mut known = KnownRecords::with_secret(secret);
        let mut after: Option<String> = None;
        let mut limit = FIRST_PAGE;
        loop {
            // Only the source and the id in the query, so that it walks the (source,
            // external_id) index (on PostgreSQL, whatever the table's statistics: the page's
            // transaction pins it); the status is compared here.
            let (src, start) = (src.as_str(), after.as_deref());
            let page: Vec<(String, String, Option<Vec<u8>>)> =
                with_conn!(self.db, |conn, dialect| {
                    conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
                        if matches!(dialect, Dialect::Postgres) {
                            diesel::sql_query(WALK_THE_INDEX).execute(conn).await?;
                        }
                        let mut query = p::properties.filter(p::source.eq(src)).into_boxed();
                        if let Some(start) = start {
                            query = query.filter(p::external_id.gt(start));
                        }
                        query
                            .order(p::external_id)
                            .limit(limit)
                            .select((p::external_id, p::status, p::record_key))
                            .load(conn)
                            .await
                    })
                    .await
                    .map_err(from_diesel)?
                });
            let full = page.len() == usize::try_from(limit).unwrap_or(usize::MAX);
            let (mut active, mut keyed) = (false, false);
            for (id, status, key) in &page {
                if status != ACTIVE {
                    continue;
                }
                active = true;
                if let Some(key) = key.as_deref() {
                    keyed = true;
                    if let Some(key) = RecordKey::from_slice(key) {
                        known.push(key, id);
                    }
                }
            }
            if after.is_none() && active && !keyed {
                return Ok(known.finish());
            }
            limit = KEYS_PER_PAGE;
            match page.into_iter().next_back() {
                Some((last, _, _)) if full => after = Some(last),
                _ => return Ok(known.finish()),
            }
        }
    }

    /// Marks the listings of `records` seen where they are active with the same key, a
    /// chunk per transaction; gives whether each was.
    pub(super) async fn touch_known_chunks(
        &self,
        source: &SourceName,
        records: &[KnownRecord],
        seen: DbTime,
    ) -> Result<Vec<bool>> {
        let src = source.to_string();
        let mut matched = Vec::with_capacity(records.len());
        for chunk in records.chunks(ROWS_PER_STATEMENT) {
            let ids: Vec<&str> = chunk.iter().map(|r| r.external_id.as_str()).collect();
            let keys: Vec<&[u8]> = chunk.iter().map(|r| &r.key.0[..]).collect();
            let found: Vec<bool> = with_write_conn!(self.db, |conn, _dialect| {
                conn.touch_known(&src, &ids, &keys, seen)
                    .await
                    .map_err(TxError::into_domain)?
            });
            matched.extend(found);
        }
        Ok(matched)
    }
}
