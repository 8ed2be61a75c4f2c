//! The image stage on the in-memory stores and an in-memory object store, with images served
//! by a local server: stored once, downloaded again only when new or failed, failures that
//! never fail a listing, the size cap, skipping and cancellation.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use propimport_domain::Image;
use propimport_domain::testing::listing_conformance::listing;
use propimport_domain::testing::{InMemoryListingImageStore, InMemoryListingStore};
use propimport_domain::{
    CancelToken, ExternalId, ImageStatus, JobName, ListingImage, ListingImageStore, ProgressHandle,
};
use propimport_importer::{
    FeedFormat, ImageDownloads, ImageSettings, ImageStorage, ImportOutcome, ImportReport, Importer,
    ImporterBuilder, Location, SourceConfig,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod control;
mod downloads;
mod failures;

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
                l.images = images.iter().map(|n| Image::new(self.url(n))).collect();
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
            FeedFormat::JSON,
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
