//! The run's progress while it goes: bytes read against a local file's size and an HTTP
//! body's `Content-Length`, and stored records counted before the feed has been read to its
//! end (a feed served in two halves, the second held back until the test has seen the first
//! counted).

use std::sync::Arc;
use std::time::{Duration, Instant};

use propimport_domain::testing::InMemoryListingStore;
use propimport_domain::testing::listing_conformance::listing;
use propimport_domain::{CancelToken, JobName, Progress, ProgressHandle};
use propimport_importer::{FeedFormat, Importer, Location, SourceConfig};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn ndjson(n: usize) -> String {
    (0..n)
        .map(|i| {
            serde_json::to_string(&listing(&format!("P-{i}"), 1000 + i as i64)).unwrap() + "\n"
        })
        .collect()
}

fn importer(location: Location, batch_size: usize) -> Importer {
    let mut config = SourceConfig::new(
        JobName::parse("progress-feed").unwrap(),
        FeedFormat::JSON,
        location,
    );
    config.http.read_timeout = Duration::from_secs(20);
    Importer::builder(config, Arc::new(InMemoryListingStore::new()))
        .batch_size(batch_size)
        .build()
        .unwrap()
}

/// Waits (at most 10 s) until the progress satisfies `done`, and gives it.
async fn until(progress: &ProgressHandle, done: impl Fn(&Progress) -> bool) -> Progress {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = progress.get();
        if done(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "progress stayed at {now:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_file_reports_its_size_and_every_byte_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.ndjson");
    let body = ndjson(25);
    std::fs::write(&path, &body).unwrap();
    let progress = ProgressHandle::new();
    let report = importer(Location::File(path), 10)
        .run(&CancelToken::new(), &progress)
        .await
        .unwrap();
    let p = progress.get();
    let size = body.len() as u64;
    assert_eq!((p.bytes_read, p.bytes_total), (Some(size), Some(size)));
    assert_eq!(
        (p.counts.total_properties, p.expected_total),
        (25, Some(25))
    );
    assert_eq!(report.inserted, 25);
}

/// An HTTP feed that stalls halfway shows its bytes, its size and the records stored so far
/// while the run waits for the rest.
#[tokio::test]
async fn an_http_feed_shows_progress_before_its_end() {
    let body = ndjson(40);
    let half = body.match_indices('\n').nth(19).unwrap().0 + 1;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/feed.ndjson", listener.local_addr().unwrap());
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let served = body.clone();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 4096];
        let _ = socket.read(&mut request).await.unwrap();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            served.len()
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(&served.as_bytes()[..half]).await.unwrap();
        socket.flush().await.unwrap();
        let _ = released.await;
        socket.write_all(&served.as_bytes()[half..]).await.unwrap();
        socket.shutdown().await.unwrap();
    });
    let importer = importer(Location::parse(&url).unwrap(), 5);
    let progress = ProgressHandle::new();
    let run = {
        let progress = progress.clone();
        tokio::spawn(async move { importer.run(&CancelToken::new(), &progress).await })
    };
    // The first half's 20 records are 4 batches of 5, all stored while the rest is held.
    let midway = until(&progress, |p| {
        p.counts.total_properties == 20 && p.bytes_read == Some(half as u64)
    })
    .await;
    assert!(!run.is_finished(), "the run waits for the second half");
    assert_eq!(midway.bytes_total, Some(body.len() as u64));
    assert_eq!(midway.expected_total, None, "unknown until the end");
    release.send(()).unwrap();
    let report = run.await.unwrap().unwrap();
    server.await.unwrap();
    assert_eq!(report.inserted, 40);
    let end = progress.get();
    assert_eq!(end.bytes_read, Some(body.len() as u64));
    assert_eq!(end.counts.total_properties, 40);
}
