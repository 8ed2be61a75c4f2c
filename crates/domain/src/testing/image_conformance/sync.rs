//! Conformance cases of syncing listings' image URLs.

use super::{at, id, query, record, source, stored, summary, url, urls};
use crate::{ImageStatus, ImageUrl, ListingImage, ListingImageStore, ListingImageUrls};

/// A listing's new URLs are recorded as pending, in order, with nothing downloaded yet.
pub async fn new_urls_are_pending(store: &dyn ListingImageStore) {
    let s = source("kyero");
    let report = store
        .sync_images(&s, &[urls("A", &[1, 2]), urls("B", &[])], at(0))
        .await
        .expect("sync");
    assert_eq!((report.added, report.kept, report.removed), (2, 0, 0));
    let images = store.listing_images(&s, &id("A")).await.expect("images");
    assert_eq!(images.len(), 2);
    let first = &images[0];
    assert_eq!(
        (
            first.url.clone(),
            first.position,
            first.status,
            first.attempts
        ),
        (url("A", 1), 0, ImageStatus::Pending, 0)
    );
    assert_eq!(
        (
            &first.stored_key,
            &first.content_hash,
            &first.content_type,
            first.size_bytes,
            &first.last_error
        ),
        (&None, &None, &None, None, &None)
    );
    assert_eq!(first.updated_at, at(0));
    assert_eq!(
        (images[1].url.clone(), images[1].position),
        (url("A", 2), 1)
    );
    assert!(
        store
            .listing_images(&s, &id("B"))
            .await
            .expect("B")
            .is_empty()
    );
    let again = store
        .sync_images(&s, &[urls("A", &[1, 2])], at(5))
        .await
        .expect("sync again");
    assert_eq!((again.added, again.kept, again.removed), (0, 2, 0));
}

/// A URL that stays keeps its stored bytes and status; only its position follows the order.
pub async fn kept_urls_keep_their_download(store: &dyn ListingImageStore) {
    let s = source("kyero");
    store
        .sync_images(&s, &[urls("A", &[1, 2])], at(0))
        .await
        .expect("sync");
    record(store, &s, "A", 1, stored("k1"), at(1)).await;
    let report = store
        .sync_images(&s, &[urls("A", &[2, 1, 3])], at(2))
        .await
        .expect("resync");
    assert_eq!(
        (
            report.added,
            report.kept,
            report.kept_stored,
            report.removed
        ),
        (1, 2, 1, 0)
    );
    assert!(report.released_keys.is_empty());
    assert_eq!(
        summary(store, &s, "A").await,
        vec![
            (url("A", 2), 0, ImageStatus::Pending, None),
            (url("A", 1), 1, ImageStatus::Stored, Some("k1".into())),
            (url("A", 3), 2, ImageStatus::Pending, None),
        ]
    );
}

/// URLs a listing no longer has are dropped; their keys are released unless still used.
pub async fn dropped_urls_release_keys(store: &dyn ListingImageStore) {
    let s = source("kyero");
    store
        .sync_images(&s, &[urls("A", &[1, 2, 3])], at(0))
        .await
        .expect("sync");
    record(store, &s, "A", 1, stored("k1"), at(1)).await;
    record(store, &s, "A", 2, stored("same"), at(1)).await;
    record(store, &s, "A", 3, stored("same"), at(1)).await;
    let report = store
        .sync_images(&s, &[urls("A", &[3])], at(2))
        .await
        .expect("resync");
    assert_eq!((report.kept, report.removed), (1, 2));
    assert_eq!(report.released_keys, vec!["k1".to_owned()]);
    assert_eq!(
        summary(store, &s, "A").await,
        vec![(url("A", 3), 0, ImageStatus::Stored, Some("same".into()))]
    );
    let emptied = store
        .sync_images(&s, &[urls("A", &[])], at(3))
        .await
        .expect("no images");
    assert_eq!(emptied.removed, 1);
    assert_eq!(emptied.released_keys, vec!["same".to_owned()]);
    assert!(summary(store, &s, "A").await.is_empty());
}

/// A URL given twice is recorded once, at its first place; a listing given twice is synced
/// to its last URL list.
pub async fn repeated_urls_count_once(store: &dyn ListingImageStore) {
    let s = source("kyero");
    let report = store
        .sync_images(&s, &[urls("A", &[1, 2, 1, 3, 2])], at(0))
        .await
        .expect("sync");
    assert_eq!(report.added, 3);
    let positions: Vec<(ImageUrl, u32)> = summary(store, &s, "A")
        .await
        .into_iter()
        .map(|(u, p, _, _)| (u, p))
        .collect();
    assert_eq!(
        positions,
        vec![(url("A", 1), 0), (url("A", 2), 1), (url("A", 3), 2)]
    );
    let twice = store
        .sync_images(&s, &[urls("B", &[1, 2]), urls("B", &[2, 3])], at(1))
        .await
        .expect("a listing twice");
    assert_eq!((twice.added, twice.removed), (2, 0));
    let b: Vec<(ImageUrl, u32)> = summary(store, &s, "B")
        .await
        .into_iter()
        .map(|(u, p, _, _)| (u, p))
        .collect();
    assert_eq!(b, vec![(url("B", 2), 0), (url("B", 3), 1)]);
}

/// The same external id in two sources has two sets of images.
pub async fn image_sources_are_separate(store: &dyn ListingImageStore) {
    let (a, b) = (source("kyero"), source("reso"));
    store
        .sync_images(&a, &[urls("X", &[1, 2])], at(0))
        .await
        .expect("a");
    store
        .sync_images(&b, &[urls("X", &[1])], at(0))
        .await
        .expect("b");
    record(store, &a, "X", 1, stored("ka"), at(1)).await;
    store
        .sync_images(&b, &[urls("X", &[])], at(2))
        .await
        .expect("b emptied");
    assert_eq!(summary(store, &a, "X").await.len(), 2);
    assert!(summary(store, &b, "X").await.is_empty());
    let pending = store
        .pending_images(&query(&b, 5, None, 10))
        .await
        .expect("b pending");
    assert!(pending.is_empty());
    let pending = store
        .pending_images(&query(&a, 5, None, 10))
        .await
        .expect("a pending");
    assert_eq!(pending.len(), 1);
}

/// Syncs of many listings at once are stored whole and page through completely.
pub async fn large_syncs(store: &dyn ListingImageStore) {
    let s = source("big");
    let listings: Vec<ListingImageUrls> = (0..1200)
        .map(|i| urls(&format!("L{i:04}"), &[1, 2, 3]))
        .collect();
    let report = store.sync_images(&s, &listings, at(0)).await.expect("sync");
    assert_eq!(report.added, 3600);
    let mut after = None;
    let mut seen = 0;
    loop {
        let page = store
            .pending_images(&query(&s, 5, after, 1000))
            .await
            .expect("page");
        if page.is_empty() {
            break;
        }
        seen += page.len();
        after = page.last().map(ListingImage::cursor);
    }
    assert_eq!(seen, 3600);
    let again = store
        .sync_images(&s, &listings, at(1))
        .await
        .expect("again");
    assert_eq!((again.added, again.kept, again.removed), (0, 3600, 0));
}
