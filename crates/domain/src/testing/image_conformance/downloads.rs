//! Conformance cases of walking the pending images and recording download results.

use super::{at, id, query, record, source, stored, summary, url, urls};
use crate::{ImageOutcome, ImageStatus, ListingImage, ListingImageStore, StoredImage};

/// Pending and retryable failed images come in (external id, URL) byte order (`C` before `a`),
/// page by page; stored ones and those out of attempts do not.
pub async fn pending_pages_and_attempt_limit(store: &dyn ListingImageStore) {
    let s = source("kyero");
    store
        .sync_images(
            &s,
            &[
                urls("B", &[1, 2]),
                urls("a", &[1]),
                urls("A", &[1]),
                urls("C", &[3]),
            ],
            at(0),
        )
        .await
        .expect("sync");
    record(
        store,
        &s,
        "A",
        1,
        ImageOutcome::Failed("HTTP 500".into()),
        at(1),
    )
    .await;
    record(store, &s, "B", 2, stored("kb2"), at(1)).await;
    let keys = |page: &[ListingImage]| -> Vec<(String, String)> {
        page.iter()
            .map(|i| (i.external_id.to_string(), i.url.to_string()))
            .collect()
    };
    let first = store
        .pending_images(&query(&s, 2, None, 2))
        .await
        .expect("page 1");
    assert_eq!(
        keys(&first),
        vec![
            ("A".into(), url("A", 1).to_string()),
            ("B".into(), url("B", 1).to_string())
        ]
    );
    assert_eq!(
        (
            first[0].status,
            first[0].attempts,
            first[0].last_error.as_deref()
        ),
        (ImageStatus::Failed, 1, Some("HTTP 500"))
    );
    let second = store
        .pending_images(&query(&s, 2, first.last().map(ListingImage::cursor), 2))
        .await
        .expect("page 2");
    assert_eq!(
        keys(&second),
        vec![
            ("C".into(), url("C", 3).to_string()),
            ("a".into(), url("a", 1).to_string())
        ]
    );
    let end = store
        .pending_images(&query(&s, 2, second.last().map(ListingImage::cursor), 2))
        .await
        .expect("page 3");
    assert!(end.is_empty());
    record(
        store,
        &s,
        "A",
        1,
        ImageOutcome::Failed("HTTP 500".into()),
        at(2),
    )
    .await;
    let out_of_attempts = store
        .pending_images(&query(&s, 2, None, 10))
        .await
        .expect("after a second failure");
    assert_eq!(out_of_attempts.len(), 3, "A/1 failed twice: no more tries");
    let more_allowed = store
        .pending_images(&query(&s, 3, None, 10))
        .await
        .expect("with a higher limit");
    assert_eq!(more_allowed.len(), 4);
}

/// A stored result reads back whole; a later success clears the last error.
pub async fn results_round_trip(store: &dyn ListingImageStore) {
    let s = source("kyero");
    store
        .sync_images(&s, &[urls("A", &[1])], at(0))
        .await
        .expect("sync");
    record(
        store,
        &s,
        "A",
        1,
        ImageOutcome::Failed("timed out".into()),
        at(1),
    )
    .await;
    let big = ImageOutcome::Stored(StoredImage {
        key: "kyero/A/0123456789abcdef0123456789abcdef.png".into(),
        content_hash: "0123456789abcdef0123456789abcdef".into(),
        content_type: "image/png".into(),
        size_bytes: 20 * 1024 * 1024,
    });
    record(store, &s, "A", 1, big, at(2)).await;
    let image = store
        .listing_images(&s, &id("A"))
        .await
        .expect("images")
        .pop()
        .expect("one image");
    assert_eq!(
        image,
        ListingImage {
            source: s.clone(),
            external_id: id("A"),
            url: url("A", 1),
            position: 0,
            status: ImageStatus::Stored,
            stored_key: Some("kyero/A/0123456789abcdef0123456789abcdef.png".into()),
            content_hash: Some("0123456789abcdef0123456789abcdef".into()),
            content_type: Some("image/png".into()),
            size_bytes: Some(20 * 1024 * 1024),
            last_error: None,
            attempts: 2,
            updated_at: at(2),
        }
    );
}

/// Recording a result for an image that is not recorded changes nothing.
pub async fn unknown_images_are_not_recorded(store: &dyn ListingImageStore) {
    let s = source("kyero");
    let found = store
        .record_image_result(&s, &id("A"), &url("A", 1), &stored("k"), at(0))
        .await
        .expect("record");
    assert!(!found);
    assert!(summary(store, &s, "A").await.is_empty());
}
