#![doc = include_str!("../README.md")]

pub mod error;
mod fetch;
pub mod formats;
pub mod hash;
mod images;
mod metered;
mod pacing;
mod pipeline;
mod read_ahead;
mod remap;
mod report;
mod reso;
mod source;
mod writes;

pub use error::ImportError;
pub use fetch::open_file;
pub use formats::{
    Attachments, Delivery, FeedError, FeedItem, FeedReader, Format, JsonReader, KyeroReader,
    ReadOptions, RecordError,
};
pub use images::{ImageDownloads, ImageSettings, ImageStorage};
pub use pipeline::{Importer, ImporterBuilder};
pub use remap::{RemapReport, remap};
pub use report::{ImportOutcome, ImportReport};
pub use source::{
    FeedFormat, HttpSettings, Location, OAuthClientCredentials, RateLimit, ResoSettings,
    SourceConfig,
};
