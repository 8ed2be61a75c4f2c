//! ZIP deliveries, for every format: a feed whose first bytes are a ZIP local header
//! (`PK\x03\x04`) is spooled to a temporary file (the archive format needs to seek), its
//! entries checked, the feed document found among them and read by the format's own reader;
//! the other entries are the delivery's attachments (images, floor plans), stored through the
//! reader's [`AttachmentStore`] and resolved by name for the reader
//! ([`ReadOptions::attachments`]).
//!
//! Archives are untrusted: the compressed size, the number of entries, each attachment's and
//! the total uncompressed size are bounded ([`ArchiveLimits`]), counting the bytes that
//! actually come out rather than what the headers claim (zip bombs); entry names that climb
//! out of their folder (`..`), are absolute or name a drive refuse the delivery.

mod delivered;
mod entries;

use std::sync::Arc;

use async_trait::async_trait;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use super::{Delivery, FeedError, FeedFormat, FeedItem, FeedReader, Position, ReadOptions};
use crate::formats::FeedStream;
pub use delivered::Delivered;

/// The first bytes of a ZIP archive (a local file header).
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// How large a ZIP delivery may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// The archive as delivered (compressed), in bytes (default 2 GiB).
    pub max_archive_bytes: u64,
    /// Entries in the archive, directories included (default 10,000).
    pub max_entries: usize,
    /// The feed document, uncompressed (default 4 GiB).
    pub max_document_bytes: u64,
    /// One attachment, uncompressed (default 50 MiB); a larger one is not kept.
    pub max_entry_bytes: u64,
    /// Everything decompressed from the archive (default 8 GiB).
    pub max_total_bytes: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self {
            max_archive_bytes: 2 << 30,
            max_entries: 10_000,
            max_document_bytes: 4 << 30,
            max_entry_bytes: 50 << 20,
            max_total_bytes: 8 << 30,
        }
    }
}

/// Where the files of an archive delivery are put so that listings can point at them.
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Stores the delivered file `name` (its path in the archive) and returns the URL
    /// listings use for it, or why it could not be stored.
    async fn store(&self, name: &str, bytes: Vec<u8>) -> Result<String, String>;
}

/// A reader of `format` (or, for `auto`, of the format detected) over `input`, which may be a
/// ZIP delivery. Incremental formats are read as they are.
pub(super) fn open(
    format: FeedFormat,
    input: FeedStream,
    options: &ReadOptions,
) -> Box<dyn FeedReader> {
    if format.delivery() == Delivery::Incremental {
        return format.format().open(input, options);
    }
    Box::new(ArchiveReader {
        state: State::New(format, input, options.clone()),
    })
}

enum State {
    New(FeedFormat, FeedStream, ReadOptions),
    /// Reading the document; the format when it was detected in an archive.
    Reading(Box<dyn FeedReader>, Option<FeedFormat>),
    Failed(FeedError),
}

/// Looks at the first bytes, then reads the feed or the archive's document.
struct ArchiveReader {
    state: State,
}

#[async_trait]
impl FeedReader for ArchiveReader {
    async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        if let State::New(..) = self.state
            && let State::New(format, input, options) =
                std::mem::replace(&mut self.state, State::Failed(FeedError::Empty))
        {
            self.state = match start(format, input, options).await {
                Ok((reader, detected)) => State::Reading(reader, detected),
                Err(e) => State::Failed(e),
            };
        }
        match &mut self.state {
            State::Reading(reader, _) => reader.next().await,
            State::Failed(e) => Err(e.clone()),
            State::New(..) => Err(FeedError::Empty),
        }
    }

    fn is_complete_list(&self) -> bool {
        match &self.state {
            State::Reading(reader, Some(format)) => {
                format.is_snapshot() || reader.is_complete_list()
            }
            State::Reading(reader, None) => reader.is_complete_list(),
            _ => false,
        }
    }

    fn detected(&self) -> Option<FeedFormat> {
        match &self.state {
            State::Reading(reader, detected) => reader.detected().or(*detected),
            _ => None,
        }
    }

    fn record_key(&self) -> Option<propimport_domain::RecordKey> {
        match &self.state {
            State::Reading(reader, _) => reader.record_key(),
            _ => None,
        }
    }
}

