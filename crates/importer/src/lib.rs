#![doc = include_str!("../README.md")]

mod error;
mod fetch;
pub mod formats;
mod hash;
mod images;
mod metered;
mod pacing;
mod pipeline;
mod report;
mod reso;
mod source;
mod writes;

pub use error::ImportError;
pub use fetch::{FetchError, Timeout};
pub use formats::{FeedError, FeedItem, JsonReader, KyeroReader, RecordError};
pub use hash::{MAPPING_VERSION, content_hash, record};
pub use images::{
    DEFAULT_IMAGE_STORE_URL, ImageDownloads, ImageSettings, ImageStorage, ImageStorageError,
};
pub use pipeline::{Importer, ImporterBuilder};
pub use report::{ImportOutcome, ImportReport};
pub use source::{
    FeedFormat, HttpSettings, Location, OAuthClientCredentials, RateLimit, ResoSettings,
    SourceConfig,
};

/// The object store crate of [`ImageStorage::new`], re-exported so embedders use the same version.
pub use object_store;
