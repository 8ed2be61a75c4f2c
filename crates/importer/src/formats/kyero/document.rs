//! What the reader knows of the document as it goes: the open elements (their names, to check
//! each end tag against its start), whether the root was seen and closed, and the property
//! being built. It turns the XML tokens into properties and decides which mistakes fail the
//! feed and which fail one property.

use propimport_domain::RecordKey;
use quick_xml::events::Event;
use xxhash_rust::xxh3::Xxh3;

use super::events::{Token, token};
use super::map;
use super::{FORMAT, MAX_DEPTH};
use crate::formats::window::Window;
use crate::formats::xml::kept::KeptBytes;
use crate::formats::xml::scan::{self, Fault, Sink};
use crate::formats::xml::tree::{Builder, Limits};
use crate::formats::{FeedError, FeedItem, MAX_RECORD_BYTES, Position, RecordError, Stage};

/// A property's bounds: its size; a text over the scanner's limit is skipped before it
/// reaches the tree (see [`Document::cut`]).
const LIMITS: Limits = Limits {
    tree_bytes: MAX_RECORD_BYTES,
    text_bytes: usize::MAX,
};

/// What a pass of the parser stopped at.
pub(super) enum Read {
    /// A property's start tag, in a document that lets its properties be cut out
    /// ([`Document::cut_out`]) to be parsed elsewhere.
    Opened,
    /// A property read to its end.
    Finished(Box<Finished>),
}

/// A property cut out of the document unparsed, to be parsed on a mapping thread
/// ([`Cut::parse`]).
pub(super) struct Cut {
    /// Its place in the feed, from 1.
    pub number: u64,
    /// The document offset of its start tag.
    pub offset: u64,
    /// Its XML, from its start tag to its end tag.
    pub bytes: Vec<u8>,
    /// The node limits it is parsed with.
    pub limits: scan::Limits,
    /// The key of its bytes.
    pub key: RecordKey,
}

impl Cut {
    /// Parses the property with `doc` (kept from one property to the next, so its buffers
    /// are reused); what fails the feed at it fails here, at the same place.
    pub fn parse(self, doc: &mut Document) -> Result<Box<Finished>, FeedError> {
        let number = self.number;
        let offset = self.offset;
        doc.inside_root(number - 1);
        let window = Window::whole(self.bytes, offset);
        let (used, progress) = scan::scan(&window, doc, &mut 0, self.limits);
        match progress? {
            scan::Progress::Item(Read::Finished(mut property)) if used == window.rest().len() => {
                property.key = Some(self.key);
                property.raw = doc.raw.kept_of(window.into_buf());
                Ok(property)
            }
            _ => Err(FeedError::Malformed {
                at: Position {
                    offset,
                    line: None,
                    records: number - 1,
                },
                message: format!("property {number} does not end where its end tag was found"),
            }),
        }
    }
}

/// A property read to its end, still to be mapped (possibly on another thread).
pub(super) struct Finished {
    /// Its place in the feed, from 1.
    number: u64,
    builder: Builder,
    /// The property's XML as the feed wrote it (decoded to UTF-8), kept with its listing.
    raw: Vec<u8>,
    /// The key of all its bytes (its notes included), when the document was given a seed.
    key: Option<RecordKey>,
}

impl Finished {
    /// What the property holds, in bytes (about).
    pub fn size(&self) -> usize {
        self.builder.size()
    }

    /// Maps the property; gives its key, and its builder back to be reused.
    pub fn map(mut self) -> (FeedItem, Option<RecordKey>, Builder) {
        let number = self.number;
        let external_id = self.builder.key("id").map(str::to_owned);
        let item = match self.builder.finish() {
            Ok(node) => match map::map(node, number) {
                Ok(listing) => FeedItem::Listing(listing, Some(self.raw)),
                Err(e) => FeedItem::Failed(e),
            },
            Err(reason) => FeedItem::Failed(RecordError {
                external_id,
                stage: Stage::Parse,
                message: format!("property {number}: {reason}"),
            }),
        };
        (item, self.key, self.builder)
    }
}

