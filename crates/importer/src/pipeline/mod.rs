//! The import pipeline: fetch → parse and map (streaming) → hash → batch upsert (with the
//! image URLs of new and changed listings) → withdraw the listings a complete snapshot no
//! longer has → download pending images (see `images`) → report.
//!
//! A format that recognizes known records ([`Format::skips_known`](crate::Format)) reads the
//! source's stored record keys first ([`ListingStore::known_records`]): a record stored
//! unchanged then comes through unparsed, and is only marked seen (`writes.rs`).
//!
//! Reading, mapping and hashing run on their own task and hand over batches through a
//! channel of two, so parsing overlaps with the database writes and memory stays bounded by
//! a few batches whatever the feed's size. A RESO source is read page by page instead
//! (`reso.rs`); the importer is built in `builder.rs`.

mod builder;
mod reso;

use std::sync::Arc;

use propimport_domain::{
    CancelToken, Clock, KnownRecord, ListingRecord, ListingStore, ProgressHandle,
};
use tokio::sync::mpsc;

use crate::ImportError;
use crate::fetch::{self, FeedStream};
use crate::formats::{Delivery, FeedError, FeedItem, ReadOptions, RecordError};
use crate::hash::{kept_record, keyed};
use crate::report::{ImportOutcome, ImportReport};
use crate::reso::ResoClient;
use crate::source::{FeedFormat, SourceConfig};
use propimport_domain::ExternalId;

pub use builder::ImporterBuilder;

/// Imports one source into a listing store. Cheap to keep; [`Importer::run`] may be called
/// again for each run.
pub struct Importer {
    pub(crate) source: SourceConfig,
    pub(crate) listings: Arc<dyn ListingStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) client: reqwest::Client,
    pub(crate) batch_size: usize,
    /// A RESO source's pacer and token cache, kept between runs.
    reso: Option<ResoClient>,
    /// The image stage, when enabled.
    pub(crate) images: Option<crate::images::ImageStage>,
}

/// One hand-over from the reading task: mapped records, the listings the feed says are
/// gone, the records that failed, and those recognized by their keys.
#[derive(Default)]
pub(crate) struct Batch {
    pub(crate) records: Vec<ListingRecord>,
    pub(crate) gone: Vec<ExternalId>,
    pub(crate) failures: Vec<RecordError>,
    /// Written after the records and the gone ids: one whose listing the batch also writes
    /// or withdraws is then no longer stored with its key, and is mapped after all.
    pub(crate) known: Vec<KnownRecord>,
    /// The format the recognized records were read by (the one detected, for a source of
    /// format `auto`), which maps them after all.
    pub(crate) known_format: Option<FeedFormat>,
}

impl Batch {
    /// Adds a mapped record; it replaces an earlier "gone" or recognized record of the same
    /// listing in the batch.
    fn push_record(&mut self, record: ListingRecord) {
        let id = &record.listing.external_id;
        if !self.gone.is_empty() {
            self.gone.retain(|gone| gone != id);
        }
        if !self.known.is_empty() {
            self.known.retain(|known| known.external_id != *id);
        }
        self.records.push(record);
    }

    /// Adds a listing the feed says is gone; it replaces an earlier record of it in the batch.
    fn push_gone(&mut self, id: ExternalId) {
        self.records.retain(|r| r.listing.external_id != id);
        if !self.known.is_empty() {
            self.known.retain(|known| known.external_id != id);
        }
        self.gone.push(id);
    }

    /// Adds a record recognized by its key, read by `format`.
    pub(crate) fn push_known(&mut self, known: KnownRecord, format: FeedFormat) {
        self.known.push(known);
        self.known_format = Some(format);
    }

