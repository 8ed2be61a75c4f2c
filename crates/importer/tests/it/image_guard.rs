//! Image URLs come from untrusted feeds: by default no download reaches a loopback, private or
//! link-local address, whether the URL names it literally, through a name that resolves to
//! it, or through a redirect; listed hosts are exempt.

use std::io::Write as _;
use std::sync::Arc;

use propimport_domain::Image;
use propimport_domain::testing::listing_conformance::listing;
use propimport_domain::testing::{InMemoryListingImageStore, InMemoryListingStore};
use propimport_domain::{
    CancelToken, ExternalId, ImageStatus, JobName, ListingImage, ListingImageStore, ProgressHandle,
};
use propimport_importer::{
    FeedFormat, ImageSettings, ImageStorage, ImportReport, Importer, Location, SourceConfig,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Setup {
    _dir: tempfile::TempDir,
    feed: std::path::PathBuf,
    server: MockServer,
    records: Arc<InMemoryListingImageStore>,
}

impl Setup {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let feed = dir.path().join("feed.ndjson");
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "image/jpeg")
                    .set_body_bytes(b"jpeg".to_vec()),
            )
            .mount(&server)
            .await;
        Self {
            _dir: dir,
            feed,
            server,
            records: Arc::new(InMemoryListingImageStore::new()),
        }
    }

    fn port(&self) -> u16 {
        self.server.address().port()
    }

    /// One listing `A` with these image URLs.
    fn write_feed(&self, urls: &[String]) {
        let mut l = listing("A", 100);
        l.images = urls.iter().map(Image::new).collect();
        let mut file = std::fs::File::create(&self.feed).unwrap();
        writeln!(file, "{}", serde_json::to_string(&l).unwrap()).unwrap();
    }

    async fn run(&self, settings: ImageSettings) -> ImportReport {
        let mut source = SourceConfig::new(
            JobName::parse("test-feed").unwrap(),
            FeedFormat::JSON,
            Location::File(self.feed.clone()),
        );
        source.http.retry.max_attempts = Some(1);
        Importer::builder(source, Arc::new(InMemoryListingStore::new()))
            .images(
                self.records.clone(),
                ImageStorage::from_url("memory://").unwrap(),
            )
            .image_settings(settings)
            .build()
            .unwrap()
            .run(&CancelToken::new(), &ProgressHandle::new())
            .await
            .unwrap()
    }

    async fn images(&self) -> Vec<ListingImage> {
        self.records
            .listing_images(
                &JobName::parse("test-feed").unwrap(),
                &ExternalId::parse("A").unwrap(),
            )
            .await
            .unwrap()
    }

    async fn requests(&self) -> Vec<String> {
        self.server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|r| r.url.path().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn internal_addresses_are_refused_by_default_and_nothing_is_requested() {
    let s = Setup::new().await;
    let port = s.port();
    s.write_feed(&[
        format!("http://127.0.0.1:{port}/img/literal.jpg"),
        format!("http://localhost:{port}/img/by-name.jpg"),
        format!("http://[::1]:{port}/img/v6.jpg"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        format!("http://10.0.0.1:{port}/img/private.jpg"),
    ]);
    let report = s.run(ImageSettings::default()).await;
    assert_eq!(report.inserted, 1, "the listing is stored all the same");
    assert_eq!((report.images_stored, report.images_failed), (0, 5));
    assert!(
        s.requests().await.is_empty(),
        "no request reached the local server"
    );
    let images = s.images().await;
    let errors: Vec<&str> = images
        .iter()
        .map(|i| i.last_error.as_deref().unwrap_or(""))
        .collect();
    for (error, kind) in
        errors
            .iter()
            .zip(["loopback", "loopback", "loopback", "link-local", "private"])
    {
        assert!(
            error.contains("refused") && error.contains(kind),
            "{error:?} should say it was refused as {kind}: {errors:?}"
        );
    }
    assert!(images.iter().all(|i| i.status == ImageStatus::Failed));
}

#[tokio::test]
async fn listed_hosts_are_reached_but_a_redirect_to_an_internal_address_is_not() {
    let s = Setup::new().await;
    let port = s.port();
    for (from, to) in [
        (
            "/img/to-name.jpg",
            format!("http://localhost:{port}/img/secret-1.jpg"),
        ),
        (
            "/img/to-literal.jpg",
            format!("http://[::1]:{port}/img/secret-2.jpg"),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(from))
            .respond_with(ResponseTemplate::new(302).insert_header("location", to.as_str()))
            .with_priority(1)
            .mount(&s.server)
            .await;
    }
    s.write_feed(&[
        format!("http://127.0.0.1:{port}/img/ok.jpg"),
        format!("http://127.0.0.1:{port}/img/to-name.jpg"),
        format!("http://127.0.0.1:{port}/img/to-literal.jpg"),
    ]);
    let settings = ImageSettings {
        allowed_hosts: vec!["127.0.0.1".into()],
        ..ImageSettings::default()
    };
    let report = s.run(settings).await;
    assert_eq!((report.images_stored, report.images_failed), (1, 2));
    let mut seen = s.requests().await;
    seen.sort();
    assert_eq!(
        seen,
        ["/img/ok.jpg", "/img/to-literal.jpg", "/img/to-name.jpg"],
        "the redirects' targets were never requested"
    );
    let images = s.images().await;
    assert_eq!(images[0].status, ImageStatus::Stored);
    for image in &images[1..] {
        let error = image.last_error.as_deref().unwrap_or("");
        assert!(
            error.contains("refused") && error.contains("loopback"),
            "{error}"
        );
    }
}
