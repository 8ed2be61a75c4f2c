//! The part of a BLM document not read yet, in one buffer that grows to hold one record (or
//! one section of the header) and no more: bytes before the current record are dropped as
//! the buffer is refilled.

use std::io;

use memchr::memmem::Finder;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// How much is read at least each time the buffer is filled.
const CHUNK: usize = 64 * 1024;

/// What a search for a mark found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    /// The mark starts this many bytes into the unread bytes.
    At(usize),
    /// The input ended without the mark.
    End,
    /// The mark is not within the limit.
    Limit,
}

/// Unread raw bytes and their place in the document.
#[derive(Debug, Default)]
pub(super) struct Window {
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`.
    start: usize,
    /// Document offset of `buf[0]`.
    offset: u64,
    /// The input has ended: the unread bytes are the last ones.
    eof: bool,
}

impl Window {
    /// The unread bytes.
    pub fn rest(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The document offset of the first unread byte.
    pub fn offset(&self) -> u64 {
        let start = u64::try_from(self.start).unwrap_or(u64::MAX);
        self.offset.saturating_add(start)
    }

    /// Marks `n` unread bytes as read.
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
    }

    /// Reads one more piece of the input; false once the input has ended.
    pub async fn fill<R: AsyncBufRead + Unpin>(&mut self, input: &mut R) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.compact();
        let before = self.buf.len();
        while self.buf.len() < before + CHUNK {
            let chunk = input.fill_buf().await?;
            if chunk.is_empty() {
                self.eof = true;
                break;
            }
            let n = chunk.len();
            self.buf.extend_from_slice(chunk);
            input.consume(n);
        }
        Ok(self.buf.len() > before)
    }

    /// Reads until at least `n` bytes are unread or the input ends.
    pub async fn want<R: AsyncBufRead + Unpin>(
        &mut self,
        input: &mut R,
        n: usize,
    ) -> io::Result<()> {
        while self.rest().len() < n && self.fill(input).await? {}
        Ok(())
    }

    /// Skips the unread bytes `skip` says yes to; stops at the first other byte or the end.
    pub async fn skip_while<R: AsyncBufRead + Unpin>(
        &mut self,
        input: &mut R,
        skip: impl Fn(u8) -> bool,
    ) -> io::Result<()> {
        loop {
            let rest = self.rest();
            let n = rest.iter().position(|&b| !skip(b)).unwrap_or(rest.len());
            let all = n == rest.len();
            self.consume(n);
            if !all || !self.fill(input).await? {
                return Ok(());
            }
        }
    }

    /// Finds `mark` in the unread bytes, reading more as needed while fewer than `limit`
    /// bytes come before it.
    pub async fn find<R: AsyncBufRead + Unpin>(
        &mut self,
        input: &mut R,
        mark: &Finder<'_>,
        limit: usize,
    ) -> io::Result<Found> {
        let keep = mark.needle().len().saturating_sub(1);
        let mut from = 0;
        loop {
            let rest = self.rest();
            if let Some(at) = mark.find(&rest[from..]) {
                let at = from + at;
                return Ok(if at > limit {
                    Found::Limit
                } else {
                    Found::At(at)
                });
            }
            if rest.len() > limit.saturating_add(keep) {
                return Ok(Found::Limit);
            }
            from = rest.len().saturating_sub(keep);
            if !self.fill(input).await? {
                return Ok(Found::End);
            }
        }
    }

    /// Drops the unread bytes up to and including the next `mark` (or all of them, to the
    /// end of the input), without holding them.
    pub async fn skip_past<R: AsyncBufRead + Unpin>(
        &mut self,
        input: &mut R,
        mark: &Finder<'_>,
    ) -> io::Result<()> {
        let keep = mark.needle().len().saturating_sub(1);
        loop {
            let rest = self.rest();
            if let Some(at) = mark.find(rest) {
                self.consume(at + mark.needle().len());
                return Ok(());
            }
            let drop = rest.len().saturating_sub(keep);
            self.consume(drop);
            if !self.fill(input).await? {
                let all = self.rest().len();
                self.consume(all);
                return Ok(());
            }
        }
    }

    /// Moves the unread bytes to the front, and lets a buffer that grew for one large record
    /// shrink back.
    fn compact(&mut self) {
        if self.start == 0 {
            return;
        }
        self.offset = self.offset();
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
    async fn finds_marks_across_small_reads_and_skips_large_runs() {
        let data = format!("ab{}~~c~", "x".repeat(200_000));
        let mut input = tokio::io::BufReader::with_capacity(7, data.as_bytes());
        let mut w = Window::default();
        let tilde = Finder::new("~~");
        assert_eq!(w.find(&mut input, &tilde, 10).await.unwrap(), Found::Limit);
        w.skip_past(&mut input, &tilde).await.unwrap();
        assert_eq!(w.offset(), 200_004);
        let one = Finder::new("~");
        assert_eq!(w.find(&mut input, &one, 10).await.unwrap(), Found::At(1));
        w.consume(2);
        assert_eq!(w.find(&mut input, &one, 10).await.unwrap(), Found::End);
        assert_eq!(w.offset(), data.len() as u64);
    }
}
