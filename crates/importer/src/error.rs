//! The importer's errors. [`ImportError`] (also at the crate's top) says why a run failed as
//! a whole: its message says the cause in words, and the cause itself (the fetch's, the
//! feed's or the store's error) is its `source()`. The causes a caller may match on are here
//! too: [`FetchError`] and the [`Timeout`] that ran out, and [`ImageStorageError`] (why an
//! image store cannot be opened); a feed's [`FeedError`] is at the crate's top with the
//! readers that return it.

pub use crate::fetch::{FetchError, Timeout};
pub use crate::images::ImageStorageError;

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
        #[source]
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
        #[source]
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
        #[source]
        error: propimport_domain::Error,
    },
    /// The source's HTTP client could not be built.
    #[error("source {source_name}: {reason}")]
    Setup {
        /// The source.
        source_name: String,
        /// Why, with the words of the error beneath.
        reason: String,
        /// The error beneath (the HTTP client's, the reader task's), when there is one.
        #[source]
        error: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn a_store_failure_is_the_source_down_to_the_stores_own() {
        let driver = std::io::Error::other("connection reset");
        let e = ImportError::Store {
            source_name: "feed".into(),
            error: propimport_domain::Error::storage_source(driver),
        };
        assert_eq!(
            e.to_string(),
            "source feed: cannot store listings: storage error: connection reset"
        );
        let store = e.source().expect("the store's error");
        assert!(
            matches!(
                store.downcast_ref::<propimport_domain::Error>(),
                Some(propimport_domain::Error::Storage { .. })
            ),
            "{store:?}"
        );
        let driver = store.source().expect("the driver's error");
        assert!(
            driver.downcast_ref::<std::io::Error>().is_some(),
            "{driver:?}"
        );
    }

    #[test]
    fn a_fetch_failure_is_the_source() {
        let e = ImportError::Fetch {
            source_name: "feed".into(),
            error: FetchError::File {
                path: "/nowhere.xml".into(),
                error: std::io::Error::from(std::io::ErrorKind::NotFound),
            },
        };
        assert_eq!(
            e.to_string(),
            "source feed: cannot open /nowhere.xml: entity not found"
        );
        let fetch = e.source().expect("the fetch's error");
        assert!(fetch.downcast_ref::<FetchError>().is_some(), "{fetch:?}");
        let io = fetch.source().expect("the system's error");
        assert!(io.downcast_ref::<std::io::Error>().is_some(), "{io:?}");
    }
}
