//! Downloading the pending images of a source: page by page in key order, a bounded number of
//! downloads in flight, each result recorded as it comes; stops early, leaving the rest
//! pending, when the run is cancelled or the image records cannot be read or written.

use futures_util::StreamExt as _;
use propimport_domain::{
    CancelToken, Clock, ImageOutcome, ItemError, ListingImage, PendingImagesQuery, StoredImage,
};
use xxhash_rust::xxh3::xxh3_128;

use super::ImageStage;
use super::download::{self, ImageError};
use super::storage::image_key;
use crate::report::ImportReport;
use crate::source::{HttpSettings, SourceConfig};

/// Pending images read per page.
const PAGE: usize = 256;

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

impl ImageStage {
    /// Downloads the source's pending images (unless downloads are skipped), counting the
    /// results in `report`.
    pub(crate) async fn download_pending(&self, run: &ImageRun<'_>, report: &mut ImportReport) {
        if self.skip_downloads {
            return;
        }
        let before = (report.images_stored, report.images_failed);
        self.walk_pending(run, report).await;
        let (stored, failed) = (
            report.images_stored - before.0,
            report.images_failed - before.1,
        );
        if stored + failed > 0 {
            tracing::info!(source = %run.source.name, stored, failed, "images downloaded");
        }
    }

    /// Walks the pending images page by page, downloading each page's with bounded
    /// concurrency.
    async fn walk_pending(&self, run: &ImageRun<'_>, report: &mut ImportReport) {
        // Image hosts are not the feed: the feed's credentials are never sent to them.
        let http = HttpSettings {
            bearer_token: None,
            ..run.source.http.clone()
        };
        let mut after = None;
        loop {
            let query = PendingImagesQuery {
                source: run.source.name.clone(),
                max_attempts: self.settings.max_attempts,
                after: after.take(),
                limit: PAGE,
            };
            let page = match self.records.pending_images(&query).await {
                Ok(page) => page,
                Err(e) => return stopped(report, &e),
            };
            let last_page = page.len() < PAGE;
            after = page.last().map(ListingImage::cursor);
            let mut attempts = futures_util::stream::iter(page)
                .map(|image| self.attempt(image, run, &http))
                .buffer_unordered(self.settings.concurrency);
            loop {
                // Cancellation first: a download it cut short comes back as soon as it does.
                let next = tokio::select! {
                    biased;
                    () = run.cancel.cancelled() => {
                        report.cancelled = true;
                        return;
                    }
                    next = attempts.next() => next,
                };
                match next {
                    None => break,
                    Some(Ok(Attempt::Stored)) => report.images_stored += 1,
                    Some(Ok(Attempt::Failed(error))) => {
                        report.images_failed += 1;
                        report.errors.push(error);
                    }
                    Some(Ok(Attempt::Dropped)) => {}
                    Some(Err(e)) => return stopped(report, &e),
                }
            }
            if last_page {
                return;
            }
        }
    }

    /// Downloads, stores and records one image; fails only when the result cannot be
    /// recorded.
    async fn attempt(
        &self,
        image: ListingImage,
        run: &ImageRun<'_>,
        http: &HttpSettings,
    ) -> Result<Attempt, propimport_domain::Error> {
        let limit = self.settings.timeout;
        let result =
            match tokio::time::timeout(limit, self.fetch_and_store(&image, run, http)).await {
                Ok(result) => result,
                Err(_) => Err(ImageError::TimedOut(limit)),
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

    /// Downloads one image and stores its bytes under their content hash.
    async fn fetch_and_store(
        &self,
        image: &ListingImage,
        run: &ImageRun<'_>,
        http: &HttpSettings,
    ) -> Result<StoredImage, ImageError> {
        let downloaded = download::download(
            &image.url,
            run.client,
            &self.allowed,
            http,
            self.settings.max_bytes,
            run.cancel,
        )
        .await?;
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
