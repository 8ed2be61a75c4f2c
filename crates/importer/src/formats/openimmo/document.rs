//! The document's structure as the scanner walks it: `<openimmo>`, its `<uebertragung>` (the
//! transfer's scope and language), each `<anbieter>` (its header elements are kept as the
//! context of its records) and each `<immobilie>`, built in one arena tree and mapped as it
//! ends. It checks end tags against their start tags and decides which mistakes fail the feed
//! and which fail one record.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use super::map::{self, Context};
use super::{FORMAT, MAX_CONTEXT_BYTES, MAX_DEPTH};
use crate::formats::xml::refs::{declares_entities, resolve};
use crate::formats::xml::scan::{Fault, Sink};
use crate::formats::xml::tree::{Builder, Limits};
use crate::formats::{
    FeedError, FeedItem, MAX_RECORD_BYTES, Position, ReadOptions, RecordError, Stage,
};

/// The root element, lower case.
const ROOT: &str = "openimmo";

/// What is being built below an `<anbieter>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// An `<immobilie>`.
    Record,
    /// A header element (`firma`, `anbieternr`…), kept as the context of the records after it.
    Header,
}

/// The document read so far.
pub(super) struct Document {
    /// The raw names of the open elements, the root first, one after another.
    names: Vec<u8>,
    /// Where each open element's name starts in `names`.
    starts: Vec<usize>,
    root_seen: bool,
    root_closed: bool,
    /// The element open directly inside the root is an `<anbieter>`.
    in_anbieter: bool,
    /// `umfang="VOLL"` was declared.
    pub full: bool,
    /// The element being built, if any (its arena is reused by the next one).
    part: Option<Part>,
    tree: Builder,
    /// The element's bytes as written (decoded to UTF-8; comments and processing instructions
    /// left out), while they fit `raw_limit`.
    raw: Vec<u8>,
    raw_limit: usize,
    /// The transfer's language and the current `<anbieter>`'s header.
    context: Context,
    options: ReadOptions,
    /// `<immobilie>` elements started so far.
    records: u64,
}

impl Document {
    /// A document whose records are mapped with `options`.
    pub fn new(options: ReadOptions) -> Self {
        Self {
            names: Vec::new(),
            starts: Vec::new(),
            root_seen: false,
            root_closed: false,
            in_anbieter: false,
            full: false,
            part: None,
            tree: Builder::default(),
            raw: Vec::new(),
            raw_limit: 0,
            context: Context::default(),
            options,
            records: 0,
        }
    }

    /// Open elements, the root included.
    fn depth(&self) -> usize {
        self.starts.len()
    }

    /// A start tag (`empty`: it closes at once).
    fn open(
        &mut self,
        e: &BytesStart<'_>,
        raw: &[u8],
        empty: bool,
    ) -> Result<Option<Box<FeedItem>>, Fault> {
        let name = e.local_name().into_inner();
        let depth = self.depth();
        if depth == 0 && self.root_closed {
            return Err(Fault::Malformed(format!(
                "element <{name}> after </{ROOT}>"
            )));
        }
        if !empty && depth >= MAX_DEPTH {
            return Err(Fault::Refused(format!(
                "elements are nested more than {MAX_DEPTH} deep"
            )));
        }
        match depth {
            0 if name.eq_ignore_ascii_case(ROOT) => self.root_seen = true,
            0 => {
                return Err(Fault::WrongFormat(format!(
                    "the root element is <{}>, not <{ROOT}>",
                    name.to_ascii_lowercase()
                )));
            }
            1 if name.eq_ignore_ascii_case("uebertragung") => self.transfer(e),
            1 if name.eq_ignore_ascii_case("anbieter") => {
                self.context.clear_header();
                self.in_anbieter = !empty;
            }
            2 if self.in_anbieter => {
                let part = if name.eq_ignore_ascii_case("immobilie") {
                    self.records += 1;
                    self.raw_limit = MAX_RECORD_BYTES;
                    Part::Record
                } else {
                    self.raw_limit = MAX_CONTEXT_BYTES;
                    Part::Header
                };
                self.part = Some(part);
                self.raw.clear();
                let limits = Limits {
                    tree_bytes: usize::MAX,
                    text_bytes: self.options.max_text_bytes,
                };
                self.tree.start(name, limits, &[]);
                self.keep_raw(raw);
                self.attributes(e);
            }
            _ if self.part.is_some() => {
                self.keep_raw(raw);
                self.tree.open(name);
                self.attributes(e);
            }
            _ => {}
        }
        if empty {
            return Ok(self.closed(depth));
        }
        self.starts.push(self.names.len());
        self.names
            .extend_from_slice(e.name().into_inner().as_bytes());
        Ok(None)
    }

    /// `<uebertragung>`: the transfer's scope (`umfang`) and language (`sprache`).
    fn transfer(&mut self, e: &BytesStart<'_>) {
        for attr in e.attributes().flatten() {
            let key = attr.key.local_name().into_inner();
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .unwrap_or_default();
            if key.eq_ignore_ascii_case("umfang") {
                self.full = value.trim().eq_ignore_ascii_case("VOLL");
            } else if key.eq_ignore_ascii_case("sprache") {
                self.context.transfer_language = Some(value.trim().to_owned());
            }
        }
    }

