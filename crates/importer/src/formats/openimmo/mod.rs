//! The OpenImmo 1.2.x XML reader (the exchange format of German-speaking markets):
//! `<openimmo>`, a `<uebertragung>` saying whether the transfer is the full list
//! (`umfang="VOLL"`) or changes only (`TEIL`), then `<anbieter>` elements each holding
//! `<immobilie>` records, read through the XML window and scanner the Kyero and REAXML
//! readers share (`formats/xml`), so only one record is in memory.
//!
//! A record is mapped as it ends ([`map`]): `verwaltung_techn/aktion aktionart="DELETE"` gives
//! [`FeedItem::Gone`]; anything else a listing, kept with its raw record (its bytes as
//! written, decoded to UTF-8, comments and processing instructions left out, with the
//! `<anbieter>` header before it, so [`Format::single_record_document`] rebuilds a document
//! that maps to the same listing).
//!
//! Safety: a DOCTYPE declaring entities is refused; unknown entity references fail their
//! record; elements nested more than [`MAX_DEPTH`] deep, or a tag (or other markup node)
//! longer than the text limit or 1 MiB, refuse the document; a record over
//! [`MAX_RECORD_BYTES`](crate::formats::MAX_RECORD_BYTES), or with a text over the text
//! limit, fails alone (a text run or CDATA section over the limit is skipped as it streams).
//!
//! [`Format::single_record_document`]: crate::formats::Format::single_record_document

mod details;
mod document;
mod map;
mod values;

use tokio::io::AsyncBufRead;

use super::decode::{self, Utf8Input};
use super::xml::reader::Scanner;
use super::{FeedError, FeedItem, ReadOptions};
use document::Document;

const FORMAT: &str = "OpenImmo";

/// The deepest elements may nest (OpenImmo needs about 8).
const MAX_DEPTH: usize = 256;

/// The most bytes of an `<anbieter>` header kept as its records' context.
const MAX_CONTEXT_BYTES: usize = 64 * 1024;

/// Reads an OpenImmo document one `<immobilie>` at a time.
pub struct OpenImmoReader<R> {
    state: State<R>,
    options: ReadOptions,
    /// Read to its end and declared `umfang="VOLL"`.
    complete: bool,
}

enum State<R> {
    New(R),
    Reading(Box<Parser<R>>),
    Finished,
    Failed(FeedError),
}

impl<R: AsyncBufRead + Unpin + Send> OpenImmoReader<R> {
    /// A reader of the document in `input` (read lazily, from the first call to `next`).
    pub fn new(input: R, options: &ReadOptions) -> Self {
        Self {
            state: State::New(input),
            options: options.clone(),
            complete: false,
        }
    }

    /// The next record, mapped, gone or failed alone; `Ok(None)` once `</openimmo>` was read.
    pub async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        if matches!(self.state, State::New(_))
            && let State::New(input) = std::mem::replace(&mut self.state, State::Finished)
        {
            self.state = match decode::open(input).await {
                Ok(input) => State::Reading(Box::new(parser(input, &self.options))),
                Err(e) => State::Failed(e),
            };
        }
        let result = match &mut self.state {
            State::Reading(parser) => parser.next_item().await,
            State::Failed(e) => return Err(e.clone()),
            State::New(_) | State::Finished => return Ok(None),
        };
        match &result {
            Ok(Some(_)) => {}
            Ok(None) => {
                self.complete = matches!(&self.state, State::Reading(p) if p.doc.full);
                self.state = State::Finished;
            }
            Err(e) => self.state = State::Failed(e.clone()),
        }
        result.map(|item| item.map(|item| *item))
    }
}

/// The decoded document scanned into its records, each mapped as it ends.
type Parser<R> = Scanner<R, Document>;

/// A parser of `input` with `options`.
fn parser<R: AsyncBufRead + Unpin>(input: Utf8Input<R>, options: &ReadOptions) -> Parser<R> {
    let doc = Document::new(options.clone());
    Scanner::new(input, doc, options.max_text_bytes.max(1))
}

#[async_trait::async_trait]
impl<R: AsyncBufRead + Unpin + Send> super::FeedReader for OpenImmoReader<R> {
    async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        OpenImmoReader::next(self).await
    }

    fn is_complete_list(&self) -> bool {
        self.complete
    }
}

/// OpenImmo 1.2.x XML: full or partial transfers, as each document declares.
pub(crate) struct OpenImmo;

impl super::Format for OpenImmo {
    fn name(&self) -> &'static str {
        "openimmo"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["openimmo-xml", "open-immo"]
    }

    fn title(&self) -> &'static str {
        "OpenImmo 1.2.x XML"
    }

    fn delivery(&self) -> super::Delivery {
        super::Delivery::Declared
    }

    fn sniff(&self, head: &[u8]) -> bool {
        super::auto::xml_root(head).is_some_and(|root| root.eq_ignore_ascii_case("openimmo"))
    }

    fn open(
        &self,
        input: crate::formats::FeedStream,
        options: &ReadOptions,
    ) -> Box<dyn super::FeedReader> {
        Box::new(OpenImmoReader::new(input, options))
    }

    fn single_record_document(&self, record: &[u8]) -> Vec<u8> {
        [b"<openimmo>".as_slice(), record, b"</openimmo>"].concat()
    }
}

#[cfg(test)]
mod tests;
