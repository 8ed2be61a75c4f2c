//! The guard as the parser reads it: an `AsyncBufRead` over its own buffer, refilled from the
//! decoded input, giving what [`Bounded::step`] decides and following what is consumed.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

use super::{Bounded, Step};

impl<R: AsyncBufRead + Unpin> Bounded<R> {
    /// Refills the buffer from the input (when it is empty).
    fn poll_refill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let src = ready!(Pin::new(&mut self.inner).poll_fill_buf(cx))?;
        let n = src.len().min(self.buf.len());
        self.buf[..n].copy_from_slice(&src[..n]);
        Pin::new(&mut self.inner).consume(n);
        self.start = 0;
        self.end = n;
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncBufRead + Unpin> AsyncBufRead for Bounded<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        loop {
            if !this.inject.is_empty() {
                return Poll::Ready(Ok(this.inject));
            }
            if this.start == this.end {
                ready!(this.poll_refill(cx))?;
                if this.start == this.end {
                    return Poll::Ready(Ok(&[]));
                }
            }
            if let Step::Give(n) = this.step()? {
                return Poll::Ready(Ok(&this.buf[this.start..this.start + n]));
            }
        }
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        if !this.inject.is_empty() {
            this.inject = &this.inject[amt.min(this.inject.len())..];
            return;
        }
        let n = amt.min(this.end - this.start);
        this.advance(n);
    }
}

impl<R: AsyncBufRead + Unpin> AsyncRead for Bounded<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let given = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = given.len().min(buf.remaining());
        buf.put_slice(&given[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}
