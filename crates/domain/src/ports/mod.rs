//! The ports: traits that the storage crate implements and the scheduler and API call.

mod alert_store;
mod execution_store;
mod image_store;
mod listing_store;
mod run_queue;
mod source_store;

pub use alert_store::AlertStore;
pub use execution_store::{ExecutionStore, abandoned_finish, abandoned_message};
pub use image_store::{
    ImageCursor, ImageOutcome, ImageStatus, ImageSyncPlan, ImageSyncReport, ImageUrl, ListingImage,
    ListingImageStore, ListingImageUrls, PendingImagesQuery, RecordedImage, StoredImage,
    plan_image_sync,
};
pub use listing_store::ListingStore;
pub use run_queue::RunQueue;
pub use source_store::SourceStore;
