//! The image stage. While listings are stored, the image URLs of the new and changed ones are
//! synced into a [`ListingImageStore`] (new URLs pending, kept URLs keep their download, gone
//! URLs dropped and their bytes deleted); after the listings, the pending images (and those
//! whose download failed, up to a number of attempts) are downloaded as one stream bounded
//! overall and per image host, and stored in an object store. A failed image never fails its
//! listing.

mod delivered;
mod download;
mod guard;
mod lanes;
mod stage;
mod storage;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::{
    CancelToken, Clock, ImageUrl, ItemError, ListingImageStore, ListingImageUrls, ListingRecord,
    SourceName, UpsertOutcome,
};

pub use storage::{ImageStorage, ImageStorageError};

use self::stage::ImageRun;
use crate::report::{ImportOutcome, ImportReport};
use crate::source::{HttpSettings, SourceConfig};

/// How images are downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSettings {
    /// Downloads in flight at once, over all hosts (default 16, at least 1;
    /// `IMAGE_CONCURRENCY`).
    pub concurrency: usize,
    /// Downloads in flight at once to one image host: scheme, name and port (default 8, at
    /// least 1, at most `concurrency`; `IMAGE_CONCURRENCY_PER_HOST`). Below `concurrency`, a
    /// slow host cannot take every slot from the others.
    pub concurrency_per_host: usize,
    /// The largest image accepted, in bytes (default 20 MiB).
    pub max_bytes: u64,
    /// Downloads tried per image before it is left failed (default 5); each run tries a
    /// failed image once more until then.
    pub max_attempts: u32,
    /// The longest one download may take, retries included (default 2 minutes).
    pub timeout: Duration,
    /// Hosts (names or addresses) that image downloads may reach although they are, or
    /// resolve to, loopback, private or link-local addresses (`IMAGE_ALLOWED_HOSTS`); every
    /// other such download is refused, after name resolution and on every redirect.
    pub allowed_hosts: Vec<String>,
}

impl Default for ImageSettings {
    fn default() -> Self {
        Self {
            concurrency: 16,
            concurrency_per_host: 8,
            max_bytes: 20 * 1024 * 1024,
            max_attempts: 5,
            timeout: Duration::from_secs(120),
            allowed_hosts: Vec::new(),
        }
    }
}

/// Whether runs download their source's pending images
/// ([`ImporterBuilder::image_downloads`](crate::ImporterBuilder::image_downloads)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ImageDownloads {
    /// Pending images are downloaded after the listings are stored (the default).
    #[default]
    Download,
    /// No image is downloaded (`IMPORT_TEST_SKIP_IMAGES`, a source's `download_images =
    /// false`). The listings' image URLs are still recorded as pending, so a later run that
    /// downloads them catches up.
    Skip,
}

/// The image settings of an [`ImporterBuilder`](crate::ImporterBuilder).
#[derive(Default)]
pub(crate) struct ImageOptions {
    pub(crate) stores: Option<(Arc<dyn ListingImageStore>, ImageStorage)>,
    pub(crate) settings: ImageSettings,
    pub(crate) downloads: ImageDownloads,
}

impl ImageOptions {
    /// The stage, when image stores were given, with its HTTP client (the source's timeouts,
    /// guarded against internal addresses).
    pub(crate) fn into_stage(
        self,
        http: &HttpSettings,
    ) -> Result<Option<ImageStage>, reqwest::Error> {
        let Some((records, storage)) = self.stores else {
            return Ok(None);
        };
        let allowed = guard::AllowedHosts::new(&self.settings.allowed_hosts);
        Ok(Some(ImageStage {
            records,
            storage,
            client: guard::client(http, &allowed)?,
            allowed,
            settings: ImageSettings {
                concurrency: self.settings.concurrency.max(1),
                concurrency_per_host: self
                    .settings
                    .concurrency_per_host
                    .clamp(1, self.settings.concurrency.max(1)),
                ..self.settings
            },
            downloads: self.downloads,
        }))
    }
}

/// The image stage of an importer.
pub(crate) struct ImageStage {
    records: Arc<dyn ListingImageStore>,
    storage: ImageStorage,
    /// Downloads' own client: never the feed's, whose requests may go anywhere.
    client: reqwest::Client,
    /// Hosts exempt from the address check.
    allowed: guard::AllowedHosts,
    settings: ImageSettings,
    downloads: ImageDownloads,
}

impl ImageStage {
    /// Where the files of the source's ZIP deliveries are stored: in the image store, named
    /// `stored:<key>` in listings (see [`delivered`]).
    pub(crate) fn attachment_store(
        &self,
        source: &SourceName,
    ) -> Arc<dyn crate::formats::AttachmentStore> {
        Arc::new(delivered::DeliveredFiles {
            storage: self.storage.clone(),
            source: source.clone(),
        })
    }

    /// Downloads the source's pending images after a run read its feed to the end and stored
    /// its listings, unless the run was cancelled.
    pub(crate) async fn download_after(
        &self,
        source: &SourceConfig,
        clock: &dyn Clock,
        cancel: &CancelToken,
        report: &mut ImportReport,
    ) {
        if report.outcome != ImportOutcome::Complete || cancel.is_cancelled() {
            return;
        }
        let run = ImageRun {
            source,
            client: &self.client,
            clock,
            cancel,
        };
        self.download_pending(&run, report).await;
    }

    /// Syncs the image URLs of a stored batch's new and changed listings (unchanged ones have
    /// the same URLs as before) and deletes the bytes of images they dropped. URLs that cannot
    /// be downloaded (not http or https) are counted as failed images.
    pub(crate) async fn sync(
        &self,
        source: &SourceName,
        records: &[ListingRecord],
        outcomes: &[UpsertOutcome],
        now: DateTime<Utc>,
        report: &mut ImportReport,
    ) -> Result<(), propimport_domain::Error> {
        let mut listings = Vec::new();
        for (record, outcome) in records.iter().zip(outcomes) {
            if *outcome == UpsertOutcome::Unchanged {
                continue;
            }
            let external_id = &record.listing.external_id;
            let mut urls = Vec::with_capacity(record.listing.images.len());
            for image in &record.listing.images {
                match ImageUrl::parse(&image.url) {
                    Ok(url) => urls.push(url),
                    Err(e) => {
                        report.images_failed += 1;
                        report.errors.push(ItemError {
                            external_id: Some(external_id.to_string()),
                            stage: "image".into(),
                            message: e.to_string(),
                        });
                    }
                }
            }
            listings.push(ListingImageUrls {
                external_id: external_id.clone(),
                urls,
            });
        }
        if listings.is_empty() {
            return Ok(());
        }
        let synced = self.records.sync_images(source, &listings, now).await?;
        report.images_skipped += i64::try_from(synced.kept_stored).unwrap_or(i64::MAX);
        for key in &synced.released_keys {
            if let Err(e) = self.storage.delete(key).await {
                tracing::warn!(source = %source, key, error = %e, "cannot delete a dropped image");
            }
        }
        Ok(())
    }
}
