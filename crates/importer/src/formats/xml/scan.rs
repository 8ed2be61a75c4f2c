//! One pass of the XML pull parser over the window: every complete node is handed to the
//! reader's [`Sink`] (its document); the pass stops at a finished record, at the end of the
//! document, or at a node the window holds only part of (which is read again, whole, once the
//! window has more).
//!
//! The window's end is only known to end a node when the input has ended, so a node that
//! reaches it is taken as cut: the parser's slice reader reports a cut text as a shorter
//! text, and cut markup as a syntax error ("not closed before the end of input"), which are
//! both read again after the window grows.

use quick_xml::Reader;
use quick_xml::events::{BytesText, Event};

use super::refs::is_markup;
use crate::formats::window::Window;
use crate::formats::{FeedError, Position};

/// U+FEFF in UTF-8, which quick-xml drops where its input starts.
const ZWNBSP: &[u8] = b"\xEF\xBB\xBF";

/// `<![CDATA[` and `]]>`: a CDATA section may be this much longer than the text limit.
const CDATA_MARKS: usize = 12;

/// Why an event fails the whole feed; the reader adds the position.
pub(crate) enum Fault {
    /// Not well-formed, or content where none may be.
    Malformed(String),
    /// Something the reader refuses to read (nesting too deep, declared entities).
    Refused(String),
    /// Not a document of the reader's format.
    WrongFormat(String),
}

/// What a reader's document does with the events a pass reads.
pub(crate) trait Sink {
    /// A record read to its end.
    type Item;

    /// Acts on one complete event (`raw`: its bytes as written); a record comes back once it
    /// has ended.
    fn event(&mut self, event: &Event<'_>, raw: &[u8]) -> Result<Option<Self::Item>, Fault>;

    /// A text or CDATA node longer than `limit` was skipped (`non_blank`: it held more than
    /// whitespace).
    fn cut(&mut self, non_blank: bool, limit: usize) -> Result<(), Fault>;

    /// Records read so far.
    fn records(&self) -> u64;

    /// The feed error for a fault found at `at`.
    fn error(&self, fault: Fault, at: Position) -> FeedError;

    /// The input has ended at `at`: whether the document is complete (else why not).
    fn ended(&self, at: Position) -> Result<(), FeedError>;
}

/// The longest nodes kept.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// A text run (text and references between two pieces of markup) or CDATA content.
    pub text: usize,
    /// Any other markup node.
    pub markup: usize,
}

/// How a pass ended.
pub(crate) enum Progress<T> {
    /// A record ended.
    Item(T),
    /// The input ended after the last node.
    End,
    /// The window ends inside a node: read more, at least this many bytes in all.
    More(usize),
    /// A text run is over the limit: skip the rest of it (`non_blank`: what was seen of it
    /// held more than whitespace).
    DropText { non_blank: bool },
    /// A CDATA section is over the limit: skip the rest of it.
    DropCData,
}

