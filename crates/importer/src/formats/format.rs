//! The format trait: what every feed format provides, and the one list of formats.
//!
//! A format is one module under `formats/` with a unit type implementing [`Format`], named
//! once in [`FeedFormat::ALL`]. Everything else (configuration names, sniffing, the pipeline,
//! `propimport remap`) goes through the trait.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use propimport_domain::Currency;

use super::archive::{ArchiveLimits, AttachmentStore};
use super::{FeedError, FeedItem};
use crate::fetch::FeedStream;

/// How a format's feeds relate to the source's listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Every feed is the source's complete list: listings absent from a feed read to its end
    /// are withdrawn.
    Snapshot,
    /// Each feed says whether it is the complete list ([`FeedReader::is_complete_list`]), as
    /// OpenImmo's `umfang="VOLL"` or `"TEIL"` does.
    Declared,
    /// Pages of changes read from a stored watermark (the RESO Web API): nothing is withdrawn
    /// for being absent.
    Incremental,
}

/// Files delivered with a feed (the other entries of a ZIP delivery), already stored.
pub trait Attachments: Send + Sync {
    /// The URL to put in a listing for the delivered file `name` (as the feed names it,
    /// relative to the document), or `None` when the delivery has no such file.
    fn resolve(&self, name: &str) -> Option<String>;
}

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
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            max_text_bytes: super::DEFAULT_MAX_TEXT_BYTES,
            currency: Currency::EUR,
            attachments: None,
            attachment_store: None,
            archive: ArchiveLimits::default(),
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
            .finish()
    }
}

/// Reads one feed document, one record at a time.
///
/// Not cancel-safe: drop a reader whose `next()` future was dropped midway.
#[async_trait]
pub trait FeedReader: Send {
    /// The next record: a listing with the record it was read from, a listing the feed says
    /// is gone, or a record that failed alone; `Ok(None)` at the document's end. After an
    /// error, the same error again.
    async fn next(&mut self) -> Result<Option<FeedItem>, FeedError>;

    /// Once read to its end: whether the document was the source's complete list. Formats
    /// delivered as snapshots are, unless the document shows it lost records (a BLM header
    /// counting more properties than it holds); others say so in the document. The pipeline
    /// withdraws listings absent from a feed only when this is true.
    fn is_complete_list(&self) -> bool {
        true
    }

    /// The format the document turned out to be, when the reader detected it from the
    /// content (see [`FeedFormat::AUTO`]).
    fn detected(&self) -> Option<FeedFormat> {
        None
    }
}

/// A feed format.
pub trait Format: Send + Sync + 'static {
    /// The name configurations use (`kyero`), lower-case.
    fn name(&self) -> &'static str;

    /// Other names accepted for it (`kyero-xml`).
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }

    /// The name people know it by (`Kyero v3 XML`).
    fn title(&self) -> &'static str;

    /// How its feeds relate to the source's listings.
    fn delivery(&self) -> Delivery;

    /// Whether a document starting with `head` (its first bytes, up to 4 KiB, any byte
    /// order mark included) is of this format.
    fn sniff(&self, head: &[u8]) -> bool;

    /// A reader of one document of this format (for the RESO Web API, one page).
    fn open(&self, input: FeedStream, options: &ReadOptions) -> Box<dyn FeedReader>;

    /// A document of this format holding only `record`, a record its reader returned with a
    /// listing: reading it again maps the record again (`propimport remap`).
    fn single_record_document(&self, record: &[u8]) -> Vec<u8>;
}

/// A feed format, by reference to its [`Format`]: cheap to copy and compare (by name).
#[derive(Clone, Copy)]
pub struct FeedFormat(&'static dyn Format);

impl FeedFormat {
    /// Kyero v3 XML: a complete snapshot.
    pub const KYERO: Self = Self(&super::kyero::Kyero);
    /// propimport JSON (an array or NDJSON of canonical listings): a complete snapshot.
    pub const JSON: Self = Self(&super::json::Json);
    /// Rightmove BLM v3 (UK): a complete snapshot.
    pub const BLM: Self = Self(&super::blm::Blm);
    /// OpenImmo 1.2.x XML: full (`VOLL`) or partial (`TEIL`) transfers, as declared.
    pub const OPENIMMO: Self = Self(&super::openimmo::OpenImmo);
    /// RESO Web API (OData JSON pages): incremental, from a stored watermark.
    pub const RESO: Self = Self(&super::reso::Reso);
    /// REAXML (realestate.com.au): changes to an agent's listings, never a complete list.
    pub const REAXML: Self = Self(&super::reaxml::Reaxml);

    /// Any format but the RESO Web API's, detected from the document's first bytes.
    pub const AUTO: Self = Self(&super::auto::Auto);

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
    /// is unpacked first (see [`archive`](super::archive)).
    pub fn open(self, input: FeedStream, options: &ReadOptions) -> Box<dyn FeedReader> {
        super::archive::open(self, input, options)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_is_found_by_its_names_and_names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for format in FeedFormat::ALL {
            assert_eq!(FeedFormat::parse(format.name()), Some(*format));
            assert_eq!(
                FeedFormat::parse(&format.name().to_uppercase()),
                Some(*format)
            );
            for alias in format.format().aliases() {
                assert_eq!(FeedFormat::parse(alias), Some(*format), "{alias}");
                assert!(seen.insert(*alias), "{alias} is used twice");
            }
            assert!(
                seen.insert(format.name()),
                "{} is used twice",
                format.name()
            );
        }
        assert_eq!(FeedFormat::parse("csv"), None);
    }
}
