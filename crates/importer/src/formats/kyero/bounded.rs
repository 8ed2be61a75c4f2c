//! A guard beneath the XML parser that bounds the memory of one node. quick-xml gathers a
//! whole text run, CDATA section, comment or tag into one buffer before it hands it over, so
//! one huge node of an otherwise small feed would be held whole. This reader passes the
//! decoded feed through in pieces of its own buffer and follows it just enough — character
//! data or markup, and which markup — to see when one node grows past its limit:
//!
//! - the rest of a text run (up to the next `<`) or of a CDATA section (up to its `]]>`) is
//!   dropped as it streams, never buffered, and the parser is told the node was cut (so the
//!   property it belongs to fails alone);
//! - any other markup past the limit (a tag, comment, processing instruction or DOCTYPE)
//!   fails the feed with [`TooLong`].
//!
//! The parser says when a markup node has ended ([`Bounded::markup_ended`] after each markup
//! event), so this reader never has to agree with it on where one ends (a DOCTYPE's internal
//! subset is subtle); it only has to see where one starts: at a `<` consumed as character
//! data.
//!
//! What the parser gets stays valid UTF-8 and well-formed: a character begun within the limit
//! is given whole, the rest of a text is dropped only up to a `<` (an `&` the parser has
//! already seen is still given to it), and a cut CDATA section is closed again with `]]>`.

mod stream;

use std::io;

use tokio::io::AsyncBufRead;

/// Size of the reader's own buffer.
const CAPACITY: usize = 64 * 1024;
/// The longest markup node other than CDATA (a tag, comment, processing instruction or
/// DOCTYPE), whatever the text limit.
pub(super) const MAX_MARKUP_BYTES: usize = 1 << 20;
/// `<![CDATA[` and `]]>`: a CDATA section may be this much longer than the text limit.
const CDATA_MARKS: usize = 12;

/// A node was cut; reported to the parser once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cut {
    /// Whether the dropped bytes held anything but whitespace.
    pub non_blank: bool,
}

/// Markup longer than the limit: the I/O error the parser gets instead of the node.
#[derive(Debug, thiserror::Error)]
#[error("a {what} longer than {} was found, which is not accepted", crate::formats::size(*.limit))]
pub(super) struct TooLong {
    /// What kind of markup.
    pub what: &'static str,
    /// The limit it went past.
    pub limit: usize,
}

/// Where the consumed input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Character data; once the run is over the limit its rest is `dropping`. `amp`: an `&`
    /// was given while dropping (the parser is inside a reference, so the rest may go).
    Text { dropping: bool, amp: bool },
    /// Inside markup of this kind, until the parser says it ended.
    Markup(Kind),
    /// Dropping the rest of a CDATA section up to its `]]>`.
    CDataDrop,
    /// A cut CDATA section's last `>` (after the `]]` given again), one byte at a time.
    Closing,
}

/// A kind of markup, told by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// After `<`.
    Lt,
    /// After `<!`.
    Bang,
    Tag,
    CData,
    Comment,
    Pi,
    DocType,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Lt | Self::Tag => "tag",
            Self::Bang => "declaration",
            Self::CData => "CDATA section",
            Self::Comment => "comment",
            Self::Pi => "processing instruction",
            Self::DocType => "DOCTYPE",
        }
    }
}

/// What `step` decided.
enum Step {
    /// Give this many bytes from `start`.
    Give(usize),
    /// Look again (something was dropped or the state changed).
    Again,
}

/// The guard over a decoded (UTF-8) XML stream; see the module documentation.
pub(super) struct Bounded<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Bytes given before the rest of the input (`]]` closing a cut CDATA section).
    inject: &'static [u8],
    text_limit: usize,
    state: State,
    /// Bytes of the current text run or markup node consumed so far.
    len: usize,
    /// `]` bytes at the end of what was read of the current CDATA section (at most 2).
    brackets: u8,
    cut: Option<Cut>,
    /// Bytes dropped minus bytes injected, to turn the parser's positions into the feed's.
    skipped: i64,
}

