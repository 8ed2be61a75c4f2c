#![doc = include_str!("../README.md")]

mod error;
mod fetch;
pub mod formats;
mod hash;
mod pipeline;
mod report;
mod source;

pub use error::ImportError;
pub use fetch::FetchError;
pub use formats::{FeedError, FeedItem, JsonReader, KyeroReader, RecordError};
pub use hash::{MAPPING_VERSION, content_hash};
pub use pipeline::{Importer, ImporterBuilder};
pub use report::ImportReport;
pub use source::{FeedFormat, HttpSettings, Location, SourceConfig};
