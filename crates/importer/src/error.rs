//! The importer's error: why a run failed as a whole.

use crate::fetch::FetchError;
use crate::formats::FeedError;

/// A run that failed as a whole (records that fail alone are counted, not errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The feed could not be fetched.
    #[error("source {source_name}: {error}")]
    Fetch {
        /// The source.
        source_name: String,
        /// What failed.
        error: FetchError,
    },
    /// The feed could not be read as a whole (malformed, truncated).
    #[error("source {source_name}: feed at {location} cannot be read: {error}")]
    Feed {
        /// The source.
        source_name: String,
        /// Where the feed is, without credentials.
        location: String,
        /// What is wrong.
        error: FeedError,
    },
    /// A snapshot feed read to its end held no listing record at all, and the source does not
    /// allow that (`SourceConfig::allow_empty`). Nothing was withdrawn.
    #[error(
        "source {source_name}: the feed holds no listings (read to its end at {location}); an empty export is taken for a broken one, so nothing was withdrawn (a source that may really have none sets allow_empty / IMPORT_SOURCE_ALLOW_EMPTY)"
    )]
    EmptyFeed {
        /// The source.
        source_name: String,
        /// Where the feed is, without credentials.
        location: String,
    },
    /// The listing store failed (database unavailable).
    #[error("source {source_name}: cannot store listings: {error}")]
    Store {
        /// The source.
        source_name: String,
        /// The store's error.
        error: propimport_domain::Error,
    },
    /// The source's HTTP client could not be built.
    #[error("source {source_name}: {reason}")]
    Setup {
        /// The source.
        source_name: String,
        /// Why.
        reason: String,
    },
}