impl<R: AsyncBufRead + Unpin> Bounded<R> {
    /// Guards `inner`, cutting text runs and CDATA sections longer than `text_limit` bytes.
    pub fn new(inner: R, text_limit: usize) -> Self {
        Self {
            inner,
            buf: vec![0; CAPACITY].into_boxed_slice(),
            start: 0,
            end: 0,
            inject: &[],
            text_limit: text_limit.max(1),
            state: State::Text {
                dropping: false,
                amp: false,
            },
            len: 0,
            brackets: 0,
            cut: None,
            skipped: 0,
        }
    }

    /// The parser has read a whole markup event: character data follows.
    pub fn markup_ended(&mut self) {
        self.state = State::Text {
            dropping: false,
            amp: false,
        };
        self.len = 0;
    }

    /// The cut made since the last call, if any.
    pub fn take_cut(&mut self) -> Option<Cut> {
        self.cut.take()
    }

    /// Bytes of the feed the parser did not see, less the bytes it saw that the feed does not
    /// have: add to the parser's position to get the feed's.
    pub fn skipped(&self) -> i64 {
        self.skipped
    }

    fn markup_limit(&self) -> usize {
        self.text_limit.max(MAX_MARKUP_BYTES)
    }

    /// Drops the next `n` bytes, noting a cut.
    fn drop_bytes(&mut self, n: usize, non_blank: bool) {
        self.start += n;
        self.skipped = self
            .skipped
            .saturating_add(i64::try_from(n).unwrap_or(i64::MAX));
        let before = self.cut.is_some_and(|c| c.non_blank);
        self.cut = Some(Cut {
            non_blank: before || non_blank,
        });
    }

