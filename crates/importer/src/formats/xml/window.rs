//! The part of the decoded feed the parser has yet to read, held in one growing buffer so the
//! XML pull parser can read it in place (events borrow it, nothing is copied per event).
//!
//! The buffer only holds what has not been parsed yet plus what was read ahead: the parser
//! reads every complete node, and when one is cut by the end of the buffer it asks for more
//! ([`Window::fill`]), which moves the unread rest to the front first. One node that grows
//! past its limit is not held: [`Window::drop_text`] and [`Window::drop_cdata`] skip it as it
//! streams.

use std::io;

use memchr::memmem;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// How much is read at least each time the buffer is filled.
const CHUNK: usize = 64 * 1024;

/// Unread decoded bytes and their place in the feed.
#[derive(Debug, Default)]
pub(crate) struct Window {
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`.
    start: usize,
    /// Feed offset of `buf[0]`.
    offset: u64,
    /// The input has ended: what is in the buffer is all there is.
    eof: bool,
}

impl Window {
    /// The unread bytes.
    pub fn rest(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Whether the input has ended (the unread bytes are the last ones).
    pub fn at_eof(&self) -> bool {
        self.eof
    }

    /// The feed offset of the `at`th unread byte.
    pub fn offset_of(&self, at: usize) -> u64 {
        let at = u64::try_from(self.start.saturating_add(at)).unwrap_or(u64::MAX);
        self.offset.saturating_add(at)
    }

    /// Marks `n` unread bytes as read.
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
    }

    /// Reads more of the input, until at least `wanted` bytes are unread or the input ends.
    pub async fn fill<R: AsyncBufRead + Unpin>(
        &mut self,
        input: &mut R,
        wanted: usize,
    ) -> io::Result<()> {
        self.compact();
        let target = wanted.max(self.rest().len().saturating_add(CHUNK));
        while !self.eof && self.rest().len() < target {
            let chunk = input.fill_buf().await?;
            if chunk.is_empty() {
                self.eof = true;
                break;
            }
            let n = chunk.len();
            self.buf.extend_from_slice(chunk);
            input.consume(n);
        }
        Ok(())
    }

    /// Skips the rest of a text run, up to (not including) the next `<`. Returns whether the
    /// skipped bytes held anything but whitespace.
    pub async fn drop_text<R: AsyncBufRead + Unpin>(&mut self, input: &mut R) -> io::Result<bool> {
        let mut non_blank = false;
        loop {
            let rest = self.rest();
            let stop = memchr::memchr(b'<', rest);
            let run = stop.unwrap_or(rest.len());
            non_blank |= !rest[..run].iter().all(u8::is_ascii_whitespace);
            self.consume(run);
            if stop.is_some() || !self.refill(input).await? {
                return Ok(non_blank);
            }
        }
    }

    /// Skips the rest of a CDATA section up to and including its `]]>` (or to the end of the
    /// input).
    pub async fn drop_cdata<R: AsyncBufRead + Unpin>(&mut self, input: &mut R) -> io::Result<()> {
        let finder = memmem::Finder::new(b"]]>");
        loop {
            let rest = self.rest();
            if let Some(at) = finder.find(rest) {
                self.consume(at + 3);
                return Ok(());
            }
            // Keep a `]]` that may begin the end mark.
            let keep = rest.len().min(2);
            self.consume(rest.len() - keep);
            if !self.refill(input).await? {
                self.consume(keep);
                return Ok(());
            }
        }
    }

    /// Reads one more piece of the input after the unread bytes; false at its end.
    async fn refill<R: AsyncBufRead + Unpin>(&mut self, input: &mut R) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let before = self.rest().len();
        self.fill(input, before + 1).await?;
        Ok(self.rest().len() > before)
    }

    /// Moves the unread bytes to the front of the buffer, and lets a buffer that grew for one
    /// large node shrink back.
    fn compact(&mut self) {
        if self.start == 0 {
            return;
        }
        self.offset = self.offset_of(0);
        self.buf.drain(..self.start);
        self.start = 0;
        if self.buf.capacity() > 4 * CHUNK && self.buf.len() < CHUNK {
            self.buf.shrink_to(2 * CHUNK);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fills_drops_and_keeps_offsets() {
        let data = format!("ab{}<c><![CDATA[x]]]]>tail", " ".repeat(200_000));
        let mut input = tokio::io::BufReader::with_capacity(7, data.as_bytes());
        let mut w = Window::default();
        w.fill(&mut input, 2).await.unwrap();
        assert!(w.rest().starts_with(b"ab"));
        w.consume(1);
        assert!(w.drop_text(&mut input).await.unwrap(), "the b is not blank");
        assert_eq!(w.offset_of(0), 200_002);
        assert!(w.rest().starts_with(b"<c>"));
        w.consume(12);
        w.drop_cdata(&mut input).await.unwrap();
        w.fill(&mut input, 100).await.unwrap();
        assert_eq!(w.rest(), b"tail");
        assert!(w.at_eof());
        assert_eq!(w.offset_of(4), data.len() as u64);
    }
}
