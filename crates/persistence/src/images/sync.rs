//! Syncing listings' image URLs: one transaction per chunk of listings reads their recorded
//! images, plans each listing's changes with the domain's `plan_image_sync`, and applies them.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, RunQueryDsl};
use propimport_domain::{
    ImageSyncReport, ImageUrl, ListingImageUrls, RecordedImage, Result, plan_image_sync,
};

use super::SqlListingImageStore;
use super::rows::{NewImageRow, RecordedRow, db_position};
use crate::error::TxError;
use crate::listings::ROWS_PER_STATEMENT;
use crate::schema::listing_images::dsl as li;
use crate::sql_types::DbTime;

/// Image rows per insert statement: 1,000 rows × 8 columns stays far below both backends'
/// bind parameter limits.
const ROWS_PER_INSERT: usize = 1000;

/// Inserts new image rows: multi-row statements on PostgreSQL; one statement per row on
/// SQLite, whose async wrapper cannot build multi-row inserts (inside the caller's
/// transaction, so still one commit).
trait InsertImages {
    fn insert_images(
        &mut self,
        rows: &[NewImageRow<'_>],
    ) -> impl Future<Output = QueryResult<()>> + Send;
}

impl InsertImages for diesel_async::AsyncPgConnection {
    async fn insert_images(&mut self, rows: &[NewImageRow<'_>]) -> QueryResult<()> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            diesel::insert_into(li::listing_images)
                .values(chunk)
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

impl InsertImages for crate::connection::SqliteConn {
    async fn insert_images(&mut self, rows: &[NewImageRow<'_>]) -> QueryResult<()> {
        for row in rows {
            diesel::insert_into(li::listing_images)
                .values(row)
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

impl SqlListingImageStore {
    /// Syncs a chunk of distinct listings in one transaction.
    pub(super) async fn sync_chunk(
        &self,
        source: &str,
        chunk: &[&ListingImageUrls],
        now: DbTime,
    ) -> Result<ImageSyncReport> {
        let keys: Vec<&str> = chunk.iter().map(|l| l.external_id.as_str()).collect();
        with_write_conn!(self.db, |conn, _dialect| {
            let keys = &keys;
            conn.transaction::<_, TxError, _>(async move |conn| {
                let rows: Vec<RecordedRow> = li::listing_images
                    .filter(li::source.eq(source))
                    .filter(li::external_id.eq_any(keys))
                    .select(RecordedRow::as_select())
                    .load(conn)
                    .await?;
                let mut recorded: HashMap<String, Vec<RecordedImage>> = HashMap::new();
                for row in rows {
                    let id = row.external_id.clone();
                    recorded.entry(id).or_default().push(row.into_domain()?);
                }
                let mut report = ImageSyncReport::default();
                let mut added: Vec<(&str, ImageUrl, u32)> = Vec::new();
                for listing in chunk {
                    let id = listing.external_id.as_str();
                    let before = recorded.get(id).map_or(&[][..], Vec::as_slice);
                    let plan = plan_image_sync(before, &listing.urls);
                    for gone in plan.remove.chunks(ROWS_PER_STATEMENT) {
                        let urls: Vec<&str> = gone.iter().map(ImageUrl::as_str).collect();
                        diesel::delete(
                            li::listing_images
                                .filter(li::source.eq(source))
                                .filter(li::external_id.eq(id))
                                .filter(li::url.eq_any(&urls)),
                        )
                        .execute(conn)
                        .await?;
                    }
                    for (url, position) in &plan.reposition {
                        diesel::update(
                            li::listing_images
                                .filter(li::source.eq(source))
                                .filter(li::external_id.eq(id))
                                .filter(li::url.eq(url.as_str())),
                        )
                        .set((
                            li::position.eq(db_position(*position)),
                            li::updated_at.eq(now),
                        ))
                        .execute(conn)
                        .await?;
                    }
                    added.extend(plan.insert.into_iter().map(|(u, p)| (id, u, p)));
                    report.absorb(plan.report);
                }
                let rows: Vec<NewImageRow<'_>> = added
                    .iter()
                    .map(|(id, url, position)| {
                        NewImageRow::pending(source, id, url, *position, now)
                    })
                    .collect();
                if !rows.is_empty() {
                    conn.insert_images(&rows).await?;
                }
                Ok(report)
            })
            .await
            .map_err(TxError::into_domain)
        })
    }
}
