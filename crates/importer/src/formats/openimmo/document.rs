//! The document's structure as the reader walks it: `<openimmo>`, its `<uebertragung>` (the
//! transfer's scope and language), each `<anbieter>` (its header elements are kept as the
//! context of its records) and each `<immobilie>`, built and mapped one at a time.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use tokio::io::AsyncBufRead;

use super::guard::Guard;
use super::map::{self, Context};
use super::tree::Builder;
use super::{FORMAT, MAX_CONTEXT_BYTES, MAX_DEPTH, MAX_MARKUP_BYTES};
use crate::formats::decode::Utf8Input;
use crate::formats::{FeedError, FeedItem, Position, ReadOptions, RecordError, Stage};

/// Reads the decoded document event by event.
pub(super) struct Parser<R> {
    xml: Reader<Guard<Utf8Input<R>>>,
    buf: Vec<u8>,
    options: ReadOptions,
    /// Open elements.
    depth: usize,
    root_closed: bool,
    content_seen: bool,
    /// `umfang="VOLL"` was declared.
    pub full: bool,
    /// The `<immobilie>` being read.
    record: Option<Builder>,
    /// A header element of the current `<anbieter>` being read.
    header: Option<Builder>,
    /// The current `<anbieter>`'s header elements.
    context: Context,
    /// `<immobilie>` elements started so far.
    pub records: u64,
}

impl<R: AsyncBufRead + Unpin> Parser<R> {
    /// A parser of `input` with the reader's options.
    pub fn new(input: Utf8Input<R>, options: ReadOptions) -> Self {
        let limit = options.max_text_bytes.max(MAX_MARKUP_BYTES) + 64 * 1024;
        let mut xml = Reader::from_reader(Guard::new(input, limit));
        let config = xml.config_mut();
        config.allow_dangling_amp = true;
        config.check_end_names = true;
        Self {
            xml,
            buf: Vec::new(),
            options,
            depth: 0,
            root_closed: false,
            content_seen: false,
            full: false,
            record: None,
            header: None,
            context: Context::default(),
            records: 0,
        }
    }

    /// Where the parser is in the decoded document.
    fn at(&self) -> Position {
        Position {
            offset: self.xml.buffer_position(),
            line: None,
            records: self.records,
        }
    }

    /// The next record's item; `None` at the end of the document.
    pub async fn next_item(&mut self) -> Result<Option<FeedItem>, FeedError> {
        loop {
            let mut buf = std::mem::take(&mut self.buf);
            buf.clear();
            self.xml.get_mut().reset();
            let item = match self.xml.read_event_into_async(&mut buf).await {
                Ok(event) => self.event(event),
                Err(e) => Err(self.error(e)),
            };
            if buf.capacity() <= 64 * 1024 {
                self.buf = buf;
            }
            if let Some(item) = item? {
                return Ok(Some(item));
            }
            if self.root_closed && self.depth == 0 && self.at_eof().await? {
                return Ok(None);
            }
        }
    }

    /// After the root closed: the rest may hold only whitespace, comments and processing
    /// instructions.
    async fn at_eof(&mut self) -> Result<bool, FeedError> {
        loop {
            self.buf.clear();
            self.xml.get_mut().reset();
            match self.xml.read_event_into_async(&mut self.buf).await {
                Ok(Event::Eof) => return Ok(true),
                Ok(Event::Comment(_) | Event::PI(_)) => {}
                Ok(Event::Text(t)) if t.trim_ascii().is_empty() => {}
                Ok(other) => {
                    let what = match other {
                        Event::Start(e) | Event::Empty(e) => {
                            format!("element <{}>", e.local_name().into_inner())
                        }
                        _ => "content".to_owned(),
                    };
                    return Err(FeedError::Malformed {
                        at: self.at(),
                        message: format!("{what} after </openimmo>"),
                    });
                }
                Err(e) => return Err(self.error(e)),
            }
        }
    }

    fn error(&self, error: quick_xml::Error) -> FeedError {
        let at = self.at();
        if self.xml.get_ref().tripped {
            return FeedError::Refused {
                at,
                message: format!(
                    "a node longer than {} was found, which is not accepted",
                    crate::formats::size(self.options.max_text_bytes.max(MAX_MARKUP_BYTES))
                ),
            };
        }
        match error {
            quick_xml::Error::Io(e) => {
                FeedError::io(at, std::io::Error::new(e.kind(), e.to_string()))
            }
            other => FeedError::Malformed {
                at,
                message: other.to_string(),
            },
        }
    }

