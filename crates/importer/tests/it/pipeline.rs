//! The import pipeline on the in-memory listing store: change detection, withdrawals and
//! their safety limit, record failures, whole-feed failures, cancellation, and HTTP feeds
//! served by a local server (retries, Retry-After, gzip, errors).

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use propimport_domain::testing::InMemoryListingStore;
use propimport_domain::testing::listing_conformance::listing;
use propimport_domain::{
    CancelToken, ExternalId, JobName, ListingStatus, ListingStore, ProgressHandle,
};
use propimport_importer::{
    FeedFormat, ImportError, ImportOutcome, ImportReport, Importer, Location, SourceConfig,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ndjson(ids: &[(&str, i64)]) -> String {
    ids.iter()
        .map(|(id, price)| serde_json::to_string(&listing(id, *price)).unwrap() + "\n")
        .collect()
}

fn source(location: Location) -> SourceConfig {
    let mut config = SourceConfig::new(
        JobName::parse("test-feed").unwrap(),
        FeedFormat::JSON,
        location,
    );
    config.http.retry.max_attempts = Some(3);
    // Backoff waits of 10 ms: the local server answers at once (a `Retry-After` still waits).
    config.http.retry.first_delay = Duration::from_millis(10);
    config.http.read_timeout = Duration::from_secs(2);
    config
}

struct FileFeed {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl FileFeed {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.ndjson");
        Self { _dir: dir, path }
    }

    fn write(&self, body: &str) {
        std::fs::File::create(&self.path)
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
    }
}

async fn run(importer: &Importer) -> Result<ImportReport, ImportError> {
    importer
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await
}

fn counts(r: &ImportReport) -> (i64, i64, i64, i64, i64, i64) {
    (
        r.total,
        r.inserted,
        r.updated,
        r.unchanged,
        r.failed,
        r.withdrawn,
    )
}

/// Batches are written two at a time; one that repeats a listing of the batch being written
/// waits for it, so the copy read last is stored and each copy is counted against the one
/// before it.
#[tokio::test]
async fn a_listing_repeated_across_batches_keeps_its_last_copy() {
    let feed = FileFeed::new();
    let store = Arc::new(InMemoryListingStore::new());
    let importer = Importer::builder(source(Location::File(feed.path.clone())), store.clone())
        .batch_size(1)
        .build()
        .unwrap();
    feed.write(&ndjson(&[("A", 1), ("A", 2), ("B", 3), ("C", 4), ("A", 5)]));
    let report = run(&importer).await.unwrap();
    assert_eq!(counts(&report), (5, 3, 2, 0, 0, 0));
    let a = store
        .get_listing(
            &JobName::parse("test-feed").unwrap(),
            &ExternalId::parse("A").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.listing, listing("A", 5));
}

#[tokio::test]
async fn change_detection_and_withdrawals() {
    let feed = FileFeed::new();
    let store = Arc::new(InMemoryListingStore::new());
    let importer = Importer::builder(source(Location::File(feed.path.clone())), store.clone())
        .batch_size(2)
        .build()
        .unwrap();
    let name = JobName::parse("test-feed").unwrap();
    let five = [("A", 1), ("B", 2), ("C", 3), ("D", 4), ("E", 5)];

    feed.write(&ndjson(&five));
    let first = run(&importer).await.unwrap();
    assert_eq!(counts(&first), (5, 5, 0, 0, 0, 0));
    assert_eq!(first.outcome, ImportOutcome::Complete);

    let second = run(&importer).await.unwrap();
    assert_eq!(
        counts(&second),
        (5, 0, 0, 5, 0, 0),
        "an identical feed skips everything"
    );

    feed.write(&ndjson(&[("A", 1), ("B", 20), ("C", 3), ("D", 4)]));
    let third = run(&importer).await.unwrap();
    assert_eq!(counts(&third), (4, 0, 1, 3, 0, 1), "B changed, E is gone");
    let e = store
        .get_listing(&name, &ExternalId::parse("E").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.status, ListingStatus::Withdrawn);

    feed.write(&ndjson(&five));
    let fourth = run(&importer).await.unwrap();
    assert_eq!(
        counts(&fourth),
        (5, 0, 2, 3, 0, 0),
        "B changed back, E came back"
    );
    assert_eq!(store.count_active(&name).await.unwrap(), 5);

    feed.write(&ndjson(&[("A", 1), ("B", 2)]));
    let blocked = run(&importer).await.unwrap();
    assert_eq!(blocked.withdrawn, 0);
    let why = blocked.withdrawal_blocked.clone().unwrap();
    assert_eq!(
        why,
        "3 of 5 active listings (60%) are missing from the feed and would have been withdrawn, \
         more than the allowed 30% (max_withdraw_fraction / IMPORT_MAX_WITHDRAW_FRACTION = 0.3); \
         nothing was withdrawn"
    );
    assert_eq!(store.count_active(&name).await.unwrap(), 5);
    let job = blocked.into_job_report();
    assert_eq!(
        job.warning,
        Some(why),
        "a blocked withdrawal makes the run PARTIAL"
    );
}

#[tokio::test]
async fn a_bad_record_fails_alone_and_is_not_withdrawn() {
    let feed = FileFeed::new();
    let store = Arc::new(InMemoryListingStore::new());
    let importer = Importer::builder(source(Location::File(feed.path.clone())), store.clone())
        .build()
        .unwrap();
    feed.write(&ndjson(&[("A", 1), ("B", 2), ("C", 3)]));
    run(&importer).await.unwrap();
    let broken_b = r#"{"externalId": "B", "transaction": "sale", "price": {"kind": "amount", "amount": {"minor": -5, "currency": "EUR"}}}"#;
    feed.write(&format!(
        "{}{broken_b}\n{}",
        ndjson(&[("A", 1)]),
        ndjson(&[("C", 3)])
    ));
    let report = run(&importer).await.unwrap();
    assert_eq!(counts(&report), (3, 0, 0, 2, 1, 0));
    assert_eq!(report.errors.items[0].external_id.as_deref(), Some("B"));
    let job = report.clone().into_job_report();
    assert_eq!(
        (
            job.counts.success_count,
            job.counts.failed_count,
            job.counts.skipped_count
        ),
        (0, 1, 2)
    );
    let name = JobName::parse("test-feed").unwrap();
    assert_eq!(
        store.count_active(&name).await.unwrap(),
        3,
        "B is kept as it was"
    );
}

#[tokio::test]
async fn a_broken_feed_fails_the_run_and_withdraws_nothing() {
    let feed = FileFeed::new();
    let store = Arc::new(InMemoryListingStore::new());
    let mut config = source(Location::File(feed.path.clone()));
    config.format = FeedFormat::JSON;
    let importer = Importer::builder(config, store.clone())
        .batch_size(1)
        .build()
        .unwrap();
    feed.write(&ndjson(&[("A", 1), ("B", 2), ("C", 3)]));
    run(&importer).await.unwrap();
    let array = format!(
        "[{}, {}",
        serde_json::to_string(&listing("A", 1)).unwrap(),
        r#"{"externalId": "B", "transac"#
    );
    feed.write(&array);
    let err = run(&importer).await.unwrap_err();
    assert!(matches!(err, ImportError::Feed { .. }), "{err}");
    assert!(err.to_string().contains("test-feed"), "{err}");
    let name = JobName::parse("test-feed").unwrap();
    assert_eq!(store.count_active(&name).await.unwrap(), 3);
}

#[tokio::test]
async fn a_cancelled_run_keeps_what_it_stored_and_withdraws_nothing() {
    let feed = FileFeed::new();
    let store = Arc::new(InMemoryListingStore::new());
    let importer = Importer::builder(source(Location::File(feed.path.clone())), store.clone())
        .build()
        .unwrap();
    feed.write(&ndjson(&[("A", 1), ("B", 2)]));
    run(&importer).await.unwrap();
    let cancel = CancelToken::new();
    cancel.cancel();
    let report = importer.run(&cancel, &ProgressHandle::new()).await.unwrap();
    assert_eq!(report.outcome, ImportOutcome::Cancelled);
    assert_eq!(report.withdrawn, 0);
    assert_eq!(
        store
            .count_active(&JobName::parse("test-feed").unwrap())
            .await
            .unwrap(),
        2
    );
}

async fn http_importer(server: &MockServer) -> (Importer, Arc<InMemoryListingStore>) {
    let url = format!("{}/feed.ndjson", server.uri()).parse().unwrap();
    let store = Arc::new(InMemoryListingStore::new());
    (
        Importer::builder(source(Location::Url(url)), store.clone())
            .build()
            .unwrap(),
        store,
    )
}

#[tokio::test]
async fn http_retries_server_errors_and_honours_retry_after() {
    let server = MockServer::start().await;
    Mock::given(path("/feed.ndjson"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/feed.ndjson"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/feed.ndjson"))
        .respond_with(ResponseTemplate::new(200).set_body_string(ndjson(&[("A", 1)])))
        .mount(&server)
        .await;
    let (importer, _) = http_importer(&server).await;
    let started = std::time::Instant::now();
    let report = run(&importer).await.unwrap();
    assert_eq!(report.inserted, 1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as Retry-After asked"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn http_gives_up_with_a_clear_error() {
    let server = MockServer::start().await;
    Mock::given(path("/feed.ndjson"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let (importer, _) = http_importer(&server).await;
    let err = run(&importer).await.unwrap_err().to_string();
    assert!(
        err.contains("test-feed") && err.contains("503") && err.contains("3 attempt(s)"),
        "{err}"
    );
    let server = MockServer::start().await;
    Mock::given(path("/feed.ndjson"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let (importer, _) = http_importer(&server).await;
    let err = run(&importer).await.unwrap_err().to_string();
    assert!(
        err.contains("404") && err.contains("1 attempt(s)"),
        "a 404 is not retried: {err}"
    );
}

#[tokio::test]
async fn http_times_out_and_reads_gzip() {
    let server = MockServer::start().await;
    Mock::given(path("/feed.ndjson"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(ndjson(&[("A", 1)]))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let (importer, _) = http_importer(&server).await;
    let err = run(&importer).await.unwrap_err().to_string();
    assert!(
        err.contains("after 3 attempt(s): timed out after 2 s waiting for the server to answer (read_timeout / IMPORT_SOURCE_READ_TIMEOUT)"),
        "{err}"
    );

    let server = MockServer::start().await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(ndjson(&[("A", 1), ("B", 2)]).as_bytes())
        .unwrap();
    let body = gz.finish().unwrap();
    Mock::given(path("/feed.ndjson"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Content-Encoding", "gzip")
                .set_body_bytes(body),
        )
        .mount(&server)
        .await;
    let (importer, _) = http_importer(&server).await;
    assert_eq!(run(&importer).await.unwrap().inserted, 2);
}
