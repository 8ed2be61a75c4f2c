//! The part of a streamed document a reader has yet to read, held in one growing buffer so a
//! parser can read it in place (the XML pull parser's events borrow it; BLM's records are
//! sliced out of it), nothing copied per event.
//!
//! The buffer only holds what has not been read yet plus what was read ahead: bytes before
//! the unread ones are dropped when it is filled again ([`Window::fill`]), which moves the
//! unread rest to the front first. A run that grows past its limit is not held: the skips
//! ([`Window::skip_past`], [`Window::skip_while`], [`Window::drop_text`]) drop it as it
//! streams.

use std::io;

use memchr::memmem::Finder;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// How much is read at least each time the buffer is filled.
const CHUNK: usize = 64 * 1024;

/// What a search for a mark found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// The mark starts this many bytes into the unread bytes.
    At(usize),
    /// The input ended without the mark.
    End,
    /// The mark is not within the limit.
    Limit,
}

/// Unread bytes and their place in the document.
#[derive(Debug, Default)]
pub(crate) struct Window {
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`.
    start: usize,
    /// Document offset of `buf[0]`.
    offset: u64,
    /// The input has ended: what is in the buffer is all there is.
    eof: bool,
}

impl Window {
    /// A window holding all of a document's bytes, the first at document offset `offset`.
    pub fn whole(buf: Vec<u8>, offset: u64) -> Self {
        Self {
            buf,
            start: 0,
            offset,
            eof: true,
        }
    }

    /// The buffer, read or not (of a window made [`Window::whole`]: the bytes it was made of).
    pub fn into_buf(self) -> Vec<u8> {
        self.buf
    }

    /// The unread bytes.
    pub fn rest(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Whether the input has ended (the unread bytes are the last ones).
    pub fn at_eof(&self) -> bool {
        self.eof
    }

    /// The document offset of the `at`th unread byte.
    pub fn offset_of(&self, at: usize) -> u64 {
        let at = u64::try_from(self.start.saturating_add(at)).unwrap_or(u64::MAX);
        self.offset.saturating_add(at)
    }

    /// Marks `n` unread bytes as read.
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
    }

    /// Reads more of the input, until at least `wanted` bytes are unread (and at least a
    /// chunk more than were) or the input ends.
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

    /// Reads more of the input only while fewer than `n` bytes are unread (BLM's look at the
    /// next few bytes, which must not read ahead a chunk each time: it is asked once per
    /// record).
    pub async fn want<R: AsyncBufRead + Unpin>(
        &mut self,
        input: &mut R,
        n: usize,
    ) -> io::Result<()> {
        while self.rest().len() < n && self.refill(input).await? {}
        Ok(())
    }

    /// Reads one more piece of the input after the unread bytes; false at its end.
    pub async fn refill<R: AsyncBufRead + Unpin>(&mut self, input: &mut R) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let before = self.rest().len();
        self.fill(input, before + 1).await?;
        Ok(self.rest().len() > before)
    }

    /// Skips the unread bytes `skip` says yes to; stops at the first other byte or the end.
    pub async fn skip_while<R: AsyncBufRead + Unpin>(
        &mut self,
        input: &mut R,
        mut skip: impl FnMut(u8) -> bool,
    ) -> io::Result<()> {
        loop {
            let rest = self.rest();
            let n = rest.iter().position(|&b| !skip(b)).unwrap_or(rest.len());
            let all = n == rest.len();
            self.consume(n);
            if !all || !self.refill(input).await? {
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
            if !self.refill(input).await? {
                return Ok(Found::End);
            }
        }
    }

    /// Drops the unread bytes up to and including the next `mark` (or all of them, to the
    /// end of the input), without holding them: the rest of an oversized record, or of a
    /// CDATA section (`]]>`).
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
            // Keep what may begin the mark.
            let drop = rest.len().saturating_sub(keep);
            self.consume(drop);
            if !self.refill(input).await? {
                let all = self.rest().len();
                self.consume(all);
                return Ok(());
            }
        }
    }

    /// Skips the rest of an XML text run, up to (not including) the next `<`. Returns whether
    /// the skipped bytes held anything but whitespace.
    pub async fn drop_text<R: AsyncBufRead + Unpin>(&mut self, input: &mut R) -> io::Result<bool> {
        let mut non_blank = false;
        self.skip_while(input, |b| {
            non_blank |= b != b'<' && !b.is_ascii_whitespace();
            b != b'<'
        })
        .await?;
        Ok(non_blank)
    }

    /// Moves the unread bytes to the front of the buffer, and lets a buffer that grew for one
    /// large record or node shrink back.
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
    async fn finds_marks_across_small_reads_and_skips_large_runs() {
        let data = format!("ab{}~~c~", "x".repeat(200_000));
        let mut input = tokio::io::BufReader::with_capacity(7, data.as_bytes());
        let mut w = Window::default();
        let tilde = Finder::new("~~");
        assert_eq!(w.find(&mut input, &tilde, 10).await.unwrap(), Found::Limit);
        w.skip_past(&mut input, &tilde).await.unwrap();
        assert_eq!(w.offset_of(0), 200_004);
        let one = Finder::new("~");
        assert_eq!(w.find(&mut input, &one, 10).await.unwrap(), Found::At(1));
        w.consume(2);
        assert_eq!(w.find(&mut input, &one, 10).await.unwrap(), Found::End);
        assert_eq!(w.offset_of(0), data.len() as u64);
    }

    #[tokio::test]
    async fn want_reads_only_while_too_few_bytes_are_unread() {
        let data = "x".repeat(500_000);
        let mut input = tokio::io::BufReader::with_capacity(1000, data.as_bytes());
        let mut w = Window::default();
        w.want(&mut input, 5).await.unwrap();
        let held = w.rest().len();
        assert!(
            (5..=CHUNK + 1000).contains(&held),
            "one chunk at most: {held}"
        );
        for _ in 0..100 {
            w.consume(1);
            w.want(&mut input, 1).await.unwrap();
        }
        assert_eq!(
            w.rest().len(),
            held - 100,
            "nothing read ahead while enough is unread"
        );
        w.want(&mut input, held).await.unwrap();
        assert!(w.rest().len() >= held && w.rest().len() <= held + CHUNK + 1000);
    }

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
        assert!(
            !w.drop_text(&mut input).await.unwrap(),
            "nothing before the <"
        );
        w.consume(12);
        w.skip_past(&mut input, &Finder::new("]]>")).await.unwrap();
        w.fill(&mut input, 100).await.unwrap();
        assert_eq!(w.rest(), b"tail");
        assert!(w.at_eof());
        assert_eq!(w.offset_of(4), data.len() as u64);
    }
}
