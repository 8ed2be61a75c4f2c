//! Images stored once and downloaded again only when new.

use super::*;

#[tokio::test]
async fn images_are_stored_once() {
    let s = Setup::new().await;
    s.serve("A1.jpg", "image/jpeg", b"jpeg A1", 1).await;
    s.serve("A2", "image/png; charset=binary", b"png A2", 1)
        .await;
    s.serve("B1.jpg", "image/jpeg", b"jpeg B1", 1).await;
    s.write_feed(&[("A", &["A1.jpg", "A2"]), ("B", &["B1.jpg"])]);
    let importer = s.importer(|b| b);

    let first = run(&importer).await;
    assert_eq!((first.inserted, first.failed), (2, 0));
    assert_eq!(image_counts(&first), (3, 0, 0));
    let details = first.clone().into_job_report().details.unwrap();
    assert_eq!(
        (&details["imagesStored"], &details["imagesFailed"]),
        (&serde_json::json!(3), &serde_json::json!(0))
    );
    let a = s.images_of("A").await;
    assert_eq!(a.len(), 2);
    let png = &a[1];
    assert_eq!((png.position, png.status), (1, ImageStatus::Stored));
    assert_eq!(png.url.as_str(), s.url("A2"));
    let hash = xxh3_hex(b"png A2");
    let key = format!("test-feed/A/{hash}.png");
    assert_eq!(png.stored_key.as_deref(), Some(key.as_str()));
    assert_eq!(png.content_hash.as_deref(), Some(hash.as_str()));
    assert_eq!(png.content_type.as_deref(), Some("image/png"));
    assert_eq!((png.size_bytes, png.attempts), (Some(6), 1));
    assert_eq!(s.storage.get(&key).await.unwrap(), Some(b"png A2".to_vec()));
    let requests = s.server.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .all(|r| !r.headers.contains_key("authorization")),
        "the feed's token is never sent to image hosts"
    );

    let second = run(&importer).await;
    assert_eq!(second.unchanged, 2);
    assert_eq!(image_counts(&second), (0, 0, 0));
    assert_eq!(s.requests().await, 3, "nothing is downloaded again");
}

#[tokio::test]
async fn a_changed_url_set_downloads_only_the_new_image() {
    let s = Setup::new().await;
    s.serve("1.jpg", "image/jpeg", b"one", 1).await;
    s.serve("2.jpg", "image/jpeg", b"two", 1).await;
    s.serve("3.jpg", "image/jpeg", b"three", 1).await;
    s.write_feed(&[("A", &["1.jpg", "2.jpg"])]);
    let importer = s.importer(|b| b);
    assert_eq!(image_counts(&run(&importer).await), (2, 0, 0));
    let dropped = s.images_of("A").await[0].stored_key.clone().unwrap();

    s.write_feed(&[("A", &["2.jpg", "3.jpg"])]);
    let second = run(&importer).await;
    assert_eq!(second.updated, 1);
    assert_eq!(
        image_counts(&second),
        (1, 0, 1),
        "3 is new, 2 is kept as stored"
    );
    assert_eq!(s.requests().await, 3);
    let images: Vec<(String, u32, ImageStatus)> = s
        .images_of("A")
        .await
        .into_iter()
        .map(|i| (i.url.to_string(), i.position, i.status))
        .collect();
    assert_eq!(
        images,
        vec![
            (s.url("2.jpg"), 0, ImageStatus::Stored),
            (s.url("3.jpg"), 1, ImageStatus::Stored)
        ]
    );
    assert_eq!(
        s.storage.get(&dropped).await.unwrap(),
        None,
        "a dropped image's bytes are deleted"
    );
}
