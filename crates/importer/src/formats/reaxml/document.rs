//! What the reader knows of the document as it goes: the open elements (their names, to check
//! each end tag against its start), whether the `<propertyList>` root was seen and closed, and
//! the listing being built with its bytes as written. It turns XML events into listings and
//! decides which mistakes fail the feed and which fail one listing.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use super::map;
use super::values::Context;
use super::{FORMAT, MAX_DEPTH, ROOT};
use crate::formats::xml::kept::KeptBytes;
use crate::formats::xml::refs::{declares_entities, resolve};
use crate::formats::xml::scan::{Fault, Sink};
use crate::formats::xml::tree::{Builder, Limits};
use crate::formats::{FeedError, FeedItem, MAX_RECORD_BYTES, Position, RecordError, Stage};

/// The listing elements a `<propertyList>` holds, lower case.
/// A listing's bounds: its size; a text over the scanner's limit is skipped before it reaches
/// the tree.
const LIMITS: Limits = Limits {
    tree_bytes: MAX_RECORD_BYTES,
    text_bytes: usize::MAX,
};

/// A listing's id as far as it was read: `agentID:uniqueID`, or `uniqueID` alone.
fn external_id(listing: &Builder) -> Option<String> {
    let unique = listing.key("uniqueid")?;
    Some(match listing.key("agentid") {
        Some(agent) => format!("{agent}:{unique}"),
        None => unique.to_owned(),
    })
}

pub(super) const KINDS: &[&str] = &[
    "residential",
    "rental",
    "land",
    "commercial",
    "rural",
    "holidayrental",
    "business",
    "commercialland",
];

/// The document read so far.
pub(super) struct Document {
    /// The raw names of the open elements, the root first, one after another.
    names: Vec<u8>,
    /// Where each open element's name starts in `names`.
    starts: Vec<usize>,
    root_seen: bool,
    root_closed: bool,
    /// Something other than whitespace was read.
    content_seen: bool,
    /// The listing being read, if `in_listing` (its arena is reused by the next one).
    listing: Builder,
    in_listing: bool,
    /// The listing's bytes as written (decoded to UTF-8), while they fit the record limit.
    raw: KeptBytes,
    /// Inside a listing's private `vendorDetails`: the depth its end tag returns to.
    in_private: Option<usize>,
    /// What the mapping needs besides the tree.
    context: Context,
    /// Listings read so far.
    pub records: u64,
}

impl Document {
    /// A document whose listings are mapped with `context`.
    pub fn new(context: Context) -> Self {
        Self {
            names: Vec::new(),
            starts: Vec::new(),
            root_seen: false,
            root_closed: false,
            content_seen: false,
            listing: Builder::default(),
            in_listing: false,
            raw: KeptBytes::default(),
            in_private: None,
            context,
            records: 0,
        }
    }

    /// Open elements, the root included.
    fn depth(&self) -> usize {
        self.starts.len()
    }

    fn open(&mut self, e: &BytesStart<'_>) -> Result<(), Fault> {
        let raw = e.name().into_inner();
        let name = e.local_name().into_inner();
        match self.depth() {
            0 if self.root_closed => {
                return Err(Fault::Malformed(format!(
                    "element <{name}> after </{ROOT}>"
                )));
            }
            0 if !name.eq_ignore_ascii_case(ROOT) => {
                return Err(Fault::WrongFormat(format!(
                    "the root element is <{name}>, not <{ROOT}>"
                )));
            }
            0 => self.root_seen = true,
            1 if KINDS.iter().any(|k| k.eq_ignore_ascii_case(name)) => {
                self.listing.start(name, LIMITS, &["agentid", "uniqueid"]);
                self.attributes(e);
                self.in_listing = true;
            }
            MAX_DEPTH.. => {
                return Err(Fault::Refused(format!(
                    "elements are nested more than {MAX_DEPTH} deep"
                )));
            }
            _ => {
                if self.in_listing {
                    self.listing.open(name);
                    self.attributes(e);
                }
            }
        }
        self.starts.push(self.names.len());
        self.names.extend_from_slice(raw.as_bytes());
        Ok(())
    }

    /// Hands the element's attributes to the listing (one that cannot be read fails it).
    fn attributes(&mut self, e: &BytesStart<'_>) {
        if e.attributes_raw().trim_ascii().is_empty() {
            return;
        }
        for attribute in e.attributes() {
            let read = attribute.map_err(|e| e.to_string()).and_then(|a| {
                let value = a.normalized_value(XmlVersion::Implicit1_0);
                let value = value.map_err(|e| e.to_string())?;
                let key = a.key.local_name().into_inner().to_owned();
                Ok((key, value))
            });
            match read {
                Ok((key, value)) => self.listing.attribute(&key, &value),
                Err(reason) => {
                    let path = self.listing.path();
                    self.listing
                        .fail(format!("{path}: an attribute cannot be read: {reason}"));
                    return;
                }
            }
        }
    }

