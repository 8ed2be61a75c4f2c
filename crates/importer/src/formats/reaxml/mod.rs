//! The REAXML reader (realestate.com.au's format, Australia): a `<propertyList>` whose
//! children are listings — `<residential>`, `<rental>`, `<land>`, `<commercial>`, `<rural>`,
//! `<holidayRental>`, `<business>`, `<commercialLand>` — each with its `modTime` and `status`
//! attributes, read as a stream of XML events so only one listing is in memory at a time.
//!
//! A REAXML file is not the agent's complete list: agents' systems send the listings that
//! changed, and a listing taken off the market comes as a record with status `withdrawn`,
//! `offmarket` (or `deleted`), which is [`FeedItem::Gone`]. So the format is
//! [`Delivery::Declared`](super::Delivery::Declared) and every document says it is *not* the
//! complete list: nothing is ever withdrawn for being absent from a file.
//!
//! The document must be well-formed up to its end: a syntax error, an end tag that does not
//! match, content after `</propertyList>` or a document that stops before it fails the feed.
//! Other elements directly inside `<propertyList>` are skipped. The safety rules are those of
//! the Kyero reader, whose window and scanner this reader shares (`formats/xml`): a DOCTYPE
//! that declares entities is refused before anything is read (a DOCTYPE naming the REAXML DTD
//! is fine), undeclared references fail their listing alone, a text longer than the text
//! limit fails its listing alone, a tag longer than 1 MiB or nesting deeper than 256 fails the
//! feed. Each listing is kept with its bytes as written (decoded to UTF-8), at most
//! [`MAX_RECORD_BYTES`](super::MAX_RECORD_BYTES); a larger listing fails alone. See [`map`]
//! for how a listing becomes a canonical one.

mod date;
mod details;
mod document;
mod map;
mod media;
mod price;
mod values;

use std::sync::Arc;

use propimport_domain::Currency;
use tokio::io::AsyncBufRead;

use super::decode::{self, Utf8Input};
use super::xml::reader::Scanner;
use super::{Attachments, FeedError, FeedItem, ReadOptions};
use document::Document;
use values::Context;

const FORMAT: &str = "REAXML";

/// The root element.
const ROOT: &str = "propertyList";

/// The deepest elements may nest (a REAXML feed needs 5).
const MAX_DEPTH: usize = 256;

/// Reads a REAXML feed one listing at a time.
pub struct ReaxmlReader<R> {
    state: State<R>,
    options: ReadOptions,
}

enum State<R> {
    /// Nothing read yet.
    New(R),
    Reading(Box<Parser<R>>),
    Finished,
    Failed(FeedError),
}

impl<R: AsyncBufRead + Unpin> ReaxmlReader<R> {
    /// A reader of the feed in `input` (read lazily, from the first call to `next`). Prices
    /// are in AUD unless `options` names another currency than the default (EUR), as a source
    /// of New Zealand listings would.
    pub fn new(input: R, options: &ReadOptions) -> Self {
        Self {
            state: State::New(input),
            options: options.clone(),
        }
    }

    /// The next listing, mapped, gone or failed alone; `Ok(None)` once `</propertyList>` has
    /// been read.
    pub async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        if matches!(self.state, State::New(_))
            && let State::New(input) = std::mem::replace(&mut self.state, State::Finished)
        {
            match decode::open(input).await {
                Ok(input) => {
                    let parser = parser(input, &self.options);
                    self.state = State::Reading(Box::new(parser));
                }
                Err(e) => self.state = State::Failed(e),
            }
        }
        let result = match &mut self.state {
            State::Reading(parser) => parser.next_item().await,
            State::Failed(e) => return Err(e.clone()),
            State::New(_) | State::Finished => return Ok(None),
        };
        match &result {
            Ok(Some(_)) => {}
            Ok(None) => self.state = State::Finished,
            Err(e) => self.state = State::Failed(e.clone()),
        }
        result.map(|item| item.map(|item| *item))
    }
}

/// The currency of a feed read with `options`: AUD, unless the caller named another than the
/// generic default.
fn currency(options: &ReadOptions) -> Currency {
    if options.currency == ReadOptions::default().currency {
        Currency::parse("AUD").unwrap_or(options.currency)
    } else {
        options.currency
    }
}

/// The decoded document scanned into its listings, each mapped as it ends.
type Parser<R> = Scanner<R, Document>;

/// A parser of `input` with `options`.
fn parser<R: AsyncBufRead + Unpin>(input: Utf8Input<R>, options: &ReadOptions) -> Parser<R> {
    let attachments: Option<Arc<dyn Attachments>> = options.attachments.clone();
    let doc = Document::new(Context {
        currency: currency(options),
        attachments,
    });
    Scanner::new(input, doc, options.max_text_bytes.max(1))
}

/// REAXML: changes to an agent's listings, not a complete list.
pub(crate) struct Reaxml;

impl super::Format for Reaxml {
    fn name(&self) -> &'static str {
        "reaxml"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["rea", "rea-xml"]
    }

    fn title(&self) -> &'static str {
        "REAXML (realestate.com.au)"
    }

    fn delivery(&self) -> super::Delivery {
        super::Delivery::Declared
    }

    fn sniff(&self, head: &[u8]) -> bool {
        super::auto::xml_root(head).is_some_and(|root| root.eq_ignore_ascii_case(ROOT))
    }

    fn open(
        &self,
        input: crate::formats::FeedStream,
        options: &ReadOptions,
    ) -> Box<dyn super::FeedReader> {
        Box::new(ReaxmlReader::new(input, options))
    }

    fn single_record_document(&self, record: &[u8]) -> Vec<u8> {
        [b"<propertyList>".as_slice(), record, b"</propertyList>"].concat()
    }
}

#[async_trait::async_trait]
impl<R: AsyncBufRead + Unpin + Send> super::FeedReader for ReaxmlReader<R> {
    async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        ReaxmlReader::next(self).await
    }

    fn is_complete_list(&self) -> bool {
        false
    }
}
