//! Failing images never fail a listing and are tried again; the size cap and bad URLs fail
//! the image alone.

use super::*;

#[tokio::test]
async fn failing_images_do_not_fail_listings_and_are_retried() {
    let s = Setup::new().await;
    s.once("error.jpg", ResponseTemplate::new(500)).await;
    s.once(
        "slow.jpg",
        ResponseTemplate::new(200)
            .insert_header("content-type", "image/jpeg")
            .set_body_bytes(b"slow".to_vec())
            .set_delay(Duration::from_secs(10)),
    )
    .await;
    s.once(
        "page.jpg",
        ResponseTemplate::new(200).set_body_raw("<html>not found</html>", "text/html"),
    )
    .await;
    for name in ["error.jpg", "slow.jpg", "page.jpg", "good.jpg"] {
        s.serve(name, "image/jpeg", name.as_bytes(), 1).await;
    }
    s.write_feed(&[("A", &["error.jpg", "slow.jpg", "page.jpg", "good.jpg"])]);
    let settings = ImageSettings {
        // Long enough for the good images on a loaded machine, far below the slow one's.
        timeout: Duration::from_millis(1500),
        ..local_images()
    };
    let importer = s.importer(|b| b.image_settings(settings));

    let first = run(&importer).await;
    assert_eq!((first.inserted, first.failed), (1, 0));
    assert_eq!(first.counts().failed_count, 0, "the listing did not fail");
    assert_eq!(image_counts(&first), (1, 3, 0));
    let errors: Vec<(&str, Option<&str>, &str)> = first
        .errors
        .items
        .iter()
        .map(|e| {
            (
                e.stage.as_str(),
                e.external_id.as_deref(),
                e.message.as_str(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 3);
    assert!(
        errors
            .iter()
            .all(|(stage, id, _)| (*stage, *id) == ("image", Some("A")))
    );
    let messages: Vec<&str> = errors.iter().map(|(_, _, m)| *m).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("error.jpg") && m.contains("500")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("slow.jpg") && m.contains("no complete image")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("page.jpg") && m.contains("text/html")),
        "{messages:?}"
    );
    let details = first.clone().into_job_report().details.unwrap();
    assert_eq!(details["imagesFailed"], serde_json::json!(3));
    let failed = &s.images_of("A").await[0];
    assert_eq!((failed.status, failed.attempts), (ImageStatus::Failed, 1));
    assert!(
        failed
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("500")
    );

    let second = run(&importer).await;
    assert_eq!(second.unchanged, 1);
    assert_eq!(
        image_counts(&second),
        (3, 0, 0),
        "the failed ones are tried again"
    );
    assert!(second.errors.is_empty());
    assert!(
        s.images_of("A")
            .await
            .iter()
            .all(|i| i.status == ImageStatus::Stored && i.last_error.is_none())
    );
    assert_eq!(s.requests().await, 7);
}

#[tokio::test]
async fn oversized_images_and_bad_urls_fail_alone() {
    let s = Setup::new().await;
    s.serve("big.jpg", "image/jpeg", &[7; 1000], 1).await;
    s.serve("small.jpg", "image/jpeg", &[7; 100], 1).await;
    let mut l = listing("A", 100);
    l.images = vec![
        Image::new(s.url("big.jpg")),
        Image::new("ftp://img.example/a.jpg"),
        Image::new(s.url("small.jpg")),
    ];
    std::fs::write(&s.feed, serde_json::to_string(&l).unwrap()).unwrap();
    let settings = ImageSettings {
        max_bytes: 500,
        ..local_images()
    };
    let report = run(&s.importer(|b| b.image_settings(settings))).await;
    assert_eq!((report.inserted, report.failed), (1, 0));
    assert_eq!(image_counts(&report), (1, 2, 0));
    let messages: Vec<&str> = report
        .errors
        .items
        .iter()
        .map(|e| e.message.as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("ftp://")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("larger than 500 bytes")),
        "{messages:?}"
    );
    let images = s.images_of("A").await;
    assert_eq!(images.len(), 2, "the ftp URL is not recorded");
    assert_eq!(images[1].status, ImageStatus::Stored);
}
