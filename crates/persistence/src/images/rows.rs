//! Rows of `listing_images`.

use diesel::prelude::*;
use propimport_domain::{
    ExternalId, ImageStatus, ImageUrl, JobName, ListingImage, RecordedImage, Result,
};

use crate::error::corrupt;
use crate::schema::listing_images;
use crate::sql_types::DbTime;

/// An image as read back.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = listing_images)]
pub(crate) struct ImageRow {
    source: String,
    external_id: String,
    url: String,
    position: i32,
    status: String,
    stored_key: Option<String>,
    content_hash: Option<String>,
    content_type: Option<String>,
    size_bytes: Option<i64>,
    last_error: Option<String>,
    attempts: i32,
    updated_at: DbTime,
}

impl ImageRow {
    pub(crate) fn into_domain(self) -> Result<ListingImage> {
        Ok(ListingImage {
            source: JobName::parse(&self.source).map_err(|e| corrupt("image source", e))?,
            external_id: ExternalId::parse(&self.external_id)
                .map_err(|e| corrupt("image listing id", e))?,
            url: ImageUrl::parse(&self.url).map_err(|e| corrupt("image url", e))?,
            position: u32::try_from(self.position).map_err(|e| corrupt("image position", e))?,
            status: ImageStatus::parse(&self.status).map_err(|e| corrupt("image status", e))?,
            stored_key: self.stored_key,
            content_hash: self.content_hash,
            content_type: self.content_type,
            size_bytes: self
                .size_bytes
                .map(u64::try_from)
                .transpose()
                .map_err(|e| corrupt("image size", e))?,
            last_error: self.last_error,
            attempts: u32::try_from(self.attempts).map_err(|e| corrupt("image attempts", e))?,
            updated_at: self.updated_at.0,
        })
    }
}

/// What a sync needs to know of a recorded image.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = listing_images)]
pub(crate) struct RecordedRow {
    pub(crate) external_id: String,
    url: String,
    position: i32,
    status: String,
    stored_key: Option<String>,
}

impl RecordedRow {
    pub(crate) fn into_domain(self) -> Result<RecordedImage> {
        Ok(RecordedImage {
            url: ImageUrl::parse(&self.url).map_err(|e| corrupt("image url", e))?,
            position: u32::try_from(self.position).map_err(|e| corrupt("image position", e))?,
            status: ImageStatus::parse(&self.status).map_err(|e| corrupt("image status", e))?,
            stored_key: self.stored_key,
        })
    }
}

/// A new, pending image.
#[derive(Debug, Insertable)]
#[diesel(table_name = listing_images)]
pub(crate) struct NewImageRow<'a> {
    source: &'a str,
    external_id: &'a str,
    url: &'a str,
    position: i32,
    status: &'static str,
    attempts: i32,
    created_at: DbTime,
    updated_at: DbTime,
}

impl<'a> NewImageRow<'a> {
    pub(crate) fn pending(
        source: &'a str,
        external_id: &'a str,
        url: &'a ImageUrl,
        position: u32,
        now: DbTime,
    ) -> Self {
        Self {
            source,
            external_id,
            url: url.as_str(),
            position: db_position(position),
            status: ImageStatus::Pending.as_str(),
            attempts: 0,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A position as stored.
pub(crate) fn db_position(position: u32) -> i32 {
    i32::try_from(position).unwrap_or(i32::MAX)
}