    /// An end tag: it must close the innermost open element.
    fn close(&mut self, raw: &str) -> Result<Option<Box<FeedItem>>, Fault> {
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
    fn pop(&mut self) -> Option<Box<FeedItem>> {
        if let Some(start) = self.starts.pop() {
            self.names.truncate(start);
        }
        match self.depth() {
            0 => {
                self.root_closed = true;
                None
            }
            1 if self.in_listing => {
                self.in_listing = false;
                Some(self.finish())
            }
            1 => None,
            _ => {
                if self.in_listing {
                    self.listing.close();
                }
                None
            }
        }
    }

    fn text(&mut self, text: &str) -> Result<(), Fault> {
        if self.in_listing {
            self.listing.text(text);
        } else if self.depth() == 0 && !text.trim().is_empty() {
            return Err(Fault::Malformed("text outside the root element".into()));
        }
        Ok(())
    }

    /// A reference to nothing known: its listing fails (it is never stored as written).
    fn bad_reference(&mut self, written: &str) -> Result<(), Fault> {
        if self.in_listing {
            let reason = format!(
                "{}: {written} is not a known entity or a valid character reference (a feed cannot declare entities)",
                self.listing.path()
            );
            self.listing.fail(reason);
        } else if self.depth() == 0 {
            return Err(Fault::Malformed("text outside the root element".into()));
        }
        Ok(())
    }

    /// Maps the listing just closed (boxed: every event returns what it may finish, which
    /// must stay small, or each of a feed's millions of events copies a listing's size).
    fn finish(&mut self) -> Box<FeedItem> {
        self.records += 1;
        let number = self.records;
        let raw = self.raw.take();
        let external_id = external_id(&self.listing);
        Box::new(match self.listing.finish() {
            Ok(node) => map::map(node, number, &self.context, raw),
            Err(reason) => FeedItem::Failed(RecordError {
                external_id,
                stage: Stage::Parse,
                message: format!("listing {number}: {reason}"),
            }),
        })
    }

    /// Keeps the bytes of an event read inside a listing (a listing that outgrows the record
    /// limit fails).
    fn keep_raw(&mut self, raw: &[u8]) {
        if let Some(reason) = self.raw.keep(raw) {
            self.listing.fail(reason);
        }
    }

    /// The input has ended: the document must be complete. `truncated` makes the error.
    pub fn end(&self, truncated: impl Fn(String) -> FeedError) -> Result<(), FeedError> {
        if self.depth() > 0 {
            let inside = if self.in_listing {
                " inside a listing"
            } else {
                ""
            };
            return Err(truncated(format!(
                "the document ends before </{ROOT}>{inside}"
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
}

impl Document {
    /// Acts on one event of the document.
    fn act(&mut self, event: &Event<'_>) -> Result<Option<Box<FeedItem>>, Fault> {
        match event {
            Event::Start(e) => self.open(e).map(|()| None),
            Event::Empty(e) => {
                self.open(e)?;
                Ok(self.pop())
            }
            Event::End(e) => self.close(e.name().into_inner()),
            Event::Text(t) => self.text(&t.xml10_content()).map(|()| None),
            Event::CData(c) => self.text(&c.xml10_content()).map(|()| None),
            Event::GeneralRef(r) => match resolve(r) {
                Some(text) => self.text(&text).map(|()| None),
                None => self.bad_reference(&format!("&{};", &**r)).map(|()| None),
            },
            Event::DocType(d) if declares_entities(d.as_bytes()) => Err(Fault::Refused(
                "the document declares entities in its DOCTYPE, which are not accepted (they can expand to gigabytes or read local files and URLs)".into(),
            )),
            Event::DocType(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::Eof => {
                Ok(None)
            }
        }
    }
}

impl Sink for Document {
    type Item = Box<FeedItem>;

    fn event(&mut self, event: &Event<'_>, raw: &[u8]) -> Result<Option<Box<FeedItem>>, Fault> {
        let blank = matches!(event, Event::Text(t) if t.trim_ascii().is_empty());
        if !blank && !matches!(event, Event::Eof) {
            self.content_seen = true;
        }
        let starts_listing = self.depth() == 1
            && matches!(event, Event::Start(e) | Event::Empty(e)
                if KINDS.iter().any(|k| k.eq_ignore_ascii_case(e.local_name().into_inner())));
        if starts_listing {
            self.raw.restart();
            self.in_private = None;
        }
        // A listing's `vendorDetails` (the owner's name and contacts) are private to the
        // agent: left out of the kept record as they are never mapped.
        let opens_private = self.in_listing
            && self.depth() == 2
            && matches!(event, Event::Start(e) | Event::Empty(e)
                if e.local_name().into_inner().eq_ignore_ascii_case("vendorDetails"));
        if opens_private && matches!(event, Event::Start(_)) {
            self.in_private = Some(self.depth());
        }
        if (self.in_listing || starts_listing) && self.in_private.is_none() && !opens_private {
            self.keep_raw(raw);
        }
        let ends_private = self.in_private.is_some() && matches!(event, Event::End(_));
        let result = self.act(event);
        if ends_private && self.in_private == Some(self.depth()) {
            self.in_private = None;
        }
        result
    }

    fn cut(&mut self, non_blank: bool, limit: usize) -> Result<(), Fault> {
        if non_blank {
            self.content_seen = true;
        }
        if self.in_listing {
            let reason = format!(
                "{}: a text longer than the limit of {} was skipped",
                self.listing.path(),
                crate::formats::size(limit)
            );
            self.listing.fail(reason);
        } else if self.depth() == 0 && non_blank {
            return Err(Fault::Malformed("text outside the root element".into()));
        }
        Ok(())
    }

    fn ended(&self, at: Position) -> Result<(), FeedError> {
        self.end(|message| FeedError::Truncated { at, message })
    }

    fn records(&self) -> u64 {
        self.records
    }

    fn error(&self, fault: Fault, at: Position) -> FeedError {
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
