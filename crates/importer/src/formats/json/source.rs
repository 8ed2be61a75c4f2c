//! The byte level of the JSON reader: a buffered source that counts bytes and lines, and cuts
//! one record out of it at a time — an element of the top-level array (found by tracking
//! strings, escapes and nesting depth) or one NDJSON line — without ever holding more than one
//! record.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::formats::{MAX_RECORD_BYTES, Position};

/// The bytes of one record; once larger than [`MAX_RECORD_BYTES`] they are dropped and the
/// record is only skipped.
#[derive(Debug, Default)]
pub(super) struct Record {
    pub bytes: Vec<u8>,
    pub oversized: bool,
}

impl Record {
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.oversized = false;
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.oversized {
            return;
        }
        if self.bytes.len().saturating_add(bytes.len()) > MAX_RECORD_BYTES {
            self.oversized = true;
            self.bytes = Vec::new();
        } else {
            self.bytes.extend_from_slice(bytes);
        }
    }
}

/// How an array element ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ElementEnd {
    /// At a `,`: more elements follow.
    Comma,
    /// At the closing `]`.
    Close,
    /// The input ended inside the element.
    Eof,
}

/// Where the scanner is inside an element, across buffer refills.
#[derive(Debug, Default)]
struct Scan {
    depth: u32,
    in_string: bool,
    escaped: bool,
}

/// A buffered input that knows its byte offset and line.
pub(super) struct Source<R> {
    inner: R,
    offset: u64,
    /// Newlines consumed so far (the current line is this plus one).
    newlines: u64,
}

impl<R: AsyncBufRead + Unpin> Source<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            newlines: 0,
        }
    }

    /// The current place, after `records` records.
    pub fn at(&self, records: u64) -> Position {
        Position {
            offset: self.offset,
            line: Some(self.newlines + 1),
            records,
        }
    }

    /// The next byte without consuming it (after skipping ASCII whitespace when asked), or
    /// `None` at the end of the input.
    pub async fn peek(&mut self, skip_whitespace: bool) -> io::Result<Option<u8>> {
        loop {
            let buf = self.inner.fill_buf().await?;
            let Some(&first) = buf.first() else {
                return Ok(None);
            };
            if !skip_whitespace {
                return Ok(Some(first));
            }
            let found = buf.iter().position(|b| !b.is_ascii_whitespace());
            let skip = found.unwrap_or(buf.len());
            let next = found.map(|i| buf[i]);
            let newlines = count_newlines(&buf[..skip]);
            self.advance(skip, newlines);
            if next.is_some() {
                return Ok(next);
            }
        }
    }

    /// Consumes one byte that [`Source::peek`] returned.
    pub fn bump(&mut self, byte: u8) {
        self.advance(1, u64::from(byte == b'\n'));
    }

    /// Reads an array element into `record`, up to and including the `,` or `]` that ends it
    /// (neither is kept). Nesting is counted over `{}` and `[]` alike: the element's own
    /// syntax is checked when it is parsed.
    pub async fn element(&mut self, record: &mut Record) -> io::Result<ElementEnd> {
        let mut scan = Scan::default();
        loop {
            let buf = self.inner.fill_buf().await?;
            if buf.is_empty() {
                return Ok(ElementEnd::Eof);
            }
            let end = scan.find_end(buf);
            let kept = end.unwrap_or(buf.len());
            record.push(&buf[..kept]);
            let consumed = end.map_or(buf.len(), |i| i + 1);
            let newlines = count_newlines(&buf[..consumed]);
            let how = end.map(|i| {
                if buf[i] == b']' {
                    ElementEnd::Close
                } else {
                    ElementEnd::Comma
                }
            });
            self.advance(consumed, newlines);
            if let Some(how) = how {
                return Ok(how);
            }
        }
    }

    /// Reads one line into `record` (without its `\n`). `None` at the end of the input, else
    /// whether the line ended with a newline.
    pub async fn line(&mut self, record: &mut Record) -> io::Result<Option<bool>> {
        let mut read_any = false;
        loop {
            let buf = self.inner.fill_buf().await?;
            if buf.is_empty() {
                return Ok(read_any.then_some(false));
            }
            read_any = true;
            match buf.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    record.push(&buf[..i]);
                    self.advance(i + 1, 1);
                    return Ok(Some(true));
                }
                None => {
                    record.push(buf);
                    let n = buf.len();
                    self.advance(n, 0);
                }
            }
        }
    }

    fn advance(&mut self, bytes: usize, newlines: u64) {
        self.inner.consume(bytes);
        self.offset = self.offset.saturating_add(bytes as u64);
        self.newlines = self.newlines.saturating_add(newlines);
    }
}

impl Scan {
    /// Scans `buf` (the continuation of what was scanned before); the index of the `,` or `]`
    /// that ends the element, if it is in `buf`. Inside strings it jumps from quote or
    /// backslash to the next (`memchr2`), so long texts are skipped at memory speed.
    fn find_end(&mut self, buf: &[u8]) -> Option<usize> {
        let mut i = 0;
        while i < buf.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                let at = i + memchr::memchr2(b'"', b'\\', &buf[i..])?;
                if buf[at] == b'\\' {
                    self.escaped = true;
                } else {
                    self.in_string = false;
                }
                i = at + 1;
                continue;
            }
            match buf[i] {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth = self.depth.saturating_add(1),
                b'}' | b']' if self.depth > 0 => self.depth -= 1,
                b']' | b',' if self.depth == 0 => return Some(i),
                _ => {}
            }
            i += 1;
        }
        None
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

#[cfg(test)]
mod tests {
    use super::Scan;

    /// Where the element of `text` ends when `text` arrives split at `cut`.
    fn end_split_at(text: &[u8], cut: usize) -> Option<usize> {
        let mut scan = Scan::default();
        let (head, tail) = text.split_at(cut);
        scan.find_end(head)
            .or_else(|| scan.find_end(tail).map(|i| i + cut))
    }

    #[test]
    fn finds_the_end_of_an_element_however_the_input_is_split() {
        let cases: [(&[u8], Option<usize>); 6] = [
            (br#"{"a":"x,]\"\\","b":[1,{"c":"]"}]} , next"#, Some(34)),
            (br#""a \\" ]"#, Some(7)),
            (br#"{"t":"\\\"}" }]"#, Some(14)),
            (br#"[1,2],"#, Some(5)),
            (br#"{"open": "never closed ,]"#, None),
            (br#"{"a": [1, 2]"#, None),
        ];
        for (text, expected) in cases {
            for cut in 0..=text.len() {
                assert_eq!(
                    end_split_at(text, cut),
                    expected,
                    "{} split at {cut}",
                    String::from_utf8_lossy(text)
                );
            }
        }
    }
}