/// Opens the reader: the format's own over `input`, or over the document of the ZIP archive
/// `input` holds.
async fn start(
    format: FeedFormat,
    mut input: FeedStream,
    mut options: ReadOptions,
) -> Result<(Box<dyn FeedReader>, Option<FeedFormat>), FeedError> {
    let head = input
        .fill_buf()
        .await
        .map_err(|e| FeedError::io(Position::default(), e))?;
    if !head.starts_with(ZIP_MAGIC) {
        return Ok((format.format().open(input, &options), None));
    }
    let limits = options.archive;
    let spooled = spool(input, &limits).await?;
    let (checked, document, document_bytes) = tokio::task::spawn_blocking(move || {
        let mut checked = entries::check(spooled, format, &limits)?;
        let document = entries::document_file(&mut checked, &limits)?;
        let bytes = document.metadata().map(|m| m.len()).unwrap_or_default();
        Ok::<_, FeedError>((checked, document, bytes))
    })
    .await
    .map_err(|e| FeedError::io(Position::default(), std::io::Error::other(e)))??;
    let found = checked.format;
    let folder = checked
        .document
        .1
        .rsplit_once('/')
        .map(|(folder, _)| folder.to_owned())
        .unwrap_or_default();
    let mut delivered = Delivered::new(folder);
    if let Some(store) = options.attachment_store.clone() {
        store_attachments(
            checked,
            limits,
            document_bytes,
            store.as_ref(),
            &mut delivered,
        )
        .await?;
    }
    options.attachments = Some(Arc::new(delivered));
    let file = tokio::fs::File::from_std(document);
    let reader = found
        .format()
        .open(Box::new(BufReader::new(file)), &options);
    Ok((reader, Some(found)))
}

/// Copies the archive into a temporary file, refusing it past the compressed-size limit.
async fn spool(mut input: FeedStream, limits: &ArchiveLimits) -> Result<std::fs::File, FeedError> {
    let io_error = |e| FeedError::io(Position::default(), e);
    let file = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(|e| io_error(std::io::Error::other(e)))?
        .map_err(io_error)?;
    let mut out = tokio::fs::File::from_std(file);
    let mut limited = (&mut input).take(limits.max_archive_bytes.saturating_add(1));
    let copied = tokio::io::copy(&mut limited, &mut out)
        .await
        .map_err(io_error)?;
    if copied > limits.max_archive_bytes {
        return Err(entries::refused(format!(
            "the ZIP archive is larger than {}, which is not accepted",
            super::size(usize::try_from(limits.max_archive_bytes).unwrap_or(usize::MAX))
        )));
    }
    out.flush().await.map_err(io_error)?;
    Ok(out.into_std().await)
}

/// Decompresses the attachments on a blocking thread and stores each as it comes (at most a
/// few in memory at once).
async fn store_attachments(
    mut checked: entries::Checked,
    limits: ArchiveLimits,
    document_bytes: u64,
    store: &dyn AttachmentStore,
    delivered: &mut Delivered,
) -> Result<(), FeedError> {
    let (send, mut receive) = tokio::sync::mpsc::channel::<(String, Vec<u8>)>(2);
    let extracting = tokio::task::spawn_blocking(move || {
        entries::attachments(&mut checked, &limits, document_bytes, |name, bytes| {
            send.blocking_send((name, bytes)).is_ok()
        })
    });
    while let Some((name, bytes)) = receive.recv().await {
        match store.store(&name, bytes).await {
            Ok(url) => delivered.insert(name, url),
            Err(e) => tracing::warn!(file = %name, error = %e, "a delivered file cannot be stored"),
        }
    }
    extracting
        .await
        .map_err(|e| FeedError::io(Position::default(), std::io::Error::other(e)))?
}
