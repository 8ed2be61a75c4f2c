//! A local feed file read a few chunks ahead of its parser, on a blocking thread of its own:
//! reading the file through Tokio's file handle makes the parser wait for every read (a round
//! trip to the blocking threads, then the copy), where this thread reads the next chunks while
//! the parser works on the last. Memory stays bounded by [`CHUNKS`] chunks of [`CHUNK`] bytes.
//!
//! The thread stops at the end of the file, at a read error (handed on as the stream's last
//! item), or as soon as the stream is dropped.

use std::io::{self, Read as _};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::mpsc;

/// Bytes per chunk.
const CHUNK: usize = 256 * 1024;
/// Chunks read ahead and not yet taken.
const CHUNKS: usize = 4;

/// A read chunk (a cursor, so the parser's buffer can take it in pieces).
pub(crate) type Chunk = io::Cursor<Vec<u8>>;

/// The chunks of a file, read ahead on a blocking thread.
pub(crate) struct Chunks {
    rx: mpsc::Receiver<io::Result<Chunk>>,
}

/// The chunks of `file`, read ahead on a blocking thread.
pub(crate) fn chunks(file: std::fs::File) -> Chunks {
    let (tx, rx) = mpsc::channel::<io::Result<Chunk>>(CHUNKS);
    tokio::task::spawn_blocking(move || read_into(file, &tx));
    Chunks { rx }
}

impl Stream for Chunks {
    type Item = io::Result<Chunk>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

/// Reads `file` chunk by chunk into `tx` until its end, an error, or the receiver is gone.
fn read_into(mut file: std::fs::File, tx: &mpsc::Sender<io::Result<Chunk>>) {
    loop {
        let mut chunk = vec![0; CHUNK];
        let mut filled = 0;
        // A chunk is filled whole where the file allows, so each hand-over carries a full one.
        while filled < CHUNK {
            match file.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
        if filled == 0 {
            return;
        }
        chunk.truncate(filled);
        if tx.blocking_send(Ok(io::Cursor::new(chunk))).is_err() {
            return;
        }
        if filled < CHUNK {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt as _;

    use super::*;

    async fn read_whole(len: usize) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed");
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let mut reader = tokio_util::io::StreamReader::new(chunks(file));
        let mut read = Vec::new();
        reader.read_to_end(&mut read).await.unwrap();
        assert_eq!(read, data, "{len} bytes");
        read
    }

    #[tokio::test]
    async fn a_file_reads_back_whole_at_any_length() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK * CHUNKS * 2 + 17] {
            read_whole(len).await;
        }
    }

    #[test]
    fn the_reading_thread_stops_when_the_stream_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed");
        std::fs::write(&path, vec![1u8; CHUNK * (CHUNKS + 8)]).unwrap();
        let (tx, mut rx) = mpsc::channel(CHUNKS);
        let file = std::fs::File::open(&path).unwrap();
        let thread = std::thread::spawn(move || read_into(file, &tx));
        let first = rx.blocking_recv().unwrap().unwrap();
        assert_eq!(first.get_ref().len(), CHUNK);
        drop(rx);
        // Its next hand-over fails and it returns, long before the file's end.
        thread.join().unwrap();
    }

    #[test]
    fn a_read_error_ends_the_stream() {
        // A directory opens on Linux, and its first read fails.
        let dir = tempfile::tempdir().unwrap();
        let Ok(file) = std::fs::File::open(dir.path()) else {
            return;
        };
        let (tx, mut rx) = mpsc::channel(CHUNKS);
        read_into(file, &tx);
        drop(tx);
        assert!(rx.blocking_recv().unwrap().is_err());
        assert!(rx.blocking_recv().is_none());
    }
}
