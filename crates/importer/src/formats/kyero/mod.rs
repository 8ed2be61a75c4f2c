//! The Kyero v3 XML reader: `<root>`, an optional `<kyero>` header, then `<property>`
//! elements, read as a stream of XML events so only one property is in memory at a time.
//!
//! The document must be well-formed up to its end: a syntax error, an end tag that does not
//! match, content after `</root>` or a document that stops before `</root>` fails the feed.
//!
//! References are resolved: the XML ones, character references, and — leniently — HTML named
//! entities such as `&euro;` that exports use without declaring them; a lone `&` is kept as
//! text. Anything else (`&xxe;`, `&#0;`) fails its property alone, at `parse`: it is never
//! stored as written. A document whose DOCTYPE declares entities (XML bombs, external
//! entities) is refused as a whole before anything is read from it; a DOCTYPE without entity
//! declarations is accepted and ignored.
//!
//! The decoded feed is read into one buffer ([`Window`]) and parsed in place by quick-xml's
//! slice reader, so events borrow the buffer and nothing is copied or awaited per event; a
//! node cut by the end of the buffer is parsed again once more has been read ([`scan`]); both
//! are shared with the other XML readers (`formats/xml`). A
//! long feed's properties are mapped on a thread of their own while the next ones are parsed
//! ([`mapper`]).
//!
//! Memory stays bounded by one property whatever one node's size: a text run or CDATA section
//! longer than [`KyeroReader::max_text_bytes`] is skipped as it streams and its property fails
//! alone, at `parse`, naming the element and the limit; a tag, comment, processing instruction
//! or DOCTYPE longer than 1 MiB (or the text limit, if larger), or elements nested more than
//! 256 deep, fail the feed. See [`map`] for how a property becomes a listing.

mod document;
mod events;
mod format;
mod map;
mod mapper;

use tokio::io::AsyncBufRead;

use super::decode::{self, Utf8Input};
use super::xml::reader::Scanner;
use super::{DEFAULT_MAX_TEXT_BYTES, FeedError, FeedItem};
use document::Document;
use mapper::Mapper;

pub(crate) use format::Kyero;

const FORMAT: &str = "Kyero v3";

/// The deepest elements may nest (a Kyero feed needs 5).
const MAX_DEPTH: usize = 256;

/// Reads a Kyero v3 XML feed one property at a time.
pub struct KyeroReader<R> {
    state: State<R>,
    max_text_bytes: usize,
}

enum State<R> {
    /// Nothing read yet.
    New(R),
    Reading(Box<Parser<R>>),
    Finished,
    Failed(FeedError),
}

impl<R: AsyncBufRead + Unpin> KyeroReader<R> {
    /// A reader of the feed in `input` (read lazily, from the first call to `next`), with the
    /// default text limit ([`DEFAULT_MAX_TEXT_BYTES`]).
    pub fn new(input: R) -> Self {
        Self {
            state: State::New(input),
            max_text_bytes: DEFAULT_MAX_TEXT_BYTES,
        }
    }

    /// Sets the longest text or CDATA node kept (at least 1 byte): a longer one is skipped as
    /// it streams and its property fails alone.
    #[must_use]
    pub fn max_text_bytes(mut self, limit: usize) -> Self {
        self.max_text_bytes = limit.max(1);
        self
    }

    /// The next property, mapped or failed alone; `Ok(None)` once `</root>` has been read.
    pub async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        if matches!(self.state, State::New(_))
            && let State::New(input) = std::mem::replace(&mut self.state, State::Finished)
        {
            match decode::open(input).await {
                Ok(input) => {
                    let parser = Parser::new(input, self.max_text_bytes);
                    self.state = State::Reading(Box::new(parser));
                }
                Err(e) => self.state = State::Failed(e),
            }
        }
        let result = match &mut self.state {
            State::Reading(parser) => parser.next_record().await,
            State::Failed(e) => return Err(e.clone()),
            State::New(_) | State::Finished => return Ok(None),
        };
        match &result {
            Ok(Some(_)) => {}
            Ok(None) => self.state = State::Finished,
            Err(e) => self.state = State::Failed(e.clone()),
        }
        result
    }
}

/// Reads the decoded document into the window, scans it, and has its properties mapped.
struct Parser<R> {
    scan: Scanner<R, Document>,
    mapper: Mapper,
    /// The document has been read to its end (or to `failure`).
    read_all: bool,
    /// Why reading stopped, given once the properties read before it are.
    failure: Option<FeedError>,
}

impl<R: AsyncBufRead + Unpin> Parser<R> {
    fn new(input: Utf8Input<R>, max_text_bytes: usize) -> Self {
        Self {
            scan: Scanner::new(input, Document::default(), max_text_bytes),
            mapper: Mapper::default(),
            read_all: false,
            failure: None,
        }
    }

    /// The next item in feed order; then the failure that stopped the reading, if any.
    async fn next_record(&mut self) -> Result<Option<FeedItem>, FeedError> {
        loop {
            if let Some(item) = self.mapper.next_ready() {
                return Ok(Some(item));
            }
            if self.read_all || self.mapper.full() {
                self.mapper.flush();
                if self.mapper.busy() {
                    self.mapper.wait().await.map_err(|mapper::Stopped| {
                        let stopped = std::io::Error::other("the Kyero mapping thread stopped");
                        FeedError::io(self.scan.at(), stopped)
                    })?;
                    continue;
                }
                return self.failure.take().map_or(Ok(None), Err);
            }
            if self.scan.doc.wants_builder()
                && let Some(builder) = self.mapper.spare()
            {
                self.scan.doc.reuse(builder);
            }
            match self.scan.next_item().await {
                Ok(Some(property)) => {
                    if let Some(item) = self.mapper.submit(*property) {
                        return Ok(Some(item));
                    }
                }
                Ok(None) => self.read_all = true,
                Err(e) => {
                    self.read_all = true;
                    self.failure = Some(e);
                }
            }
        }
    }
}
