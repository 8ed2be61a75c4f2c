//! The record keys of a source's listings: the table an import reads first, and the sighting
//! of records recognized by their keys.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use propimport_domain::{KnownRecord, KnownRecords, RecordKey, Result, SourceName};

use super::upsert::ListingWrites as _;
use super::{ACTIVE, ROWS_PER_STATEMENT, SqlListingStore};
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
            // external_id) index whatever the table's statistics; the status is compared here.
            let page: Vec<(String, String, Option<Vec<u8>>)> =
                with_conn!(self.db, |conn, _dialect| {
                    let mut query = p::properties.filter(p::source.eq(&src)).into_boxed();
                    if let Some(after) = &after {
                        query = query.filter(p::external_id.gt(after.clone()));
                    }
                    query
                        .order(p::external_id)
                        .limit(limit)
                        .select((p::external_id, p::status, p::record_key))
                        .load(conn)
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
