//! The loop the streaming XML readers run to their next record: a pass of the parser over
//! the window, more of the input read when a node is cut by its end, and a text or CDATA node
//! over the limit skipped as it streams (its record fails alone).

use tokio::io::AsyncBufRead;

use super::scan::{self, Limits, Progress, Sink};
use super::split::{self, Split};
use crate::formats::decode::Utf8Input;
use crate::formats::window::Window;
use crate::formats::{FeedError, Position};

/// The longest markup node other than CDATA (a tag, comment, processing instruction or
/// DOCTYPE), unless the text limit is larger.
pub(crate) const MAX_MARKUP_BYTES: usize = 1 << 20;

/// A decoded document read into a window and scanned into `doc`'s records.
pub(crate) struct Scanner<R, S> {
    input: Utf8Input<R>,
    window: Window,
    /// What the events mean: which elements are records, what they hold.
    pub doc: S,
    limits: Limits,
    /// Raw bytes of the current text run (text and references since the last markup).
    run: usize,
}

impl<R: AsyncBufRead + Unpin, S: Sink> Scanner<R, S> {
    /// A scanner of `input` into `doc`, keeping text nodes up to `max_text_bytes`.
    pub fn new(input: Utf8Input<R>, doc: S, max_text_bytes: usize) -> Self {
        Self {
            input,
            window: Window::default(),
            doc,
            limits: Limits {
                text: max_text_bytes,
                markup: max_text_bytes.max(MAX_MARKUP_BYTES),
            },
            run: 0,
        }
    }

    /// Reads to the end of the next record; `None` at the end of the document.
    pub async fn next_item(&mut self) -> Result<Option<S::Item>, FeedError> {
        loop {
            let (used, progress) =
                scan::scan(&self.window, &mut self.doc, &mut self.run, self.limits);
            self.window.consume(used);
            match progress? {
                Progress::Item(item) => return Ok(Some(item)),
                Progress::End => return self.doc.ended(self.at()).map(|()| None),
                Progress::More(wanted) => {
                    let filled = self.window.fill(&mut self.input, wanted).await;
                    filled.map_err(|e| FeedError::io(self.at(), e))?;
                }
                Progress::DropText { non_blank } => {
                    let dropped = self.window.drop_text(&mut self.input).await;
                    let dropped = dropped.map_err(|e| FeedError::io(self.at(), e))?;
                    self.run = 0;
                    self.cut(non_blank || dropped)?;
                }
                Progress::DropCData => {
                    let end = memchr::memmem::Finder::new(b"]]>");
                    let dropped = self.window.skip_past(&mut self.input, &end).await;
                    dropped.map_err(|e| FeedError::io(self.at(), e))?;
                    // A CDATA section is markup: the next text starts a new run.
                    self.run = 0;
                    self.cut(true)?;
                }
            }
        }
    }

    /// The length of the rest of the element opened by the last start tag (named `name`, as
    /// written), up to and including its end tag, when it is no longer than the text limit
    /// and the window holds it (after reading at most one chunk more); `None` when it has to
    /// be parsed here (see [`split`]). The window then starts with it: [`Scanner::rest`]
    /// gives it, [`Scanner::skip`] steps over it.
    pub async fn element_end(&mut self, name: &[u8]) -> Result<Option<usize>, FeedError> {
        let mut filled = false;
        loop {
            let rest = self.window.rest();
            match split::element_end(rest, name) {
                Split::End(n) if n <= self.limits.text => return Ok(Some(n)),
                Split::Cut if !filled && rest.len() < self.limits.text && !self.window.at_eof() => {
                    let wanted = rest.len().saturating_add(1);
                    let more = self.window.fill(&mut self.input, wanted).await;
                    more.map_err(|e| FeedError::io(self.at(), e))?;
                    filled = true;
                }
                Split::End(_) | Split::Cut | Split::GiveUp => return Ok(None),
            }
        }
    }

    /// The unread bytes in the window.
    pub fn rest(&self) -> &[u8] {
        self.window.rest()
    }

    /// Steps over `n` unread bytes, which are not parsed.
    pub fn skip(&mut self, n: usize) {
        self.window.consume(n);
        self.run = 0;
    }

    /// The node limits of this document.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// A node was skipped: its record fails.
    fn cut(&mut self, non_blank: bool) -> Result<(), FeedError> {
        let cut = self.doc.cut(non_blank, self.limits.text);
        cut.map_err(|fault| self.doc.error(fault, self.at()))
    }

    /// Where the reader is in the decoded feed.
    pub fn at(&self) -> Position {
        Position {
            offset: self.window.offset_of(0),
            line: None,
            records: self.doc.records(),
        }
    }
}
