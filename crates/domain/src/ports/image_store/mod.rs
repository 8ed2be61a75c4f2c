//! The listing image port: which images each listing has, and how far each got (pending,
//! stored, failed). The image bytes themselves live in an object store, not here.

mod plan;
mod types;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{ExternalId, Result, SourceName};

pub use plan::{ImageSyncPlan, RecordedImage, plan_image_sync};
pub use types::{
    ImageCursor, ImageOutcome, ImageStatus, ImageSyncReport, ImageUrl, ListingImage,
    ListingImageUrls, PendingImagesQuery, StoredImage,
};

/// Records listings' images. Identity is (source, external id, URL): a URL that a listing
/// keeps keeps its status and stored bytes, so an image is downloaded once, and again only when
/// its download failed. Every implementation passes the conformance suite in
/// `testing::image_conformance`, and plans syncs with [`plan_image_sync`].
#[async_trait]
pub trait ListingImageStore: Send + Sync {
    /// Makes each listing's recorded images match its URLs (see [`plan_image_sync`]): new
    /// URLs become pending, kept URLs take their new position and keep everything else,
    /// URLs no longer present are dropped. A listing with no URLs loses all its images.
    async fn sync_images(
        &self,
        source: &SourceName,
        listings: &[ListingImageUrls],
        now: DateTime<Utc>,
    ) -> Result<ImageSyncReport>;

    /// A page of the images that still need downloading (see [`PendingImagesQuery`]).
    async fn pending_images(&self, query: &PendingImagesQuery) -> Result<Vec<ListingImage>>;

    /// Records a download attempt of one image: its status, stored bytes or error, one more
    /// attempt, and `now` as its update time. Returns `false` when the image is no longer
    /// recorded (its listing dropped it meanwhile).
    async fn record_image_result(
        &self,
        source: &SourceName,
        external_id: &ExternalId,
        url: &ImageUrl,
        outcome: &ImageOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool>;

    /// A listing's images in display order.
    async fn listing_images(
        &self,
        source: &SourceName,
        external_id: &ExternalId,
    ) -> Result<Vec<ListingImage>>;
}
