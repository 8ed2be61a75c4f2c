//! The conformance suite of [`ListingImageStore`], run by every implementation through
//! [`listing_image_store_conformance!`](crate::listing_image_store_conformance) against a
//! fresh store: syncing URL sets (`sync`), and walking and recording downloads (`downloads`).

mod downloads;
mod sync;

use chrono::{DateTime, Duration, Utc};

use super::conformance::t0;
use crate::{
    ExternalId, ImageCursor, ImageOutcome, ImageStatus, ImageUrl, JobName, ListingImageStore,
    ListingImageUrls, PendingImagesQuery, SourceName, StoredImage,
};

pub use downloads::{
    pending_pages_and_attempt_limit, results_round_trip, unknown_images_are_not_recorded,
};
pub use sync::{
    dropped_urls_release_keys, image_sources_are_separate, kept_urls_keep_their_download,
    large_syncs, new_urls_are_pending, repeated_urls_count_once,
};

/// Gives a test its image store.
pub trait ImageFixture {
    /// The store under test.
    fn images(&self) -> &dyn ListingImageStore;
}

impl ImageFixture for super::InMemoryListingImageStore {
    fn images(&self) -> &dyn ListingImageStore {
        self
    }
}

/// Expands to one `#[test]` per image-store conformance case (see
/// [`execution_store_conformance!`](crate::execution_store_conformance) for the arguments).
#[macro_export]
macro_rules! listing_image_store_conformance {
    (run = $run:path, store = $make:expr) => {
        $crate::listing_image_store_conformance!(@cases $run, $make;
            new_urls_are_pending, kept_urls_keep_their_download, dropped_urls_release_keys,
            repeated_urls_count_once, pending_pages_and_attempt_limit, results_round_trip,
            unknown_images_are_not_recorded, image_sources_are_separate, large_syncs);
    };
    (@cases $run:path, $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $run(async {
                    let Some(fixture) = $make.await else { return };
                    let store = $crate::testing::image_conformance::ImageFixture::images(&fixture);
                    $crate::testing::image_conformance::$case(store).await;
                });
            }
        )*
    };
}

fn source(name: &str) -> SourceName {
    JobName::parse(name).unwrap_or_else(|_| JobName::default_import())
}

fn id(text: &str) -> ExternalId {
    ExternalId::parse(text).unwrap_or_else(|_| panic!("valid id {text}"))
}

fn url(listing: &str, n: u32) -> ImageUrl {
    ImageUrl::parse(&format!("https://img.example/{listing}/{n}.jpg"))
        .unwrap_or_else(|_| panic!("valid url"))
}

fn urls(listing: &str, ns: &[u32]) -> ListingImageUrls {
    ListingImageUrls {
        external_id: id(listing),
        urls: ns.iter().map(|n| url(listing, *n)).collect(),
    }
}

fn at(seconds: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(seconds)
}

fn stored(key: &str) -> ImageOutcome {
    ImageOutcome::Stored(StoredImage {
        key: key.to_owned(),
        content_hash: format!("hash-of-{key}"),
        content_type: "image/jpeg".into(),
        size_bytes: 1234,
    })
}

/// (URL, position, status, stored key) of a listing's images, in display order.
async fn summary(
    store: &dyn ListingImageStore,
    s: &SourceName,
    listing: &str,
) -> Vec<(ImageUrl, u32, ImageStatus, Option<String>)> {
    store
        .listing_images(s, &id(listing))
        .await
        .expect("listing images")
        .into_iter()
        .map(|i| (i.url, i.position, i.status, i.stored_key))
        .collect()
}

async fn record(
    store: &dyn ListingImageStore,
    s: &SourceName,
    listing: &str,
    n: u32,
    outcome: ImageOutcome,
    when: DateTime<Utc>,
) {
    let found = store
        .record_image_result(s, &id(listing), &url(listing, n), &outcome, when)
        .await
        .expect("record");
    assert!(found, "image {listing}/{n} is recorded");
}

fn query(
    s: &SourceName,
    max_attempts: u32,
    after: Option<ImageCursor>,
    limit: usize,
) -> PendingImagesQuery {
    PendingImagesQuery {
        source: s.clone(),
        max_attempts,
        after,
        limit,
    }
}
