//! [`SqlListingImageStore`]: the domain's `ListingImageStore` on PostgreSQL and SQLite.

mod rows;
mod sync;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::RunQueryDsl;
use propimport_domain::{
    ExternalId, ImageOutcome, ImageStatus, ImageSyncReport, ImageUrl, ListingImage,
    ListingImageStore, ListingImageUrls, PendingImagesQuery, Result, SourceName,
};

use self::rows::ImageRow;
use crate::Database;
use crate::error::from_diesel;
use crate::listings::ROWS_PER_STATEMENT;
use crate::schema::listing_images::dsl as li;
use crate::sql_types::DbTime;

/// Listings' image records stored in a [`Database`].
#[derive(Debug, Clone)]
pub struct SqlListingImageStore {
    db: Database,
}

impl SqlListingImageStore {
    /// A store on `db` (which must be migrated).
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ListingImageStore for SqlListingImageStore {
    async fn sync_images(
        &self,
        source: &SourceName,
        listings: &[ListingImageUrls],
        now: DateTime<Utc>,
    ) -> Result<ImageSyncReport> {
        let src = source.to_string();
        let distinct = ListingImageUrls::last_copies(listings);
        let mut report = ImageSyncReport::default();
        for chunk in distinct.chunks(ROWS_PER_STATEMENT) {
            report.absorb(self.sync_chunk(&src, chunk, DbTime(now)).await?);
        }
        Ok(report)
    }

    async fn pending_images(&self, query: &PendingImagesQuery) -> Result<Vec<ListingImage>> {
        let src = query.source.to_string();
        let max_attempts = i32::try_from(query.max_attempts).unwrap_or(i32::MAX);
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let after = query
            .after
            .as_ref()
            .map(|c| (c.external_id.as_str(), c.url.as_str()));
        let rows: Vec<ImageRow> = with_conn!(self.db, |conn, _dialect| {
            let mut q = li::listing_images
                .filter(li::source.eq(&src))
                // Spelled as in the partial index's predicate, with a literal, so that both
                // planners use that index (a bound parameter would not match it).
                .filter(sql::<Bool>("status <> 'stored'"))
                .filter(
                    li::status.eq(ImageStatus::Pending.as_str()).or(li::status
                        .eq(ImageStatus::Failed.as_str())
                        .and(li::attempts.lt(max_attempts))),
                )
                .into_boxed();
            if let Some((id, url)) = after {
                // The first term lets the index scan start at the cursor's listing.
                q = q.filter(li::external_id.ge(id)).filter(
                    li::external_id
                        .gt(id)
                        .or(li::external_id.eq(id).and(li::url.gt(url))),
                );
            }
            q.order((li::external_id.asc(), li::url.asc()))
                .limit(limit)
                .select(ImageRow::as_select())
                .load(conn)
                .await
                .map_err(from_diesel)?
        });
        rows.into_iter().map(ImageRow::into_domain).collect()
    }

    async fn record_image_result(
        &self,
        source: &SourceName,
        external_id: &ExternalId,
        url: &ImageUrl,
        outcome: &ImageOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let (src, id, now) = (source.to_string(), external_id.as_str(), DbTime(now));
        let changed: usize = with_write_conn!(self.db, |conn, _dialect| {
            let target = li::listing_images
                .filter(li::source.eq(&src))
                .filter(li::external_id.eq(id))
                .filter(li::url.eq(url.as_str()));
            match outcome {
                ImageOutcome::Stored(stored) => {
                    diesel::update(target)
                        .set((
                            li::status.eq(ImageStatus::Stored.as_str()),
                            li::stored_key.eq(Some(stored.key.as_str())),
                            li::content_hash.eq(Some(stored.content_hash.as_str())),
                            li::content_type.eq(Some(stored.content_type.as_str())),
                            li::size_bytes
                                .eq(Some(i64::try_from(stored.size_bytes).unwrap_or(i64::MAX))),
                            li::last_error.eq(None::<&str>),
                            li::attempts.eq(li::attempts + 1),
                            li::updated_at.eq(now),
                        ))
                        .execute(conn)
                        .await
                }
                ImageOutcome::Failed(error) => {
                    diesel::update(target)
                        .set((
                            li::status.eq(ImageStatus::Failed.as_str()),
                            li::last_error.eq(Some(error.as_str())),
                            li::attempts.eq(li::attempts + 1),
                            li::updated_at.eq(now),
                        ))
                        .execute(conn)
                        .await
                }
            }
            .map_err(from_diesel)?
        });
        Ok(changed > 0)
    }

    async fn listing_images(
        &self,
        source: &SourceName,
        external_id: &ExternalId,
    ) -> Result<Vec<ListingImage>> {
        let (src, id) = (source.to_string(), external_id.as_str());
        let rows: Vec<ImageRow> = with_conn!(self.db, |conn, _dialect| {
            li::listing_images
                .filter(li::source.eq(&src))
                .filter(li::external_id.eq(id))
                .order((li::position.asc(), li::url.asc()))
                .select(ImageRow::as_select())
                .load(conn)
                .await
                .map_err(from_diesel)?
        });
        rows.into_iter().map(ImageRow::into_domain).collect()
    }
}
