//! Streaming feed readers: each turns a byte stream into [`FeedItem`]s, one record at a time,
//! so memory stays bounded by one record whatever the feed's size.
//!
//! Two kinds of failure are kept apart:
//! - a bad **record** (a required field missing, a price or coordinates that do not parse, an
//!   invalid id…) comes back as [`FeedItem::Failed`] with its external id when it is known,
//!   and the reader goes on with the next record;
//! - a bad **document** (XML that is not well-formed, a JSON array with broken syntax, a
//!   document cut short, an encoding we cannot read, an I/O error) ends the feed with
//!   [`FeedError`], which says where it happened. After that, `next()` returns the same error
//!   again.
//!
//! In NDJSON each line stands alone, so a line with broken syntax is a record failure — except
//! a last line without its newline that does not parse, which is taken as a feed cut short.
//!
//! The readers are not cancel-safe: drop a reader whose `next()` future was dropped midway.

mod archive;
mod auto;
mod blm;
mod decode;
mod format;
pub(crate) mod html;
mod json;
mod kyero;
mod openimmo;
mod reaxml;
pub(crate) mod reso;
mod xml;

use std::fmt;
use std::sync::Arc;

use propimport_domain::{ExternalId, ItemError, Listing};

pub use archive::{ArchiveLimits, AttachmentStore, Delivered};
pub use blm::BlmReader;
pub use format::{Attachments, Delivery, FeedFormat, FeedReader, Format, ReadOptions};
pub use json::JsonReader;
pub use kyero::KyeroReader;
pub use openimmo::OpenImmoReader;
pub use reaxml::ReaxmlReader;

/// The largest record a reader keeps in memory (a Kyero `<property>` or a JSON object); a
/// larger record fails alone.
pub(crate) const MAX_RECORD_BYTES: usize = 4 << 20;

/// The longest text or CDATA node a Kyero feed may have unless set otherwise
/// ([`KyeroReader::max_text_bytes`]): 1 MiB. A longer one is skipped as it streams.
pub const DEFAULT_MAX_TEXT_BYTES: usize = 1 << 20;

/// A byte count as "1 MiB", "64 KiB" or "1000 bytes".
pub(crate) fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// One record of a feed: a mapped listing, a listing the feed says is gone, or the reason
/// this record alone failed.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "items are handed over one at a time and the consumer keeps the listing unboxed"
)]
pub enum FeedItem {
    /// A record mapped to the canonical listing, with the record's bytes as the format keeps
    /// them (see [`Format::single_record_document`]) when it keeps them.
    Listing(Listing, Option<Vec<u8>>),
    /// The feed says this listing is gone (a delete flag, a withdrawn status): withdraw it.
    Gone(ExternalId),
    /// A record that failed alone; the feed goes on.
    Failed(RecordError),
}

impl FeedItem {
    /// The listing, when the record mapped to one.
    pub fn listing(&self) -> Option<&Listing> {
        match self {
            Self::Listing(listing, _) => Some(listing),
            _ => None,
        }
    }
}

/// The step at which a record failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The record's own syntax is broken (an NDJSON line, a record that is too large).
    Parse,
    /// A required field is missing, or a value cannot be read as its type.
    Map,
    /// A value was read but the domain rejects it (negative price, coordinates off Earth…).
    Validate,
}

impl Stage {
    /// The stage's name, as execution records spell it (`parse`, `map`, `validate`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Parse => "parse",
            Self::Map => "map",
            Self::Validate => "validate",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why one record failed, with its external id when the record had a readable one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {} failed at {stage}: {message}", external_id.as_deref().unwrap_or("without id"))]
pub struct RecordError {
    /// The record's external id as the feed wrote it, when it could be found.
    pub external_id: Option<String>,
    /// The step that failed.
    pub stage: Stage,
    /// What is wrong, in a sentence that says which record and which field.
    pub message: String,
}

impl From<RecordError> for ItemError {
    fn from(error: RecordError) -> Self {
        Self {
            external_id: error.external_id,
            stage: error.stage.as_str().to_owned(),
            message: error.message,
        }
    }
}

/// Where in a feed something happened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    /// Byte offset from the start of the feed (for XML, of the feed decoded to UTF-8).
    pub offset: u64,
    /// 1-based line, when the reader tracks lines (the JSON reader does).
    pub line: Option<u64>,
    /// How many records had been read before.
    pub records: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}", self.offset)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        write!(f, ", after {} records", self.records)
    }
}

/// Why a feed as a whole cannot be read. Nothing read from it should count as complete.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    /// Reading the underlying stream failed.
    #[error("cannot read the feed at {at}: {source}")]
    Io {
        /// Where.
        at: Position,
        /// The I/O error (shared, so the error can be cloned).
        source: Arc<std::io::Error>,
    },
    /// The document's syntax is broken (XML not well-formed, invalid JSON in an array).
    #[error("the feed is malformed at {at}: {message}")]
    Malformed {
        /// Where.
        at: Position,
        /// What is wrong.
        message: String,
    },
    /// The document ends before it is complete (an unclosed element or array).
    #[error("the feed is truncated at {at}: {message}")]
    Truncated {
        /// Where it ends.
        at: Position,
        /// What was still open.
        message: String,
    },
    /// The document declares a character encoding that cannot be decoded.
    #[error("the feed's encoding {label:?} is not supported")]
    UnsupportedEncoding {
        /// The encoding as declared.
        label: String,
    },
    /// The document is well-formed but is not a feed of this format (e.g. an HTML page).
    #[error("not a {format} feed: {message}")]
    WrongFormat {
        /// The format that was expected.
        format: &'static str,
        /// What was found instead.
        message: String,
    },
    /// The document has no content at all.
    #[error("the feed is empty")]
    Empty,
    /// The document uses something refused for safety: entity declarations in its DOCTYPE,
    /// markup longer than the limit, elements nested too deep.
    #[error("the feed is refused at {at}: {message}")]
    Refused {
        /// Where.
        at: Position,
        /// What is refused, and why.
        message: String,
    },
}

impl FeedError {
    /// Where the error happened, when it is tied to a place in the feed.
    pub fn position(&self) -> Option<Position> {
        match self {
            Self::Io { at, .. }
            | Self::Malformed { at, .. }
            | Self::Truncated { at, .. }
            | Self::Refused { at, .. } => Some(*at),
            _ => None,
        }
    }

    pub(crate) fn io(at: Position, error: std::io::Error) -> Self {
        Self::Io {
            at,
            source: Arc::new(error),
        }
    }
}