/// The document read so far.
#[derive(Default)]
pub(super) struct Document {
    /// The raw names of the open elements, the root first, one after another.
    names: Vec<u8>,
    /// Where each open element's name starts in `names`.
    starts: Vec<usize>,
    root_seen: bool,
    root_closed: bool,
    /// Something other than whitespace was read.
    pub content_seen: bool,
    /// The property being read, if `in_property` (its arena is reused by the next one).
    property: Builder,
    /// `property` is a new, empty builder: the last one went with its property.
    builder_taken: bool,
    in_property: bool,
    /// The XML of the property being read, from its start tag on (its private `notes` left
    /// out), up to the record limit; of a property cut out, only where its notes are (its
    /// bytes are held whole, [`Cut::parse`]).
    raw: KeptBytes,
    /// Inside the property's `notes`: the depth its end tag returns to.
    in_notes: Option<usize>,
    /// Properties read so far.
    pub records: u64,
    /// Whether a property's start tag stops the pass ([`Read::Opened`]).
    pub stop_at_properties: bool,
    /// The property's bytes hashed as they are read (all of them, its notes included), under
    /// the seed of the record keys, when one was given ([`Document::give_keys`]).
    full: Option<Box<Xxh3>>,
}

impl Document {
    /// Gives the properties parsed here their record keys under `seed` (a hash of all their
    /// bytes, as [`record_key`](crate::hash::record_key) gives of a property cut out).
    pub fn give_keys(&mut self, seed: u64) {
        self.full = Some(Box::new(Xxh3::with_seed(seed)));
    }

    /// Open elements, the root included.
    pub fn depth(&self) -> usize {
        self.starts.len()
    }

    /// Whether the last property's builder went with it (a used one may be given back).
    pub fn wants_builder(&self) -> bool {
        self.builder_taken && !self.in_property
    }

    /// Starts again inside the root, `records` properties read (to parse one cut out, whose
    /// bytes are held whole: they are kept in place, not copied).
    fn inside_root(&mut self, records: u64) {
        self.raw.in_place(true);
        self.names.clear();
        self.names.extend_from_slice(b"root");
        self.starts.clear();
        self.starts.push(0);
        self.root_seen = true;
        self.root_closed = false;
        self.content_seen = true;
        self.in_property = false;
        self.in_notes = None;
        self.records = records;
        self.stop_at_properties = false;
    }

    /// The name of the property just opened, as written.
    pub fn property_name(&self) -> &[u8] {
        self.starts
            .get(1)
            .map_or(&[], |&start| &self.names[start..])
    }

    /// Takes the property just opened out of the document: it counts as read (its number
    /// comes back), and [`Document::start_tag`] still gives its start tag, to be parsed with
    /// the rest of it elsewhere.
    pub fn cut_out(&mut self) -> u64 {
        if let Some(&start) = self.starts.get(1) {
            self.names.truncate(start);
        }
        self.starts.truncate(1);
        self.in_property = false;
        self.in_notes = None;
        self.records += 1;
        self.records
    }

    /// The start tag of the property cut out last, as written.
    pub fn start_tag(&self) -> &[u8] {
        self.raw.as_slice()
    }

    /// Gives a builder to read the next properties into (one that a finished property used).
    pub fn reuse(&mut self, builder: Builder) {
        if self.wants_builder() {
            self.property = builder;
            self.builder_taken = false;
        }
    }