    fn len(&self) -> usize {
        self.records.len() + self.gone.len() + self.failures.len() + self.known.len()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How reading ended.
enum ReadEnd {
    /// The feed was read to its end; whether it was the source's complete list.
    Complete { complete_list: bool },
    /// Cancelled, or the consumer stopped listening.
    Stopped,
}

impl Importer {
    /// The source.
    pub fn source(&self) -> &SourceConfig {
        &self.source
    }

    /// Downloads the source's pending images after a run stored its listings, unless the run
    /// was cancelled or has no image stage.
    async fn download_images(&self, cancel: &CancelToken, report: &mut ImportReport) {
        if let Some(images) = &self.images {
            images
                .download_after(&self.source, self.clock.as_ref(), cancel, report)
                .await;
        }
    }

    /// Runs one import. Records that fail alone are counted and kept in the report; the run
    /// fails as a whole when the feed cannot be fetched or read, or the store fails. What was
    /// stored before a failure or a cancellation stays stored; only a complete snapshot
    /// withdraws absent listings. A RESO source is read page by page from its watermark
    /// instead (see `RESO.md`).
    pub async fn run(
        &self,
        cancel: &CancelToken,
        progress: &ProgressHandle,
    ) -> Result<ImportReport, ImportError> {
        if let Some(reso) = &self.reso {
            let mut report = reso::run(self, reso, cancel, progress).await?;
            self.download_images(cancel, &mut report).await;
            return Ok(report);
        }
        let name = self.source.name.to_string();
        let started = self.clock.now();
        // Only a listing active before the run can be absent from its snapshot (one written
        // since is seen at or after `started`): a source without one (a first import) is not
        // searched for absent listings at the end, a pass over every listing it then holds.
        let had_active = self
            .listings
            .has_active(&self.source.name)
            .await
            .map_err(|error| self.store_failed(error))?;
        // The stored keys are read before the feed is opened, so that a large table does not
        // keep a response waiting.
        let mut options = self.read_options();
        if self.source.format.format().skips_known() {
            let known = self
                .listings
                .known_records(&self.source.name)
                .await
                .map_err(|error| self.store_failed(error))?;
            options.record_secret = Some(known.secret());
            options.known = (!known.is_empty()).then(|| Arc::new(known));
        }
        let stream = fetch::open(
            &self.source.location,
            &self.client,
            &self.source.http,
            cancel,
            progress,
        )
        .await
        .map_err(|error| ImportError::Fetch {
            source_name: name.clone(),
            error,
        })?;
        let (tx, mut rx) = mpsc::channel::<Batch>(2);
        // Stored batches go back to the reader, which frees their records and reuses them:
        // memory is then allocated and freed by the same task, instead of freed by this one
        // while the reader allocates from the same allocator arena.
        let (recycle, recycled) = mpsc::unbounded_channel::<Batch>();
        let reader = tokio::spawn(read_batches(
            (self.source.format, options),
            stream,
            Hand { tx, recycled },
            cancel.clone(),
            self.batch_size,
        ));
        // Cancelled until the feed is read to its end.
        let mut report = ImportReport::new(ImportOutcome::Cancelled);
        let store_error = self
            .store_batches(&mut rx, &recycle, progress, &mut report)
            .await
            .err();
        drop(rx);
        let read = reader.await.map_err(|e| ImportError::Setup {
            source_name: name.clone(),
            reason: format!("reader task failed: {e}"),
            error: Some(e.into()),
        })?;
        if let Some(error) = store_error {
            return Err(self.store_failed(error));
        }
        let end = read.map_err(|error| ImportError::Feed {
            source_name: name.clone(),
            location: self.source.location.redacted(),
            error,
        })?;
        // The reader stops before the end without a cancellation only when the writer gave
        // up, on a store error returned above.
        let mut complete_list = false;
        if let ReadEnd::Complete { complete_list: all } = end
            && !cancel.is_cancelled()
        {
            report.outcome = ImportOutcome::Complete;
            complete_list = all;
        }
        if report.outcome == ImportOutcome::Complete && complete_list {
            // An empty snapshot is far more often a broken export than a source without
            // listings: it fails before it can withdraw anything, unless the source allows it.
            if report.total == 0 && !self.source.allow_empty {
                return Err(ImportError::EmptyFeed {
                    source_name: name,
                    location: self.source.location.redacted(),
                });
            }
            if had_active {
                self.withdraw_absent(started, &mut report).await?;
            }
        }
        self.download_images(cancel, &mut report).await;
        progress.update(|p| {
            p.counts = report.counts();
            p.expected_total = Some(report.total);
        });
        Ok(report)
    }

    /// A store failure of this source's run.
    fn store_failed(&self, error: propimport_domain::Error) -> ImportError {
        ImportError::Store {
            source_name: self.source.name.to_string(),
            error,
        }
    }

    /// What the source's reader needs besides the bytes.
    pub(crate) fn read_options(&self) -> ReadOptions {
        ReadOptions {
            max_text_bytes: self.source.max_text_bytes,
            currency: self
                .source
                .reso
                .currency
                .unwrap_or(propimport_domain::Currency::EUR),
            attachment_store: self
                .images
                .as_ref()
                .map(|images| images.attachment_store(&self.source.name)),
            ..ReadOptions::default()
        }
    }

    async fn withdraw_absent(
        &self,
        started: chrono::DateTime<chrono::Utc>,
        report: &mut ImportReport,
    ) -> Result<(), ImportError> {
        let name = &self.source.name;
        let fraction = self.source.max_withdraw_fraction;
        let outcome = self
            .listings
            .withdraw_unseen(name, started, fraction, self.clock.now())
            .await
            .map_err(|error| self.store_failed(error))?;
        report.withdrawn = outcome.withdrawn;
        if outcome.blocked {
            #[expect(clippy::cast_precision_loss, reason = "listing counts far below 2^52")]
            let share = outcome.missing as f64 / outcome.active_before.max(1) as f64;
            let why = format!(
                "{} of {} active listings ({}) are missing from the feed and would have been withdrawn, more than the allowed {} (max_withdraw_fraction / IMPORT_MAX_WITHDRAW_FRACTION = {fraction}); nothing was withdrawn",
                outcome.missing,
                outcome.active_before,
                percent(share),
                percent(fraction),
            );
            tracing::warn!(source = %name, "{why}");
            report.withdrawal_blocked = Some(why);
        }
        Ok(())
    }
}

/// A share as "30%" or "28.6%".
fn percent(share: f64) -> String {
    let text = format!("{:.1}", share * 100.0);
    format!("{}%", text.strip_suffix(".0").unwrap_or(&text))
}

/// The longest a record read from a slow feed waits in a partial batch before it is stored.
const FLUSH_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// The reader's ends of the hand-over: full batches out, stored ones back.
struct Hand {
    tx: mpsc::Sender<Batch>,
    recycled: mpsc::UnboundedReceiver<Batch>,
}

impl Hand {
    /// An empty batch: a stored one emptied (its records freed here), or a new one with room
    /// for `capacity` records.
    fn empty_batch(&mut self, capacity: usize) -> Batch {
        match self.recycled.try_recv() {
            Ok(mut batch) => {
                batch.records.clear();
                batch.gone.clear();
                batch.failures.clear();
                batch.known.clear();
                batch.known_format = None;
                batch
            }
            Err(_) => Batch {
                records: Vec::with_capacity(capacity),
                ..Batch::default()
            },
        }
    }
}

/// Reads the feed (of a format, with its read options), maps and hashes its records, keeps
/// their source records, and sends them on in batches.
async fn read_batches(
    (format, options): (FeedFormat, ReadOptions),
    stream: FeedStream,
    mut hand: Hand,
    cancel: CancelToken,
    batch_size: usize,
) -> Result<ReadEnd, FeedError> {
    if format.delivery() == Delivery::Incremental {
        return Err(FeedError::WrongFormat {
            format: format.title(),
            message: "its sources are read page by page, not as one stream".into(),
        });
    }
    let mut reader = format.open(stream, &options);
    // The first batch grows with what is read, the next ones start with room for as many
    // records as the batch before them held: a small feed allocates for its records, not for
    // a whole batch. (Room for 500 records is about 200 KiB; a thousand sources starting at
    // once held 200 MB of it, which the allocator kept after the burst and which resident
    // memory crept up into, burst after burst.)
    let mut batch = hand.empty_batch(0);
    // A slow feed still stores (and reports progress) at least about once per FLUSH_AFTER.
    let mut batch_started = std::time::Instant::now();
    loop {
        if cancel.is_cancelled() {
            let _ = hand.tx.send(batch).await;
            return Ok(ReadEnd::Stopped);
        }
        match reader.next().await? {
            Some(FeedItem::Listing(listing, raw)) => {
                let read_by = reader.detected().unwrap_or(format).name();
                batch.push_record(keyed(
                    kept_record(listing, raw, read_by),
                    reader.record_key(),
                ));
            }
            Some(FeedItem::Gone(id)) => batch.push_gone(id),
            Some(FeedItem::Known(known)) => {
                batch.push_known(known, reader.detected().unwrap_or(format));
            }
            Some(FeedItem::Failed(failure)) => batch.failures.push(failure),
            None => {
                // A snapshot format's reader says so too, unless the document shows it lost
                // records on the way (a BLM header counting more than it holds).
                let complete_list = reader.is_complete_list();
                return Ok(if hand.tx.send(batch).await.is_ok() {
                    ReadEnd::Complete { complete_list }
                } else {
                    ReadEnd::Stopped
                });
            }
        }
        let size = batch.len();
        if size == 1 {
            batch_started = std::time::Instant::now();
        }
        if size >= batch_size || batch_started.elapsed() >= FLUSH_AFTER {
            let next = hand.empty_batch(batch.records.len().min(batch_size));
            let full = std::mem::replace(&mut batch, next);
            if hand.tx.send(full).await.is_err() {
                return Ok(ReadEnd::Stopped);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small feed's batch has room for its records, not for a whole batch: a thousand
    /// sources whose runs start at once must not each hold room for 500 records.
    #[tokio::test]
    async fn a_small_feed_allocates_for_its_records_only() {
        let demo = include_str!("../../../../examples/feeds/north-macedonia.ndjson");
        let feed: String = demo.lines().take(3).map(|l| format!("{l}\n")).collect();
        let (tx, mut rx) = mpsc::channel::<Batch>(2);
        let (_recycle, recycled) = mpsc::unbounded_channel::<Batch>();
        let end = read_batches(
            (FeedFormat::JSON, ReadOptions::default()),
            Box::new(std::io::Cursor::new(feed.into_bytes())),
            Hand { tx, recycled },
            CancelToken::new(),
            500,
        )
        .await;
        assert!(matches!(
            end,
            Ok(ReadEnd::Complete {
                complete_list: true
            })
        ));
        let batch = rx.recv().await.expect("the feed's batch");
        assert_eq!(batch.records.len(), 3);
        assert!(
            batch.records.capacity() <= 16,
            "room for {} records",
            batch.records.capacity()
        );
    }
}