    /// Decides what to do with the buffered bytes (`start < end`).
    fn step(&mut self) -> io::Result<Step> {
        let avail = &self.buf[self.start..self.end];
        match self.state {
            State::Text {
                dropping: false, ..
            } => {
                let room = self.text_limit.saturating_sub(self.len);
                if avail[0] == b'<' || room > 0 {
                    let n = if avail[0] == b'<' { avail.len() } else { room };
                    return Ok(Step::Give(n.min(avail.len())));
                }
                self.state = State::Text {
                    dropping: true,
                    amp: false,
                };
                self.drop_bytes(0, false);
                Ok(Step::Again)
            }
            State::Text {
                dropping: true,
                amp,
            } => {
                if avail[0] == b'<' {
                    return Ok(Step::Give(avail.len()));
                }
                if avail[0] == b'&' && !amp {
                    // The parser may have seen this `&` and will take it without looking.
                    return Ok(Step::Give(1));
                }
                let rest_of_char = continuation(avail);
                if rest_of_char > 0 {
                    // The end of a character begun within the limit: given, so the text stays
                    // UTF-8 (the node is cut all the same).
                    return Ok(Step::Give(rest_of_char));
                }
                let stop = memchr::memchr(b'<', avail).unwrap_or(avail.len());
                let non_blank = !avail[..stop].iter().all(u8::is_ascii_whitespace);
                self.drop_bytes(stop, non_blank);
                Ok(Step::Again)
            }
            State::Markup(Kind::Lt) if avail[0] != b'!' => {
                // A tag or processing instruction: the markup limit, whichever it is.
                let room = self.markup_limit().saturating_sub(self.len);
                Ok(Step::Give(room.clamp(1, avail.len())))
            }
            State::Markup(Kind::Lt | Kind::Bang) => {
                // One byte at a time until a declaration's kind is known, so that no exposure
                // reaches past the point where it is decided (a CDATA section's limit is
                // lower).
                Ok(Step::Give(1))
            }
            State::Markup(kind) => {
                let limit = if kind == Kind::CData {
                    self.text_limit.saturating_add(CDATA_MARKS)
                } else {
                    self.markup_limit()
                };
                let room = limit.saturating_sub(self.len);
                if room > 0 {
                    return Ok(Step::Give(room.min(avail.len())));
                }
                if kind != Kind::CData {
                    let what = kind.name();
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        TooLong { what, limit },
                    ));
                }
                self.state = State::CDataDrop;
                self.drop_bytes(0, true);
                Ok(Step::Again)
            }
            State::CDataDrop => {
                let rest_of_char = continuation(avail);
                if rest_of_char > 0 {
                    return Ok(Step::Give(rest_of_char));
                }
                let carried = self.brackets;
                let end = memchr::memchr_iter(b'>', avail)
                    .find(|&i| brackets_before(&avail[..i], carried) >= 2);
                match end {
                    Some(i) => {
                        self.drop_bytes(i, true);
                        self.inject = b"]]";
                        self.skipped = self.skipped.saturating_sub(2);
                        self.state = State::Closing;
                    }
                    None => {
                        self.brackets = brackets_before(avail, carried);
                        let n = avail.len();
                        self.drop_bytes(n, true);
                    }
                }
                Ok(Step::Again)
            }
            State::Closing => Ok(Step::Give(1)),
        }
    }

    /// Follows the bytes `start..start + n` as they are consumed.
    fn advance(&mut self, n: usize) {
        let to = self.start + n;
        let mut i = self.start;
        while i < to {
            match self.state {
                State::Text { dropping, amp } => {
                    let bytes = &self.buf[i..to];
                    let lt = memchr::memchr(b'<', bytes);
                    let run = lt.unwrap_or(bytes.len());
                    if dropping && !amp && bytes[..run].contains(&b'&') {
                        self.state = State::Text {
                            dropping,
                            amp: true,
                        };
                    }
                    self.len = self.len.saturating_add(run);
                    i += run;
                    if lt.is_some() {
                        self.state = State::Markup(Kind::Lt);
                        self.len = 1;
                        i += 1;
                    }
                }
                State::Markup(Kind::Lt) => {
                    let kind = match self.buf[i] {
                        b'!' => Kind::Bang,
                        b'?' => Kind::Pi,
                        _ => Kind::Tag,
                    };
                    self.state = State::Markup(kind);
                    self.len += 1;
                    i += 1;
                }
                State::Markup(Kind::Bang) => {
                    let kind = match self.buf[i] {
                        b'[' => Kind::CData,
                        b'-' => Kind::Comment,
                        b'D' | b'd' => Kind::DocType,
                        // The parser refuses anything else.
                        _ => Kind::Tag,
                    };
                    self.state = State::Markup(kind);
                    self.brackets = 0;
                    self.len += 1;
                    i += 1;
                }
                State::Markup(Kind::CData) => {
                    self.brackets = brackets_before(&self.buf[i..to], self.brackets);
                    self.len = self.len.saturating_add(to - i);
                    i = to;
                }
                State::CDataDrop => {
                    // Only the end of a character is given here: no `]` among it.
                    self.brackets = 0;
                    self.len = self.len.saturating_add(to - i);
                    i = to;
                }
                State::Markup(_) | State::Closing => {
                    self.len = self.len.saturating_add(to - i);
                    i = to;
                }
            }
        }
        self.start = to;
    }
}

/// How many bytes at the start of `bytes` continue a UTF-8 character begun before them.
fn continuation(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take(3)
        .take_while(|&&b| b & 0xC0 == 0x80)
        .count()
}

/// How many `]` end `bytes` (at most 2), counting `carried` ones before it when all are.
fn brackets_before(bytes: &[u8], carried: u8) -> u8 {
    let own = bytes
        .iter()
        .rev()
        .take(2)
        .take_while(|&&b| b == b']')
        .count();
    let own = u8::try_from(own).unwrap_or(2);
    if usize::from(own) == bytes.len() {
        own.saturating_add(carried).min(2)
    } else {
        own
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_across_pieces() {
        assert_eq!(brackets_before(b"ab]]", 0), 2);
        assert_eq!(brackets_before(b"a]", 1), 1);
        assert_eq!(brackets_before(b"]", 1), 2);
        assert_eq!(brackets_before(b"", 2), 2);
        assert_eq!(brackets_before(b"x", 2), 0);
        assert_eq!(continuation(&[0x80, 0xBF, b'a']), 2);
        assert_eq!(continuation("é".as_bytes()), 0);
    }
}
