//! A byte-count guard between the decoder and the XML parser: the parser reads one event into
//! a growing buffer, so a single node (a text run, a tag) must be bounded before it is read
//! whole. The reader resets the count before each event; a node that consumes more than the
//! limit makes the read fail (and the document is refused).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

/// Wraps `inner`, failing reads once more than `limit` bytes were consumed since the last
/// [`Guard::reset`].
pub(super) struct Guard<R> {
    inner: R,
    limit: usize,
    used: usize,
    /// The limit was hit.
    pub tripped: bool,
}

impl<R> Guard<R> {
    /// A guard allowing `limit` bytes per event.
    pub fn new(inner: R, limit: usize) -> Self {
        Self {
            inner,
            limit,
            used: 0,
            tripped: false,
        }
    }

    /// Starts counting again (before an event).
    pub fn reset(&mut self) {
        self.used = 0;
    }
}

impl<R: AsyncBufRead + Unpin> AsyncRead for Guard<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let available = match Pin::new(&mut *this).poll_fill_buf(cx) {
            Poll::Ready(Ok(chunk)) => chunk,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        };
        let n = available.len().min(buf.remaining());
        buf.put_slice(&available[..n]);
        Pin::new(this).consume(n);
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncBufRead + Unpin> AsyncBufRead for Guard<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.used > this.limit {
            this.tripped = true;
            return Poll::Ready(Err(io::Error::other("a node is longer than the limit")));
        }
        Pin::new(&mut this.inner).poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.used = this.used.saturating_add(amt);
        Pin::new(&mut this.inner).consume(amt);
    }
}
