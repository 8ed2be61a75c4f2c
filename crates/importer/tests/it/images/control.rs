//! Skipping the image stage, and cancelling a run in the middle of its downloads.

use super::*;

#[tokio::test]
async fn skip_images_downloads_nothing() {
    let s = Setup::new().await;
    s.serve("1.jpg", "image/jpeg", b"one", 1).await;
    s.write_feed(&[("A", &["1.jpg"])]);
    let skipping = s.importer(|b| b.image_downloads(ImageDownloads::Skip));
    let report = run(&skipping).await;
    assert_eq!(report.inserted, 1);
    assert_eq!(image_counts(&report), (0, 0, 0));
    assert_eq!(s.requests().await, 0);
    assert_eq!(s.images_of("A").await[0].status, ImageStatus::Pending);

    let later = run(&s.importer(|b| b.image_downloads(ImageDownloads::Download))).await;
    assert_eq!(later.unchanged, 1);
    assert_eq!(
        image_counts(&later),
        (1, 0, 0),
        "recorded while skipped, downloaded later"
    );
}

/// Cancels the run when an image is requested, and never answers in time.
struct CancelOnRequest(CancelToken);

impl Respond for CancelOnRequest {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.0.cancel();
        ResponseTemplate::new(200)
            .insert_header("content-type", "image/jpeg")
            .set_body_bytes(b"late".to_vec())
            .set_delay(Duration::from_secs(30))
    }
}

#[tokio::test]
async fn cancellation_stops_the_downloads() {
    let s = Setup::new().await;
    let cancel = CancelToken::new();
    Mock::given(path("/img/1.jpg"))
        .respond_with(CancelOnRequest(cancel.clone()))
        .mount(&s.server)
        .await;
    s.write_feed(&[("A", &["1.jpg"])]);
    let importer = s.importer(|b| b);
    let report = tokio::time::timeout(
        Duration::from_secs(10),
        importer.run(&cancel, &ProgressHandle::new()),
    )
    .await
    .expect("a cancelled run stops without waiting for the image")
    .unwrap();
    assert_eq!(report.inserted, 1);
    assert_eq!(report.outcome, ImportOutcome::CancelledDuringImages);
    assert_eq!(image_counts(&report), (0, 0, 0));
    let image = &s.images_of("A").await[0];
    assert_eq!(
        (image.status, image.attempts),
        (ImageStatus::Pending, 0),
        "left for the next run"
    );
}
