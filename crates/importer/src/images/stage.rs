//! Downloading the pending images of a source as one continuous stream: pages of pending
//! images are read ahead in key order into per-host lanes ([`Lanes`]); a download starts
//! whenever the overall and its host's limits allow, and its bytes are stored and its result
//! recorded after its slot is freed, so a slow store write or a slow host never holds a slot
//! of another download. At most [`LOOKAHEAD`] images wait (up to [`MAX_QUEUED`] when every
//! waiting host is at its limit); downloaded bytes waiting for their write are bounded by
//! [`WRITE_BACKLOG_BYTES`] and [`WRITE_BACKLOG`] (no download starts beyond them), so at most
//! those and the downloads in flight are held at once. Stops early, leaving the rest pending, when the run is cancelled or the image
//! records cannot be read or written.

use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use propimport_domain::{
    CancelToken, Clock, ImageCursor, ImageOutcome, ItemError, ListingImage, PendingImagesQuery,
    StoredImage,
};
use xxhash_rust::xxh3::xxh3_128;

use super::download::{self, Downloaded, ImageError};
use super::lanes::{HostKey, Lanes, host_key};
use super::storage::image_key;
use super::{ImageDownloads, ImageStage};
use crate::report::{ImportOutcome, ImportReport};
use crate::source::{HttpSettings, SourceConfig};

/// Pending images read per page.
const PAGE: usize = 256;

/// Images kept waiting for a slot: the next page is read while fewer wait.
const LOOKAHEAD: usize = 2 * PAGE;

/// The most images kept waiting: pages are read up to this while every waiting image's host is
/// at its limit, so a slow host's images first in key order do not starve the hosts after them.
const MAX_QUEUED: usize = 64 * PAGE;

/// Downloaded images waiting for their write, at most, in downloads allowed at once: writes
/// come in bursts (downloads started together end together), so a few rounds may wait while
/// downloads go on.
const WRITE_BACKLOG: usize = 4;

/// Downloaded bytes waiting for their write beyond which no download starts.
const WRITE_BACKLOG_BYTES: usize = 64 * 1024 * 1024;

/// What a run gives the image stage.
pub(crate) struct ImageRun<'a> {
    /// The source.
    pub(crate) source: &'a SourceConfig,
    /// The image stage's HTTP client (the source's timeouts, guarded addresses).
    pub(crate) client: &'a reqwest::Client,
    /// The time of results.
    pub(crate) clock: &'a dyn Clock,
    /// The run's cancellation.
    pub(crate) cancel: &'a CancelToken,
}

/// What became of one pending image.
enum Attempt {
    Stored,
    Failed(ItemError),
    /// The listing dropped the image meanwhile, or the run was cancelled: nothing recorded.
    Dropped,
}

/// A finished download: its host, its image and the bytes or why there are none.
type Fetched = (HostKey, ListingImage, Result<Downloaded, ImageError>);

impl ImageStage {
    /// Downloads the source's pending images (unless downloads are skipped), counting the
    /// results in `report`.
    pub(crate) async fn download_pending(&self, run: &ImageRun<'_>, report: &mut ImportReport) {
        if self.downloads == ImageDownloads::Skip {
            return;
        }
        let before = (report.images_stored, report.images_failed);
        self.stream_pending(run, report).await;
        let (stored, failed) = (
            report.images_stored - before.0,
            report.images_failed - before.1,
        );
        if stored + failed > 0 {
            tracing::info!(source = %run.source.name, stored, failed, "images downloaded");
        }
    }

    /// Streams the pending images through the lanes: reads pages ahead, starts downloads as
    /// slots free up, stores and records each finished one.
    async fn stream_pending(&self, run: &ImageRun<'_>, report: &mut ImportReport) {
        // Image hosts are not the feed: the feed's credentials are never sent to them.
        let http = HttpSettings {
            bearer_token: None,
            ..run.source.http.clone()
        };
        let concurrency = self.settings.concurrency.max(1);
        let mut lanes = Lanes::new(concurrency, self.settings.concurrency_per_host);
        let mut after: Option<ImageCursor> = None;
        let mut read_all = false;
        let mut pages: FuturesUnordered<BoxFuture<'_, _>> = FuturesUnordered::new();
        let mut downloads: FuturesUnordered<BoxFuture<'_, Fetched>> = FuturesUnordered::new();
        let mut writes: FuturesUnordered<BoxFuture<'_, _>> = FuturesUnordered::new();
        let mut waiting_bytes = 0;
        loop {
            let starved = !lanes.can_start() && lanes.in_flight() < concurrency;
            let wanted = lanes.queued() < LOOKAHEAD || (starved && lanes.queued() < MAX_QUEUED);
            if pages.is_empty() && !read_all && wanted {
                let query = PendingImagesQuery {
                    source: run.source.name.clone(),
                    max_attempts: self.settings.max_attempts,
                    after: after.clone(),
                    limit: PAGE,
                };
                let records = self.records.clone();
                pages.push(Box::pin(
                    async move { records.pending_images(&query).await },
                ));
            }
            // Downloaded bytes wait for their write: no new download while too many wait.
            while writes.len() < WRITE_BACKLOG * concurrency && waiting_bytes < WRITE_BACKLOG_BYTES
            {
                let Some((host, image)) = lanes.start() else {
                    break;
                };
                downloads.push(Box::pin(self.download(host, image, run, &http)));
            }
            if pages.is_empty() && downloads.is_empty() && writes.is_empty() {
                return;
            }
            // Cancellation first: a download it cut short comes back as soon as it does.
            tokio::select! {
                biased;
                () = run.cancel.cancelled() => {
                    report.outcome = ImportOutcome::CancelledDuringImages;
                    return;
                }
                Some(page) = pages.next(), if !pages.is_empty() => {
                    let page: Vec<ListingImage> = match page {
                        Ok(page) => page,
                        Err(e) => return stopped(report, &e),
                    };
                    read_all = page.len() < PAGE;
                    if let Some(last) = page.last() {
                        after = Some(last.cursor());
                    }
                    for image in page {
                        lanes.push(host_key(image.url.as_str()), image);
                    }
                }
                Some((host, image, fetched)) = downloads.next(), if !downloads.is_empty() => {
                    lanes.done(&host);
                    let bytes = fetched.as_ref().map_or(0, |d| d.bytes.len());
                    waiting_bytes += bytes;
                    let write = self.store_and_record(image, fetched, run);
                    writes.push(Box::pin(async move { (bytes, write.await) }));
                }
                Some((bytes, written)) = writes.next(), if !writes.is_empty() => {
                    waiting_bytes -= bytes;
                    match written {
                    Ok(Attempt::Stored) => report.images_stored += 1,
                    Ok(Attempt::Failed(error)) => {
                        report.images_failed += 1;
                        report.errors.push(error);
                    }
                    Ok(Attempt::Dropped) => {}
                    Err(e) => return stopped(report, &e),
                    }
                }
            }
        }
    }

