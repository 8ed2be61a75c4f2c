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
//! Memory stays bounded by one property whatever one node's size ([`bounded`]): a text or CDATA
//! node longer than [`KyeroReader::max_text_bytes`] is skipped as it streams and its property
//! fails alone, at `parse`, naming the element and the limit; a tag, comment, processing
//! instruction or DOCTYPE longer than 1 MiB, or elements nested more than 256 deep, fail the
//! feed. See [`map`] for how a property becomes a listing.

mod bounded;
mod events;
mod map;
mod tree;

use quick_xml::Reader;
use tokio::io::AsyncBufRead;

use super::decode::{self, Utf8Input};
use super::{DEFAULT_MAX_TEXT_BYTES, FeedError, FeedItem, Position, RecordError, Stage};
use bounded::{Bounded, Cut, TooLong};
use events::{Token, is_markup, token};
use tree::Builder;

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

/// The event loop over the decoded document.
struct Parser<R> {
    xml: Reader<Bounded<Utf8Input<R>>>,
    max_text_bytes: usize,
    buf: Vec<u8>,
    /// Open elements, the root included.
    depth: usize,
    root_seen: bool,
    root_closed: bool,
    /// Something other than whitespace was read.
    content_seen: bool,
    /// The property being read, if `in_property` (its arena is reused by the next one).
    property: Builder,
    in_property: bool,
    records: u64,
}

impl<R: AsyncBufRead + Unpin> Parser<R> {
    fn new(input: Utf8Input<R>, max_text_bytes: usize) -> Self {
        let mut xml = Reader::from_reader(Bounded::new(input, max_text_bytes));
        xml.config_mut().allow_dangling_amp = true;
        Self {
            xml,
            max_text_bytes,
            buf: Vec::new(),
            depth: 0,
            root_seen: false,
            root_closed: false,
            content_seen: false,
            property: Builder::default(),
            in_property: false,
            records: 0,
        }
    }

    async fn next_record(&mut self) -> Result<Option<FeedItem>, FeedError> {
        // The event borrows the buffer while the parser's state changes.
        let mut buf = std::mem::take(&mut self.buf);
        let result = self.next_record_into(&mut buf).await;
        self.buf = buf;
        result
    }

    async fn next_record_into(&mut self, buf: &mut Vec<u8>) -> Result<Option<FeedItem>, FeedError> {
        loop {
            buf.clear();
            let started_at = self.at();
            let event = match self.xml.read_event_into_async(buf).await {
                Ok(event) => event,
                Err(quick_xml::Error::Io(source)) => {
                    if let Some(too_long) =
                        source.get_ref().and_then(|e| e.downcast_ref::<TooLong>())
                    {
                        return Err(FeedError::Refused {
                            at: started_at,
                            message: too_long.to_string(),
                        });
                    }
                    return Err(FeedError::Io {
                        at: self.at(),
                        source,
                    });
                }
                Err(e) => {
                    let at = Position {
                        offset: self.feed_offset(self.xml.error_position()),
                        ..self.at()
                    };
                    return Err(FeedError::Malformed {
                        at,
                        message: e.to_string(),
                    });
                }
            };
            let markup = is_markup(&event);
            let token = token(&event);
            let guard = self.xml.get_mut();
            if markup {
                guard.markup_ended();
            }
            if let Some(cut) = guard.take_cut() {
                self.cut(cut)?;
            }
            let blank = matches!(&token, Token::Text(t) if t.trim().is_empty());
            if !blank && !matches!(token, Token::Eof) {
                self.content_seen = true;
            }
            let item = match token {
                Token::Open { name, id } => self.open(name, id.as_deref())?,
                Token::Empty { name, id } => {
                    self.open(name, id.as_deref())?;
                    self.close()
                }
                Token::Close => self.close(),
                Token::Text(text) => self.text(&text)?,
                Token::BadRef(written) => self.bad_reference(&written)?,
                Token::DocType {
                    declares_entities: true,
                } => {
                    return Err(FeedError::Refused {
                        at: started_at,
                        message: "the document declares entities in its DOCTYPE, which are not accepted (they can expand to gigabytes or read local files and URLs)".into(),
                    });
                }
                Token::Eof => return self.eof().map(|()| None),
                Token::DocType { .. } | Token::Skip => None,
            };
            if item.is_some() {
                return Ok(item);
            }
        }
    }