    /// Acts on one token, whose bytes in the feed are `raw`; a property comes back once it
    /// has ended, with its bytes.
    pub fn token(&mut self, token: Token<'_>, raw: &[u8]) -> Result<Option<Read>, Fault> {
        if !self.content_seen {
            let blank = matches!(&token, Token::Text(t) if t.trim().is_empty());
            self.content_seen = !blank && !matches!(token, Token::Eof);
        }
        if self.in_property {
            if let Some(full) = &mut self.full {
                full.update(raw);
            }
            let opens_notes = matches!(
                &token,
                Token::Open { name, .. } | Token::Empty { name, .. }
                    if self.depth() == 2 && name.eq_ignore_ascii_case("notes")
            );
            if opens_notes && matches!(token, Token::Open { .. }) {
                self.in_notes = Some(self.depth());
            }
            if self.in_notes.is_none() && !opens_notes {
                self.keep_raw(raw);
            } else {
                self.raw.leave_out(raw.len());
            }
            let finished = self.act(token)?;
            if self.in_notes == Some(self.depth()) && !opens_notes {
                // The notes' end tag.
                self.in_notes = None;
            }
            return Ok(finished.map(Read::Finished));
        }
        let finished = self.act(token)?;
        if self.in_property {
            // The property's start tag.
            self.in_notes = None;
            self.raw.restart();
            self.keep_raw(raw);
            if let Some(full) = &mut self.full {
                full.reset();
                full.update(raw);
            }
            if self.stop_at_properties {
                return Ok(Some(Read::Opened));
            }
        }
        Ok(finished.map(Read::Finished))
    }

    /// Keeps the bytes of an event read inside the property (a property that outgrows the
    /// record limit fails).
    fn keep_raw(&mut self, raw: &[u8]) {
        if let Some(reason) = self.raw.keep(raw) {
            self.property.fail(reason);
        }
    }

    fn act(&mut self, token: Token<'_>) -> Result<Option<Box<Finished>>, Fault> {
        match token {
            Token::Open { raw, name, id } => self.open(raw, name, id.as_deref()).map(|()| None),
            Token::Empty { raw, name, id } => {
                self.open(raw, name, id.as_deref())?;
                Ok(self.pop())
            }
            Token::Close { raw } => self.close(raw),
            Token::Text(text) => self.text(&text).map(|()| None),
            Token::BadRef(written) => self.bad_reference(&written).map(|()| None),
            Token::DocType {
                declares_entities: true,
            } => Err(Fault::Refused(
                "the document declares entities in its DOCTYPE, which are not accepted (they can expand to gigabytes or read local files and URLs)".into(),
            )),
            Token::DocType { .. } | Token::Skip | Token::Eof => Ok(None),
        }
    }

    fn open(&mut self, raw: &str, name: &str, id: Option<&str>) -> Result<(), Fault> {
        match self.depth() {
            0 if self.root_closed => {
                let name = name.to_ascii_lowercase();
                return Err(Fault::Malformed(format!("element <{name}> after </root>")));
            }
            0 if !name.eq_ignore_ascii_case("root") => {
                let name = name.to_ascii_lowercase();
                return Err(Fault::WrongFormat(format!(
                    "the root element is <{name}>, not <root>"
                )));
            }
            0 => self.root_seen = true,
            1 if name.eq_ignore_ascii_case("property") => {
                self.property.start(name, LIMITS, &["id"]);
                self.in_property = true;
            }
            MAX_DEPTH.. => {
                return Err(Fault::Refused(format!(
                    "elements are nested more than {MAX_DEPTH} deep"
                )));
            }
            _ => {
                if self.in_property {
                    self.property.open(name);
                    if let Some(id) = id {
                        self.property.attribute("id", id);
                    }
                }
            }
        }
        self.starts.push(self.names.len());
        self.names.extend_from_slice(raw.as_bytes());
        Ok(())
    }

    /// An end tag: it must close the innermost open element.
    fn close(&mut self, raw: &str) -> Result<Option<Box<Finished>>, Fault> {
        let Some(&start) = self.starts.last() else {
            return Err(Fault::Malformed(format!(
                "ill-formed document: close tag `</{raw}>` does not match any open tag"
            )));
        };
        let expected = &self.names[start..];
        if expected != raw.as_bytes() {
            let expected = String::from_utf8_lossy(expected);
            return Err(Fault::Malformed(format!(
                "ill-formed document: expected `</{expected}>`, but `</{raw}>` was found"
            )));
        }
        Ok(self.pop())
    }