    /// Downloads one image within the image timeout.
    async fn download(
        &self,
        host: HostKey,
        image: ListingImage,
        run: &ImageRun<'_>,
        http: &HttpSettings,
    ) -> Fetched {
        let limit = self.settings.timeout;
        if let Some(key) = image.url.stored_key() {
            // Delivered with the feed: already in the store, never downloaded.
            let read = super::delivered::read(&self.storage, key).await;
            return (host, image, read.map_err(ImageError::Delivered));
        }
        let fetched = download::download(
            &image.url,
            run.client,
            &self.allowed,
            http,
            self.settings.max_bytes,
            run.cancel,
        );
        let result = match tokio::time::timeout(limit, fetched).await {
            Ok(result) => result,
            Err(_) => Err(ImageError::TimedOut(limit)),
        };
        (host, image, result)
    }

    /// Stores a downloaded image's bytes and records the result of its download; fails only
    /// when the result cannot be recorded.
    async fn store_and_record(
        &self,
        image: ListingImage,
        fetched: Result<Downloaded, ImageError>,
        run: &ImageRun<'_>,
    ) -> Result<Attempt, propimport_domain::Error> {
        let result = match fetched {
            Ok(downloaded) => {
                let limit = self.settings.timeout;
                match tokio::time::timeout(limit, self.store(&image, downloaded)).await {
                    Ok(result) => result,
                    Err(_) => Err(ImageError::Store(format!(
                        "the image store did not answer within {limit:?}"
                    ))),
                }
            }
            Err(e) => Err(e),
        };
        let outcome = match result {
            Ok(stored) => ImageOutcome::Stored(stored),
            Err(ImageError::Cancelled) => return Ok(Attempt::Dropped),
            Err(e) => ImageOutcome::Failed(e.to_string()),
        };
        let recorded = self
            .records
            .record_image_result(
                &image.source,
                &image.external_id,
                &image.url,
                &outcome,
                run.clock.now(),
            )
            .await?;
        Ok(match outcome {
            _ if !recorded => Attempt::Dropped,
            ImageOutcome::Stored(_) => Attempt::Stored,
            ImageOutcome::Failed(message) => {
                tracing::debug!(source = %image.source, external_id = %image.external_id, url = %download::shown(&image.url), error = %message, "image not stored");
                Attempt::Failed(ItemError {
                    external_id: Some(image.external_id.to_string()),
                    stage: "image".into(),
                    message: format!("{}: {message}", download::shown(&image.url)),
                })
            }
        })
    }

    /// Stores an image's bytes under their content hash.
    async fn store(
        &self,
        image: &ListingImage,
        downloaded: Downloaded,
    ) -> Result<StoredImage, ImageError> {
        let content_hash = format!("{:032x}", xxh3_128(&downloaded.bytes));
        let extension = download::extension(&downloaded.content_type);
        let key = image_key(&image.source, &image.external_id, &content_hash, &extension);
        let size_bytes = downloaded.bytes.len() as u64;
        self.storage
            .put(&key, downloaded.bytes)
            .await
            .map_err(|e| ImageError::Store(e.to_string()))?;
        Ok(StoredImage {
            key: key.to_string(),
            content_hash,
            content_type: downloaded.content_type,
            size_bytes,
        })
    }
}

/// Ends the stage because the image records failed; what is left stays pending.
fn stopped(report: &mut ImportReport, error: &propimport_domain::Error) {
    tracing::warn!(error = %error, "image stage stopped: the image records failed");
    report.errors.push(ItemError {
        external_id: None,
        stage: "image".into(),
        message: format!("image downloads stopped: {error}"),
    });
}
