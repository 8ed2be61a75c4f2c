//! The image stage on the in-memory stores and an in-memory object store, with images served
//! by a local server: stored once, downloaded again only when new or failed, failures that
//! never fail a listing, the size cap, skipping and cancellation.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use propimport_domain::testing::listing_conformance::listing;
use propimport_domain::testing::{InMemoryListingImageStore, InMemoryListingStore};
use propimport_domain::{
    CancelToken, ExternalId, ImageStatus, JobName, ListingImage, ListingImageStore, ProgressHandle,
};
use propimport_importer::{
    FeedFormat, ImageSettings, ImageStorage, ImportReport, Importer, ImporterBuilder, Location,
    SourceConfig,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Image settings that let downloads reach the local image server (loopback addresses are
/// refused by default).
pub fn local_images() -> ImageSettings {
    ImageSettings {
        allowed_hosts: vec!["127.0.0.1".into()],
        ..ImageSettings::default()
    }
}

/// A feed file, a local image server and the stores of one test.
struct Setup {
    _dir: tempfile::TempDir,
    feed: std::path::PathBuf,
    server: MockServer,
    listings: Arc<InMemoryListingStore>,
    records: Arc<InMemoryListingImageStore>,
    storage: ImageStorage,
}

impl Setup {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let feed = dir.path().join("feed.ndjson");
        Self {
            _dir: dir,
            feed,
            server: MockServer::start().await,
            listings: Arc::new(InMemoryListingStore::new()),
            records: Arc::new(InMemoryListingImageStore::new()),
            storage: ImageStorage::from_url("memory://").unwrap(),
        }
    }

    /// The URL of image `name` on the local server.
    fn url(&self, name: &str) -> String {
        format!("{}/img/{name}", self.server.uri())
    }

    /// Writes a feed of listings with these images (names on the local server).
    fn write_feed(&self, listings: &[(&str, &[&str])]) {
        let body: String = listings
            .iter()
            .map(|(id, images)| {
                let mut l = listing(id, 100);
                l.images = images.iter().map(|n| self.url(n)).collect();
                serde_json::to_string(&l).unwrap() + "\n"
            })
            .collect();
        std::fs::File::create(&self.feed)
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
    }

    /// An importer of the feed with the image stage, adjusted by `configure`.
    fn importer(&self, configure: impl FnOnce(ImporterBuilder) -> ImporterBuilder) -> Importer {
        let mut source = SourceConfig::new(
            JobName::parse("test-feed").unwrap(),
            FeedFormat::Json,
            Location::File(self.feed.clone()),
        );
        source.http.retry.max_attempts = Some(1);
        source.http.bearer_token = Some("feed-secret".into());
        let builder = Importer::builder(source, self.listings.clone())
            .images(self.records.clone(), self.storage.clone())
            .image_settings(local_images());
        configure(builder).build().unwrap()
    }

    /// Serves `body` as `content_type` at image `name`, expecting exactly `times` requests.
    async fn serve(&self, name: &str, content_type: &str, body: &[u8], times: u64) {
        Mock::given(method("GET"))
            .and(path(format!("/img/{name}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", content_type)
                    .set_body_bytes(body.to_vec()),
            )
            .expect(times)
            .mount(&self.server)
            .await;
    }

    /// Answers the next request for image `name` with `response` (then the mocks after it).
    async fn once(&self, name: &str, response: ResponseTemplate) {
        Mock::given(method("GET"))
            .and(path(format!("/img/{name}")))
            .respond_with(response)
            .up_to_n_times(1)
            .expect(1)
            .mount(&self.server)
            .await;
    }

    async fn images_of(&self, id: &str) -> Vec<ListingImage> {
        self.records
            .listing_images(
                &JobName::parse("test-feed").unwrap(),
                &ExternalId::parse(id).unwrap(),
            )
            .await
            .unwrap()
    }

    async fn requests(&self) -> usize {
        self.server.received_requests().await.unwrap().len()
    }
}

async fn run(importer: &Importer) -> ImportReport {
    importer
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await
        .unwrap()
}

fn image_counts(r: &ImportReport) -> (i64, i64, i64) {
    (r.images_stored, r.images_failed, r.images_skipped)
}

fn xxh3_hex(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

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

#[tokio::test]
async fn failing_images_do_not_fail_listings_and_are_retried() {
    let s = Setup::new().await;
    s.once("error.jpg", ResponseTemplate::new(500)).await;
    s.once(
        "slow.jpg",
        ResponseTemplate::new(200)
            .insert_header("content-type", "image/jpeg")
            .set_body_bytes(b"slow".to_vec())
            .set_delay(Duration::from_secs(3)),
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
        timeout: Duration::from_millis(300),
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
        s.url("big.jpg"),
        "ftp://img.example/a.jpg".into(),
        s.url("small.jpg"),
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

#[tokio::test]
async fn skip_images_downloads_nothing() {
    let s = Setup::new().await;
    s.serve("1.jpg", "image/jpeg", b"one", 1).await;
    s.write_feed(&[("A", &["1.jpg"])]);
    let skipping = s.importer(|b| b.skip_images(true));
    let report = run(&skipping).await;
    assert_eq!(report.inserted, 1);
    assert_eq!(image_counts(&report), (0, 0, 0));
    assert_eq!(s.requests().await, 0);
    assert_eq!(s.images_of("A").await[0].status, ImageStatus::Pending);

    let later = run(&s.importer(|b| b.skip_images(false))).await;
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
    assert!(report.cancelled);
    assert_eq!(image_counts(&report), (0, 0, 0));
    let image = &s.images_of("A").await[0];
    assert_eq!(
        (image.status, image.attempts),
        (ImageStatus::Pending, 0),
        "left for the next run"
    );
}
