//! The format trait: what every feed format provides.
//!
//! A format is one module under `formats/` with a unit type implementing [`Format`], named
//! once in [`FeedFormat::ALL`](super::FeedFormat::ALL). Everything else (configuration names,
//! sniffing, the pipeline, `propimport remap`) goes through the trait.

use async_trait::async_trait;

use super::{FeedError, FeedFormat, FeedItem, FeedStream, ReadOptions};

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

    /// The key of the record the last call to `next` gave, when its format recognizes known
    /// records by their keys ([`Format::skips_known`]): the pipeline stores it with the
    /// record's listing.
    fn record_key(&self) -> Option<propimport_domain::RecordKey> {
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

    /// Whether its reader recognizes records stored unchanged by their keys, before parsing
    /// them ([`ReadOptions::known`]), or may (`auto`, when the document turns out to be of
    /// such a format): the pipeline then reads the source's stored keys first.
    fn skips_known(&self) -> bool {
        false
    }

    /// A document of this format holding only `record`, a record its reader returned with a
    /// listing: reading it again maps the record again (`propimport remap`).
    fn single_record_document(&self, record: &[u8]) -> Vec<u8>;
}

#[cfg(test)]
mod tests {
    use crate::formats::FeedFormat;

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
