//! The Kyero v3 XML reader: `<root>`, an optional `<kyero>` header, then `<property>`
//! elements, read as a stream of XML events so only one property is in memory at a time.
//!
//! The document must be well-formed up to its end: a syntax error, an end tag that does not
//! match, content after `</root>` or a document that stops before `</root>` fails the feed.
//! Entities are resolved (the XML ones, character references, and — leniently — HTML named
//! entities such as `&euro;` that exports use without declaring them); a lone `&` is kept as
//! text. See [`map`] for how a property becomes a listing.

mod events;
mod map;
mod tree;

use quick_xml::Reader;
use tokio::io::AsyncBufRead;

use super::decode::{self, Utf8Input};
use super::{FeedError, FeedItem, Position, RecordError, Stage};
use events::{Token, token};
use tree::Builder;

const FORMAT: &str = "Kyero v3";

/// Reads a Kyero v3 XML feed one property at a time.
pub struct KyeroReader<R> {
    state: State<R>,
}

enum State<R> {
    /// Nothing read yet.
    New(R),
    Reading(Box<Parser<R>>),
    Finished,
    Failed(FeedError),
}

impl<R: AsyncBufRead + Unpin> KyeroReader<R> {
    /// A reader of the feed in `input` (read lazily, from the first call to `next`).
    pub fn new(input: R) -> Self {
        Self {
            state: State::New(input),
        }
    }

    /// The next property, mapped or failed alone; `Ok(None)` once `</root>` has been read.
    pub async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        if matches!(self.state, State::New(_))
            && let State::New(input) = std::mem::replace(&mut self.state, State::Finished)
        {
            match decode::open(input).await {
                Ok(input) => self.state = State::Reading(Box::new(Parser::new(input))),
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
    xml: Reader<Utf8Input<R>>,
    buf: Vec<u8>,
    /// Open elements, the root included.
    depth: usize,
    root_seen: bool,
    root_closed: bool,
    /// Something other than whitespace was read.
    content_seen: bool,
    /// The property being read, if any.
    property: Option<Builder>,
    records: u64,
}

impl<R: AsyncBufRead + Unpin> Parser<R> {
    fn new(input: Utf8Input<R>) -> Self {
        let mut xml = Reader::from_reader(input);
        xml.config_mut().allow_dangling_amp = true;
        Self {
            xml,
            buf: Vec::new(),
            depth: 0,
            root_seen: false,
            root_closed: false,
            content_seen: false,
            property: None,
            records: 0,
        }
    }

    async fn next_record(&mut self) -> Result<Option<FeedItem>, FeedError> {
        loop {
            self.buf.clear();
            let token = match self.xml.read_event_into_async(&mut self.buf).await {
                Ok(event) => token(event),
                Err(quick_xml::Error::Io(source)) => {
                    return Err(FeedError::Io {
                        at: self.at(),
                        source,
                    });
                }
                Err(e) => {
                    let at = Position {
                        offset: self.xml.error_position(),
                        ..self.at()
                    };
                    return Err(FeedError::Malformed {
                        at,
                        message: e.to_string(),
                    });
                }
            };
            let blank = matches!(&token, Token::Text(t) if t.trim().is_empty());
            if !blank && !matches!(token, Token::Eof) {
                self.content_seen = true;
            }
            let item = match token {
                Token::Open { name, id } => self.open(name, id)?,
                Token::Empty { name, id } => {
                    self.open(name, id)?;
                    self.close()
                }
                Token::Close => self.close(),
                Token::Text(text) => self.text(&text)?,
                Token::Eof => return self.eof().map(|()| None),
                Token::Skip => None,
            };
            if item.is_some() {
                return Ok(item);
            }
        }
    }

    fn open(&mut self, name: String, id: Option<String>) -> Result<Option<FeedItem>, FeedError> {
        match self.depth {
            0 if self.root_closed => {
                return Err(self.malformed(format!("element <{name}> after </root>")));
            }
            0 if name != "root" => {
                return Err(FeedError::WrongFormat {
                    format: FORMAT,
                    message: format!("the root element is <{name}>, not <root>"),
                });
            }
            0 => self.root_seen = true,
            1 if name == "property" => self.property = Some(Builder::new()),
            _ => {
                if let Some(property) = &mut self.property {
                    property.open(name, id);
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
            1 => self.property.take().map(|p| self.finish(p)),
            _ => {
                if let Some(property) = &mut self.property {
                    property.close();
                }
                None
            }
        }
    }

    fn text(&mut self, text: &str) -> Result<Option<FeedItem>, FeedError> {
        if let Some(property) = &mut self.property {
            property.text(text);
        } else if self.depth == 0 && !text.trim().is_empty() {
            return Err(self.malformed("text outside the root element".into()));
        }
        Ok(None)
    }

    fn finish(&mut self, property: Builder) -> FeedItem {
        self.records += 1;
        let number = self.records;
        let external_id = property.external_id().map(str::to_owned);
        match property.finish() {
            Some(node) => match map::map(&node, number) {
                Ok(listing) => FeedItem::Listing(listing),
                Err(e) => FeedItem::Failed(e),
            },
            None => FeedItem::Failed(RecordError {
                external_id,
                stage: Stage::Parse,
                message: format!(
                    "property {number}: larger than {} MiB",
                    super::MAX_RECORD_BYTES >> 20
                ),
            }),
        }
    }

    fn eof(&self) -> Result<(), FeedError> {
        if self.depth > 0 {
            let inside = if self.property.is_some() {
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
            offset: self.xml.buffer_position(),
            line: None,
            records: self.records,
        }
    }

    fn malformed(&self, message: String) -> FeedError {
        FeedError::Malformed {
            at: self.at(),
            message,
        }
    }
}