/// Parses the window's complete nodes; returns how many of its bytes were read, and how the
/// pass ended. `run` carries the length of the current text run from pass to pass.
pub(crate) fn scan<S: Sink>(
    window: &Window,
    doc: &mut S,
    run: &mut usize,
    limits: Limits,
) -> (usize, Result<Progress<S::Item>, FeedError>) {
    let rest = window.rest();
    let eof = window.at_eof();
    let at = |doc: &S, offset: usize| Position {
        offset: window.offset_of(offset),
        line: None,
        records: doc.records(),
    };
    let mut used = 0;
    while rest[used..].starts_with(ZWNBSP) {
        used += ZWNBSP.len();
    }
    if used > 0 {
        // A pass can start at U+FEFF in the middle of the document (a text node's first
        // character, or one between records): quick-xml would drop one as a byte order mark
        // without counting its bytes, so those that start the pass are given to the document
        // as text here. (The document's own byte order mark is gone before the first pass.)
        *run = run.saturating_add(used);
        if *run > limits.text {
            return (used, Ok(Progress::DropText { non_blank: true }));
        }
        let text = "\u{feff}".repeat(used / ZWNBSP.len());
        let text = Event::Text(BytesText::from_escaped(text));
        if let Err(fault) = doc.event(&text, &rest[..used]) {
            let error = doc.error(fault, at(doc, used));
            return (used, Err(error));
        }
    }
    // Where quick-xml's input starts in `rest`.
    let base = used;
    let mut xml = Reader::from_reader(&rest[base..]);
    let config = xml.config_mut();
    config.allow_dangling_amp = true;
    // End tags are matched by the document, which sees every pass.
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    loop {
        let event = xml.read_event();
        let after = base + position(xml.buffer_position());
        let event = match event {
            Ok(Event::Eof) if eof => return (used, Ok(Progress::End)),
            Ok(Event::Eof) => return (used, Ok(Progress::More(0))),
            Ok(event) if after < rest.len() || eof => event,
            Ok(event) => {
                let text = !is_markup(&event);
                return (
                    used,
                    cut_short(&rest[used..], text, *run, limits, |o| at(doc, used + o)),
                );
            }
            Err(quick_xml::Error::Syntax(_)) if !eof => {
                return (
                    used,
                    cut_short(&rest[used..], false, *run, limits, |o| at(doc, used + o)),
                );
            }
            Err(e) => {
                let offset = base + position(xml.error_position());
                let malformed = FeedError::Malformed {
                    at: at(doc, offset),
                    message: e.to_string(),
                };
                return (used, Err(malformed));
            }
        };
        let len = after - used;
        if is_markup(&event) {
            *run = 0;
            if let Event::CData(_) = event {
                if len - CDATA_MARKS.min(len) > limits.text {
                    let cut = doc.cut(true, limits.text);
                    if let Err(fault) = cut {
                        return (after, Err(doc.error(fault, at(doc, after))));
                    }
                    used = after;
                    continue;
                }
            } else if len > limits.markup {
                return (used, Err(too_long(&rest[used..], limits, at(doc, used))));
            }
        } else {
            *run = run.saturating_add(len);
            if *run > limits.text {
                let non_blank = !rest[used..after].iter().all(u8::is_ascii_whitespace);
                return (after, Ok(Progress::DropText { non_blank }));
            }
        }
        let refused_at = at(doc, used);
        let raw = &rest[used..after];
        used = after;
        match doc.event(&event, raw) {
            Ok(Some(item)) => return (used, Ok(Progress::Item(item))),
            Ok(None) => {}
            Err(fault @ Fault::Refused(_)) => {
                let error = doc.error(fault, refused_at);
                return (used, Err(error));
            }
            Err(fault) => {
                let error = doc.error(fault, at(doc, used));
                return (used, Err(error));
            }
        }
    }
}

/// What to do about a node the window holds only the start of (`node`): read more, or skip
/// it when it is already over its limit.
fn cut_short<T>(
    node: &[u8],
    text: bool,
    run: usize,
    limits: Limits,
    at: impl Fn(usize) -> Position,
) -> Result<Progress<T>, FeedError> {
    let wanted = node.len().saturating_mul(2);
    if text {
        if run.saturating_add(node.len()) > limits.text {
            return Ok(Progress::DropText { non_blank: false });
        }
        return Ok(Progress::More(wanted));
    }
    if node.starts_with(b"<![CDATA[") {
        if node.len() - 9 > limits.text {
            return Ok(Progress::DropCData);
        }
        return Ok(Progress::More(wanted));
    }
    if node.len() > limits.markup {
        return Err(too_long(node, limits, at(0)));
    }
    Ok(Progress::More(wanted))
}

/// A markup node (starting at `node`) went past the markup limit: the feed fails where it
/// starts.
fn too_long(node: &[u8], limits: Limits, at: Position) -> FeedError {
    let what = match node.get(1..).unwrap_or_default() {
        [b'!', b'-', ..] => "comment",
        [b'!', b'[', ..] => "CDATA section",
        [b'!', b'D' | b'd', ..] => "DOCTYPE",
        [b'!', ..] => "declaration",
        [b'?', ..] => "processing instruction",
        _ => "tag",
    };
    FeedError::Refused {
        at,
        message: format!(
            "a {what} longer than {} was found, which is not accepted",
            crate::formats::size(limits.markup)
        ),
    }
}

/// A position of the slice reader as an index into its slice.
fn position(at: u64) -> usize {
    usize::try_from(at).unwrap_or(usize::MAX)
}
