//! Counting a feed's bytes as they are read, into the run's progress: a local file's reads
//! pass through [`Metered`], an HTTP body's chunks through [`count_bytes`].

use std::pin::Pin;
use std::task::{Context, Poll};

use propimport_domain::ProgressHandle;
use tokio::io::{AsyncRead, ReadBuf};

/// Starts counting: no byte read yet, and the feed's size when it is known in advance.
pub(crate) fn start(progress: &ProgressHandle, bytes_total: Option<u64>) {
    progress.update(|p| {
        p.bytes_read = Some(0);
        p.bytes_total = bytes_total;
    });
}

/// Adds `n` bytes read to the run's progress.
pub(crate) fn count_bytes(progress: &ProgressHandle, n: usize) {
    if n > 0 {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        progress.update(|p| p.bytes_read = Some(p.bytes_read.unwrap_or(0).saturating_add(n)));
    }
}

/// A reader that counts the bytes read through it into a [`ProgressHandle`]. It sits below
/// the feed's read buffer, so it counts once per buffer fill, not once per record.
pub(crate) struct Metered<R> {
    inner: R,
    progress: ProgressHandle,
}

impl<R> Metered<R> {
    /// Counts what is read from `inner` into `progress`.
    pub(crate) fn new(inner: R, progress: ProgressHandle) -> Self {
        Self { inner, progress }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Metered<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let read = buf.filled().len().saturating_sub(before);
            count_bytes(&self.progress, read);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt as _;

    use super::*;

    #[tokio::test]
    async fn counts_every_byte_read_through_it() {
        let progress = ProgressHandle::new();
        start(&progress, Some(10_000));
        let data = vec![7u8; 10_000];
        let mut reader = Metered::new(std::io::Cursor::new(data), progress.clone());
        let mut first = [0u8; 100];
        reader.read_exact(&mut first).await.unwrap();
        assert_eq!(progress.get().bytes_read, Some(100));
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.unwrap();
        let p = progress.get();
        assert_eq!((p.bytes_read, p.bytes_total), (Some(10_000), Some(10_000)));
    }
}
