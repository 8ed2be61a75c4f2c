//! Building an [`Importer`]: the source, the store, the clock, the batch size and the image
//! stage, checked once in [`ImporterBuilder::build`].

use std::sync::Arc;

use propimport_domain::{Clock, ListingImageStore, ListingStore, SystemClock};

use super::Importer;
use crate::ImportError;
use crate::fetch;
use crate::formats::Delivery;
use crate::images::{ImageDownloads, ImageOptions, ImageSettings, ImageStorage};
use crate::reso::ResoClient;
use crate::source::SourceConfig;

impl Importer {
    /// Starts building an importer of `source` into `listings`.
    pub fn builder(source: SourceConfig, listings: Arc<dyn ListingStore>) -> ImporterBuilder {
        ImporterBuilder {
            source,
            listings,
            clock: Arc::new(SystemClock),
            batch_size: 500,
            images: ImageOptions::default(),
        }
    }
}

/// Builds an [`Importer`].
pub struct ImporterBuilder {
    source: SourceConfig,
    listings: Arc<dyn ListingStore>,
    clock: Arc<dyn Clock>,
    batch_size: usize,
    /// The image stage's stores and settings.
    images: ImageOptions,
}

impl ImporterBuilder {
    /// Uses `clock` for seen and withdrawn times (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Listings per database batch (default 500, at least 1).
    pub fn batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.max(1);
        self
    }

    /// Builds the importer (and the source's HTTP client).
    pub fn build(self) -> Result<Importer, ImportError> {
        let client = fetch::client(&self.source.http).map_err(|e| ImportError::Setup {
            source_name: self.source.name.to_string(),
            reason: e.to_string(),
            error: Some(e.into()),
        })?;
        let reso = if self.source.format.delivery() == Delivery::Incremental {
            Some(
                ResoClient::new(&self.source).map_err(|reason| ImportError::Setup {
                    source_name: self.source.name.to_string(),
                    reason,
                    error: None,
                })?,
            )
        } else {
            None
        };
        let images = self
            .images
            .into_stage(&self.source.http)
            .map_err(|e| ImportError::Setup {
                source_name: self.source.name.to_string(),
                reason: format!("cannot build the image client: {e}"),
                error: Some(e.into()),
            })?;
        Ok(Importer {
            source: self.source,
            listings: self.listings,
            clock: self.clock,
            client,
            batch_size: self.batch_size,
            reso,
            images,
        })
    }

    /// Enables the image stage: image records go to `records`, image bytes to `storage`.
    /// Without it, images are neither recorded nor downloaded.
    pub fn images(mut self, records: Arc<dyn ListingImageStore>, storage: ImageStorage) -> Self {
        self.images.stores = Some((records, storage));
        self
    }

    /// How images are downloaded (default [`ImageSettings::default`]).
    pub fn image_settings(mut self, settings: ImageSettings) -> Self {
        self.images.settings = settings;
        self
    }

    /// Whether runs download the pending images (default [`ImageDownloads::Download`]).
    /// With [`ImageDownloads::Skip`] the listings' image URLs are still recorded as pending,
    /// so a later run that downloads them catches up.
    pub fn image_downloads(mut self, downloads: ImageDownloads) -> Self {
        self.images.downloads = downloads;
        self
    }
}