    fn open(&mut self, name: &str, id: Option<&str>) -> Result<Option<FeedItem>, FeedError> {
        match self.depth {
            0 if self.root_closed => {
                let name = name.to_ascii_lowercase();
                return Err(self.malformed(format!("element <{name}> after </root>")));
            }
            0 if !name.eq_ignore_ascii_case("root") => {
                let name = name.to_ascii_lowercase();
                return Err(FeedError::WrongFormat {
                    format: FORMAT,
                    message: format!("the root element is <{name}>, not <root>"),
                });
            }
            0 => self.root_seen = true,
            1 if name.eq_ignore_ascii_case("property") => {
                self.property.start();
                self.in_property = true;
            }
            MAX_DEPTH.. => {
                return Err(FeedError::Refused {
                    at: self.at(),
                    message: format!("elements are nested more than {MAX_DEPTH} deep"),
                });
            }
            _ => {
                if self.in_property {
                    self.property.open(name, id);
                }
            }
        }
        self.depth += 1;
        Ok(None)
    }

    fn close(&mut self) -> Option<FeedItem> {
        self.depth = self.depth.saturating_sub(1);
        match self.depth {
            0 => {
                self.root_closed = true;
                None
            }
            1 if self.in_property => {
                self.in_property = false;
                Some(self.finish())
            }
            1 => None,
            _ => {
                if self.in_property {
                    self.property.close();
                }
                None
            }
        }
    }

    fn text(&mut self, text: &str) -> Result<Option<FeedItem>, FeedError> {
        if self.in_property {
            self.property.text(text);
        } else if self.depth == 0 && !text.trim().is_empty() {
            return Err(self.malformed("text outside the root element".into()));
        }
        Ok(None)
    }

    /// A text or CDATA node was cut: its property fails (text outside the root is malformed).
    fn cut(&mut self, cut: Cut) -> Result<(), FeedError> {
        if cut.non_blank {
            self.content_seen = true;
        }
        if self.in_property {
            let reason = format!(
                "{}: a text longer than the limit of {} was skipped",
                self.property.path(),
                super::size(self.max_text_bytes)
            );
            self.property.fail(reason);
        } else if self.depth == 0 && cut.non_blank {
            return Err(self.malformed("text outside the root element".into()));
        }
        Ok(())
    }

    /// A reference to nothing known: its property fails (it is never stored as written).
    fn bad_reference(&mut self, written: &str) -> Result<Option<FeedItem>, FeedError> {
        if self.in_property {
            let reason = format!(
                "{}: {written} is not a known entity or a valid character reference (a feed cannot declare entities)",
                self.property.path()
            );
            self.property.fail(reason);
        } else if self.depth == 0 {
            return Err(self.malformed("text outside the root element".into()));
        }
        Ok(None)
    }

    fn finish(&mut self) -> FeedItem {
        self.records += 1;
        let number = self.records;
        let external_id = self.property.external_id().map(str::to_owned);
        match self.property.finish() {
            Ok(node) => match map::map(node, number) {
                Ok(listing) => FeedItem::Listing(listing),
                Err(e) => FeedItem::Failed(e),
            },
            Err(reason) => FeedItem::Failed(RecordError {
                external_id,
                stage: Stage::Parse,
                message: format!("property {number}: {reason}"),
            }),
        }
    }

    fn eof(&self) -> Result<(), FeedError> {
        if self.depth > 0 {
            let inside = if self.in_property {
                " inside a <property>"
            } else {
                ""
            };
            return Err(FeedError::Truncated {
                at: self.at(),
                message: format!("the document ends before </root>{inside}"),
            });
        }
        if !self.root_seen {
            if !self.content_seen {
                return Err(FeedError::Empty);
            }
            return Err(FeedError::Truncated {
                at: self.at(),
                message: "the document has no root element".into(),
            });
        }
        Ok(())
    }

    fn at(&self) -> Position {
        Position {
            offset: self.feed_offset(self.xml.buffer_position()),
            line: None,
            records: self.records,
        }
    }

    /// A position of the parser as a byte offset in the decoded feed (counting what the guard
    /// skipped).
    fn feed_offset(&self, parser_offset: u64) -> u64 {
        parser_offset.saturating_add_signed(self.xml.get_ref().skipped())
    }

    fn malformed(&self, message: String) -> FeedError {
        FeedError::Malformed {
            at: self.at(),
            message,
        }
    }
}