    /// Hands the element's attributes to the tree (one that cannot be read fails it).
    fn attributes(&mut self, e: &BytesStart<'_>) {
        if self.tree.failed() || e.attributes_raw().trim_ascii().is_empty() {
            return;
        }
        for attribute in e.attributes() {
            let element = || e.local_name().into_inner().to_ascii_lowercase();
            match attribute {
                Ok(a) => {
                    let key = a.key.local_name().into_inner();
                    match a.normalized_value(XmlVersion::Implicit1_0) {
                        Ok(value) => self.tree.attribute(key, &value),
                        Err(err) => {
                            let key = key.to_ascii_lowercase();
                            let reason = format!("{}: attribute {key}: {err}", element());
                            self.tree.fail(reason);
                        }
                    }
                }
                Err(err) => self
                    .tree
                    .fail(format!("{}: bad attribute: {err}", element())),
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
        self.starts.pop();
        self.names.truncate(start);
        if self.part.is_some() {
            self.keep_raw_parts(&[b"</", raw.as_bytes(), b">"]);
        }
        Ok(self.closed(self.depth()))
    }

    /// The element that was open at `depth` (0: the root) has ended.
    fn closed(&mut self, depth: usize) -> Option<Box<FeedItem>> {
        match depth {
            0 => self.root_closed = true,
            1 => self.in_anbieter = false,
            2 => return self.part.take().and_then(|part| self.finish(part)),
            _ if self.part.is_some() => {
                self.tree.close();
            }
            _ => {}
        }
        None
    }

    /// The record (mapped) or header element (added to the context) just closed (boxed: every
    /// event returns what it may finish, which must stay small, or each event copies a
    /// listing's size).
    fn finish(&mut self, part: Part) -> Option<Box<FeedItem>> {
        let finished = self.tree.finish();
        match part {
            Part::Header => {
                if let Ok(node) = finished {
                    self.context.add_header(node, &self.raw, MAX_CONTEXT_BYTES);
                }
                None
            }
            Part::Record => {
                let number = self.records;
                Some(Box::new(match finished {
                    Ok(node) => map::map(node, number, &self.context, &self.options, &self.raw),
                    Err(reason) => FeedItem::Failed(RecordError {
                        external_id: None,
                        stage: Stage::Parse,
                        message: format!("immobilie {number}: {reason}"),
                    }),
                }))
            }
        }
    }

    /// Text, CDATA or a resolved reference.
    fn text(&mut self, text: &str) -> Result<(), Fault> {
        if self.part.is_some() {
            self.tree.text(text);
        } else if self.depth() == 0 && !text.trim().is_empty() {
            return Err(self.outside());
        }
        Ok(())
    }

    /// Content at the top level, where none may be.
    fn outside(&self) -> Fault {
        Fault::Malformed(if self.root_closed {
            format!("content after </{ROOT}>")
        } else {
            "text outside the root element".into()
        })
    }

    /// Keeps the bytes of an event of the element being built; one that grows past its limit
    /// fails.
    fn keep_raw(&mut self, raw: &[u8]) {
        self.keep_raw_parts(&[raw]);
    }

    fn keep_raw_parts(&mut self, parts: &[&[u8]]) {
        if self.tree.failed() {
            return;
        }
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if self.raw.len().saturating_add(len) > self.raw_limit {
            self.raw.clear();
            let limit = crate::formats::size(self.raw_limit);
            self.tree.fail(format!("larger than {limit}"));
            return;
        }
        for part in parts {
            self.raw.extend_from_slice(part);
        }
    }

    /// Acts on one event of the document.
    fn act(&mut self, event: &Event<'_>, raw: &[u8]) -> Result<Option<Box<FeedItem>>, Fault> {
        match event {
            Event::Start(e) => self.open(e, raw, false),
            Event::Empty(e) => self.open(e, raw, true),
            Event::End(e) => self.close(e.name().into_inner()),
            Event::Text(t) => {
                if self.part.is_some() {
                    self.keep_raw(raw);
                }
                self.text(&t.xml10_content()).map(|()| None)
            }
            Event::CData(c) => {
                if self.part.is_some() {
                    self.keep_raw(raw);
                } else if self.depth() == 0 {
                    return Err(self.outside());
                }
                self.text(&c.xml10_content()).map(|()| None)
            }
            Event::GeneralRef(r) => {
                if self.part.is_none() {
                    return if self.depth() == 0 {
                        Err(self.outside())
                    } else {
                        Ok(None)
                    };
                }
                self.keep_raw(raw);
                match resolve(r) {
                    Some(text) => self.text(&text).map(|()| None),
                    None => {
                        let reason = format!(
                            "{}: the reference &{}; stands for nothing known",
                            self.tree.path(),
                            &**r
                        );
                        self.tree.fail(reason);
                        Ok(None)
                    }
                }
            }
            Event::DocType(d) if declares_entities(d.as_bytes()) => Err(Fault::Refused(
                "the document declares entities in its DOCTYPE, which are not accepted (they can expand to gigabytes or read local files and URLs)".into(),
            )),
            Event::DocType(_) | Event::Decl(_) if self.root_closed && self.depth() == 0 => {
                Err(self.outside())
            }
            Event::DocType(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::Eof => {
                Ok(None)
            }
        }
    }
}

impl Sink for Document {
    type Item = Box<FeedItem>;

    fn event(&mut self, event: &Event<'_>, raw: &[u8]) -> Result<Option<Box<FeedItem>>, Fault> {
        self.act(event, raw)
    }

    fn cut(&mut self, non_blank: bool, limit: usize) -> Result<(), Fault> {
        if self.part.is_some() {
            let reason = format!(
                "{}: a text longer than {}",
                self.tree.path(),
                crate::formats::size(limit)
            );
            self.tree.fail(reason);
        } else if self.depth() == 0 && non_blank {
            return Err(self.outside());
        }
        Ok(())
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

    fn ended(&self, at: Position) -> Result<(), FeedError> {
        if self.depth() > 0 {
            return Err(FeedError::Truncated {
                at,
                message: format!("the document ends inside {} open element(s)", self.depth()),
            });
        }
        if !self.root_seen {
            return Err(FeedError::Empty);
        }
        Ok(())
    }
}
