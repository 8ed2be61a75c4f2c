#![doc = include_str!("../README.md")]

pub mod error;
mod fetch;
pub mod formats;
pub mod hash;
mod images;
pub mod kept;
mod metered;
mod pacing;
mod pipeline;
mod report;
mod reso;
mod source;
mod writes;

pub use error::ImportError;
pub use formats::{
    ArchiveLimits, AttachmentStore, Attachments, Delivered, Delivery, FeedError, FeedItem,
    FeedReader, Format, JsonReader, KyeroReader, OpenImmoReader, ReadOptions, RecordError,
};
pub use images::{ImageDownloads, ImageSettings, ImageStorage};
pub use pipeline::{Importer, ImporterBuilder};
pub use report::{ImportOutcome, ImportReport};
pub use source::{
    FeedFormat, HttpSettings, Location, OAuthClientCredentials, RateLimit, ResoSettings,
    SourceConfig,
};
