//! `source_retry_keys`: the records of an incremental source that failed to map, fetched
//! again by key on its next runs.

use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use propimport_domain::{ExternalId, Result, RetryKey, SourceName};

use super::{ROWS_PER_STATEMENT, SqlListingStore};
use crate::error::{corrupt, from_diesel};
use crate::schema::source_retry_keys;
use crate::schema::source_retry_keys::dsl as rk;
use crate::sql_types::DbTime;

/// A `source_retry_keys` row.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = source_retry_keys, treat_none_as_default_value = false)]
struct RetryKeyRow {
    source: String,
    external_id: String,
    key_field: String,
    first_failed_at: DbTime,
    last_error: String,
}

impl RetryKeyRow {
    fn of(source: &SourceName, key: &RetryKey) -> Self {
        Self {
            source: source.to_string(),
            external_id: key.external_id.as_str().to_owned(),
            key_field: key.key_field.clone(),
            first_failed_at: DbTime(key.first_failed_at),
            last_error: key.last_error.clone(),
        }
    }

    fn into_domain(self) -> Result<RetryKey> {
        Ok(RetryKey {
            external_id: ExternalId::parse(&self.external_id)
                .map_err(|e| corrupt("a retry key's id", e))?,
            key_field: self.key_field,
            first_failed_at: self.first_failed_at.0,
            last_error: self.last_error,
        })
    }
}

impl SqlListingStore {
    /// See [`propimport_domain::ListingStore::retry_keys`].
    pub(super) async fn read_retry_keys(&self, source: &SourceName) -> Result<Vec<RetryKey>> {
        let src = source.to_string();
        let rows: Vec<RetryKeyRow> = with_conn!(self.db, |conn, _dialect| {
            rk::source_retry_keys
                .filter(rk::source.eq(&src))
                .order((rk::first_failed_at.asc(), rk::external_id.asc()))
                .select(RetryKeyRow::as_select())
                .load(conn)
                .await
                .map_err(from_diesel)?
        });
        rows.into_iter().map(RetryKeyRow::into_domain).collect()
    }

    /// See [`propimport_domain::ListingStore::add_retry_keys`].
    pub(super) async fn insert_retry_keys(
        &self,
        source: &SourceName,
        keys: &[RetryKey],
    ) -> Result<()> {
        // A statement per key: SQLite has no multi-row upsert in diesel, and a run has few.
        for key in keys {
            let row = RetryKeyRow::of(source, key);
            with_write_conn!(self.db, |conn, _dialect| {
                diesel::insert_into(rk::source_retry_keys)
                    .values(&row)
                    .on_conflict((rk::source, rk::external_id))
                    .do_update()
                    .set((
                        rk::key_field.eq(excluded(rk::key_field)),
                        rk::last_error.eq(excluded(rk::last_error)),
                    ))
                    .execute(conn)
                    .await
                    .map_err(from_diesel)?
            });
        }
        Ok(())
    }

    /// See [`propimport_domain::ListingStore::clear_retry_keys`].
    pub(super) async fn delete_retry_keys(
        &self,
        source: &SourceName,
        ids: &[ExternalId],
    ) -> Result<u64> {
        let src = source.to_string();
        let mut total = 0u64;
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let keys: Vec<&str> = chunk.iter().map(ExternalId::as_str).collect();
            let n: usize = with_write_conn!(self.db, |conn, _dialect| {
                diesel::delete(
                    rk::source_retry_keys
                        .filter(rk::source.eq(&src))
                        .filter(rk::external_id.eq_any(&keys)),
                )
                .execute(conn)
                .await
                .map_err(from_diesel)?
            });
            total += n as u64;
        }
        Ok(total)
    }
}