    /// Acts on one event; an item comes back once a record ends.
    fn event(&mut self, event: Event<'_>) -> Result<Option<FeedItem>, FeedError> {
        if let Event::DocType(d) = &event
            && declares_entities(d.as_bytes())
        {
            return Err(FeedError::Refused {
                at: self.at(),
                message: "the document declares entities in its DOCTYPE, which are not accepted (they can expand to gigabytes or read local files and URLs)".into(),
            });
        }
        if matches!(event, Event::Start(_)) && self.depth >= MAX_DEPTH {
            return Err(FeedError::Refused {
                at: self.at(),
                message: format!("elements are nested more than {MAX_DEPTH} deep"),
            });
        }
        if let Event::Eof = event {
            // The end of the input ends the document, inside a record or not.
            self.eof()?;
            self.root_closed = true;
            return Ok(None);
        }
        let delta: isize = match &event {
            Event::Start(_) => 1,
            Event::End(_) => -1,
            _ => 0,
        };
        let item = self.dispatch(&event)?;
        if delta < 0 && self.depth == 2 && self.record.is_none() && self.header.is_none() {
            self.context.in_anbieter = false;
        }
        self.depth = self.depth.saturating_add_signed(delta);
        if self.depth == 0 && matches!(event, Event::End(_)) {
            self.root_closed = true;
        }
        Ok(item)
    }

    fn dispatch(&mut self, event: &Event<'_>) -> Result<Option<FeedItem>, FeedError> {
        if let Some(record) = &mut self.record {
            if record.event(event) {
                let builder = self.record.take().unwrap_or_default();
                return Ok(Some(self.finish_record(builder)));
            }
            return Ok(None);
        }
        if let Some(header) = &mut self.header {
            if header.event(event) {
                let mut builder = self.header.take().unwrap_or_default();
                let raw = std::mem::take(&mut builder.raw);
                if let Ok(tree) = builder.finish() {
                    self.context.add_header(&tree, &raw, MAX_CONTEXT_BYTES);
                }
            }
            return Ok(None);
        }
        match event {
            Event::Start(e) | Event::Empty(e) => self.element(e, event),
            Event::Text(t) if self.depth == 0 && !t.trim_ascii().is_empty() => {
                Err(FeedError::Malformed {
                    at: self.at(),
                    message: "text outside the root element".into(),
                })
            }
            _ => Ok(None),
        }
    }

    /// A start tag outside any record.
    fn element(
        &mut self,
        e: &BytesStart<'_>,
        event: &Event<'_>,
    ) -> Result<Option<FeedItem>, FeedError> {
        let name = e.local_name().into_inner().to_ascii_lowercase();
        let start = matches!(event, Event::Start(_));
        match self.depth {
            0 if name == "openimmo" => {
                self.content_seen = true;
                if !start {
                    self.root_closed = true;
                }
                Ok(None)
            }
            0 => Err(FeedError::WrongFormat {
                format: FORMAT,
                message: format!("the root element is <{name}>, not <openimmo>"),
            }),
            1 if name == "uebertragung" => {
                for attr in e.attributes().flatten() {
                    let key = attr.key.local_name();
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap_or_default();
                    if key.into_inner().eq_ignore_ascii_case("umfang") {
                        self.full = value.trim().eq_ignore_ascii_case("VOLL");
                    } else if key.into_inner().eq_ignore_ascii_case("sprache") {
                        self.context.transfer_language = Some(value.trim().to_owned());
                    }
                }
                Ok(None)
            }
            1 if name == "anbieter" => {
                self.context.clear_header();
                self.context.in_anbieter = start;
                Ok(None)
            }
            2 if name == "immobilie" && self.in_anbieter() => {
                self.records += 1;
                let mut builder = Builder::new(self.options.max_text_bytes, usize::MAX);
                if builder.event(event) {
                    return Ok(Some(self.finish_record(builder)));
                }
                self.record = Some(builder);
                Ok(None)
            }
            2 if self.in_anbieter() => {
                let mut builder = Builder::new(self.options.max_text_bytes, MAX_CONTEXT_BYTES);
                if builder.event(event) {
                    let raw = std::mem::take(&mut builder.raw);
                    if let Ok(tree) = builder.finish() {
                        self.context.add_header(&tree, &raw, MAX_CONTEXT_BYTES);
                    }
                } else {
                    self.header = Some(builder);
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    fn in_anbieter(&self) -> bool {
        self.context.in_anbieter
    }

    fn eof(&self) -> Result<(), FeedError> {
        if self.depth > 0 || self.record.is_some() || self.header.is_some() {
            return Err(FeedError::Truncated {
                at: self.at(),
                message: format!("the document ends inside {} open element(s)", self.depth),
            });
        }
        if !self.content_seen {
            return Err(FeedError::Empty);
        }
        Ok(())
    }

    /// Maps a finished `<immobilie>`.
    fn finish_record(&mut self, mut builder: Builder) -> FeedItem {
        let number = self.records;
        let raw = std::mem::take(&mut builder.raw);
        match builder.finish() {
            Ok(tree) => map::map(&tree, number, &self.context, &self.options, raw),
            Err(reason) => FeedItem::Failed(RecordError {
                external_id: None,
                stage: Stage::Parse,
                message: format!("immobilie {number}: {reason}"),
            }),
        }
    }
}

/// Whether a DOCTYPE's content declares an entity.
fn declares_entities(doctype: &[u8]) -> bool {
    const DECLARATION: &[u8] = b"<!ENTITY";
    doctype
        .windows(DECLARATION.len())
        .any(|w| w.eq_ignore_ascii_case(DECLARATION))
}
