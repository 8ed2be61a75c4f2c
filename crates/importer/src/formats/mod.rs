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
mod window;
mod xml;

use std::fmt;
use std::sync::Arc;

use propimport_domain::{Currency, ExternalId, ItemError, KnownRecord, KnownRecords, Listing};

pub use archive::{ArchiveLimits, AttachmentStore, Delivered};
pub use blm::BlmReader;
pub use format::{Attachments, Delivery, FeedReader, Format};
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
    /// A record recognized by its key among those stored ([`ReadOptions::known`]), neither
    /// parsed nor mapped: its stored listing is unchanged, unless the store says otherwise
    /// when it marks it seen, and the record is then mapped after all.
    Known(KnownRecord),
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

/// A feed's bytes, read as they arrive.
pub type FeedStream = Box<dyn tokio::io::AsyncBufRead + Send + Unpin>;

/// What a reader needs besides the bytes.
#[derive(Clone)]
pub struct ReadOptions {
    /// The longest text or CDATA node kept; a record with a longer one fails alone.
    pub max_text_bytes: usize,
    /// The currency of prices that name none.
    pub currency: Currency,
    /// Files delivered with the feed, when it came as an archive (set by the archive layer
    /// for the document's reader).
    pub attachments: Option<Arc<dyn Attachments>>,
    /// Where the files of an archive delivery are stored; without one they are not kept
    /// (and records naming them get no image for them).
    pub attachment_store: Option<Arc<dyn AttachmentStore>>,
    /// How large an archive delivery may be.
    pub archive: ArchiveLimits,
    /// The keys of the source's stored records (set by the pipeline for formats that
    /// recognize known records, [`Format::skips_known`]): a record whose key is among them
    /// is given as [`FeedItem::Known`], unparsed.
    pub known: Option<Arc<KnownRecords>>,
    /// The store's secret, mixed into the seed of the record keys a reader gives (set by the
    /// pipeline with [`ReadOptions::known`], from the same table).
    pub record_secret: Option<[u8; 16]>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            max_text_bytes: DEFAULT_MAX_TEXT_BYTES,
            currency: Currency::EUR,
            attachments: None,
            attachment_store: None,
            archive: ArchiveLimits::default(),
            known: None,
            record_secret: None,
        }
    }
}

impl fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadOptions")
            .field("max_text_bytes", &self.max_text_bytes)
            .field("currency", &self.currency)
            .field("attachments", &self.attachments.is_some())
            .field("attachment_store", &self.attachment_store.is_some())
            .field("archive", &self.archive)
            .field("known", &self.known.as_ref().map(|k| k.len()))
            .finish()
    }
}

/// A feed format, by reference to its [`Format`]: cheap to copy and compare (by name).
#[derive(Clone, Copy)]
pub struct FeedFormat(&'static dyn Format);

impl FeedFormat {
    /// Kyero v3 XML: a complete snapshot.
    pub const KYERO: Self = Self(&kyero::Kyero);
    /// propimport JSON (an array or NDJSON of canonical listings): a complete snapshot.
    pub const JSON: Self = Self(&json::Json);
    /// Rightmove BLM v3 (UK): a complete snapshot.
    pub const BLM: Self = Self(&blm::Blm);
    /// OpenImmo 1.2.x XML: full (`VOLL`) or partial (`TEIL`) transfers, as declared.
    pub const OPENIMMO: Self = Self(&openimmo::OpenImmo);
    /// RESO Web API (OData JSON pages): incremental, from a stored watermark.
    pub const RESO: Self = Self(&reso::Reso);
    /// REAXML (realestate.com.au): changes to an agent's listings, never a complete list.
    pub const REAXML: Self = Self(&reaxml::Reaxml);

    /// Any format but the RESO Web API's, detected from the document's first bytes.
    pub const AUTO: Self = Self(&auto::Auto);

    /// Every format, in the order sniffing tries them.
    pub const ALL: &[Self] = &[
        Self::KYERO,
        Self::REAXML,
        Self::OPENIMMO,
        Self::BLM,
        Self::RESO,
        Self::JSON,
        Self::AUTO,
    ];

    /// The format named `text` (its name or an alias, case-insensitive).
    pub fn parse(text: &str) -> Option<Self> {
        let wanted = text.trim().to_ascii_lowercase();
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.name() == wanted || f.0.aliases().contains(&wanted.as_str()))
    }

    /// The names accepted, for error messages (`kyero, json, reso`).
    pub fn names() -> String {
        Self::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The format of a document starting with `head`, when one format recognises it.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.0.sniff(head))
    }

    /// The format's configuration name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The format's common name.
    pub fn title(self) -> &'static str {
        self.0.title()
    }

    /// How its feeds relate to the source's listings.
    pub fn delivery(self) -> Delivery {
        self.0.delivery()
    }

    /// Whether a feed read to its end is the source's complete list without saying so.
    pub fn is_snapshot(self) -> bool {
        self.delivery() == Delivery::Snapshot
    }

    /// The format itself.
    pub fn format(self) -> &'static dyn Format {
        self.0
    }

    /// A reader of one document of this format. Every feed is opened here: a ZIP delivery
    /// is unpacked first (the `archive` module).
    pub fn open(self, input: FeedStream, options: &ReadOptions) -> Box<dyn FeedReader> {
        archive::open(self, input, options)
    }
}

impl PartialEq for FeedFormat {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for FeedFormat {}

impl fmt::Debug for FeedFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FeedFormat({})", self.name())
    }
}

impl fmt::Display for FeedFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