    /// The innermost element ends.
    fn pop(&mut self) -> Option<Box<Finished>> {
        if let Some(start) = self.starts.pop() {
            self.names.truncate(start);
        }
        match self.depth() {
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

    fn text(&mut self, text: &str) -> Result<(), Fault> {
        if self.in_property {
            self.property.text(text);
        } else if self.depth() == 0 && !text.trim().is_empty() {
            return Err(Fault::Malformed("text outside the root element".into()));
        }
        Ok(())
    }

    /// A text or CDATA node longer than `limit` was skipped: its property fails (text outside
    /// the root is malformed).
    pub fn cut(&mut self, non_blank: bool, limit: usize) -> Result<(), Fault> {
        if non_blank {
            self.content_seen = true;
        }
        if self.in_property {
            let reason = format!(
                "{}: a text longer than the limit of {} was skipped",
                self.property.path(),
                crate::formats::size(limit)
            );
            self.property.fail(reason);
        } else if self.depth() == 0 && non_blank {
            return Err(Fault::Malformed("text outside the root element".into()));
        }
        Ok(())
    }

    /// A reference to nothing known: its property fails (it is never stored as written).
    fn bad_reference(&mut self, written: &str) -> Result<(), Fault> {
        if self.in_property {
            let reason = format!(
                "{}: {written} is not a known entity or a valid character reference (a feed cannot declare entities)",
                self.property.path()
            );
            self.property.fail(reason);
        } else if self.depth() == 0 {
            return Err(Fault::Malformed("text outside the root element".into()));
        }
        Ok(())
    }

    fn finish(&mut self) -> Box<Finished> {
        self.records += 1;
        self.builder_taken = true;
        let raw = self.raw.take();
        Box::new(Finished {
            number: self.records,
            builder: std::mem::take(&mut self.property),
            raw,
            key: self
                .full
                .as_ref()
                .map(|full| RecordKey::from_u128(full.digest128())),
        })
    }

    /// The input has ended: the document must be complete. `truncated` makes the error.
    pub fn end(&self, truncated: impl Fn(String) -> FeedError) -> Result<(), FeedError> {
        if self.depth() > 0 {
            let inside = if self.in_property {
                " inside a <property>"
            } else {
                ""
            };
            return Err(truncated(format!(
                "the document ends before </root>{inside}"
            )));
        }
        if !self.root_seen {
            if !self.content_seen {
                return Err(FeedError::Empty);
            }
            return Err(truncated("the document has no root element".into()));
        }
        Ok(())
    }

    /// The feed error for a fault found at `at`.
    pub fn error(fault: Fault, at: Position) -> FeedError {
        match fault {
            Fault::Malformed(message) => FeedError::Malformed { at, message },
            Fault::Refused(message) => FeedError::Refused { at, message },
            Fault::WrongFormat(message) => FeedError::WrongFormat {
                format: FORMAT,
                message,
            },
        }
    }
}

impl Sink for Document {
    type Item = Read;

    fn event(&mut self, event: &Event<'_>, raw: &[u8]) -> Result<Option<Read>, Fault> {
        self.token(token(event), raw)
    }

    fn cut(&mut self, non_blank: bool, limit: usize) -> Result<(), Fault> {
        Document::cut(self, non_blank, limit)
    }

    fn ended(&self, at: Position) -> Result<(), FeedError> {
        self.end(|message| FeedError::Truncated { at, message })
    }

    fn records(&self) -> u64 {
        self.records
    }

    fn error(&self, fault: Fault, at: Position) -> FeedError {
        Document::error(fault, at)
    }
}
