//! Storing the reader's batches. Two batches may be written at once (each chunk in its own
//! transaction, each batch on its own connection), so the database works on one while this
//! side prepares or accounts for the other; their outcomes are counted in the order the
//! batches were read. A batch that shares a listing with one being written waits for it, so
//! the copy read last is the one stored. With the image stage on, batches are written one
//! at a time (the stage records images per batch, after its listings).
//!
//! Records recognized by their keys are marked seen after the batch's other writes, each
//! only where its listing is still stored with that key
//! ([`touch_known`](propimport_domain::ListingStore::touch_known)); one that is not (the
//! batch, or one before it, wrote or withdrew its listing; another writer changed it) is
//! mapped after all and written as any other record, so the copy read last is still the one
//! stored.
//!
//! Once the batches stored so far held only new listings (a first import), the next ones are
//! written as expected to be new
//! ([`upsert_new_batch`](propimport_domain::ListingStore::upsert_new_batch)), which a store
//! may insert without first reading what it holds of their ids; the first listing found
//! stored ends that for the run.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::pin::Pin;

use chrono::{DateTime, Utc};
use futures_util::stream::{FuturesOrdered, StreamExt as _};
use propimport_domain::{ExternalId, ItemError, ProgressHandle, SourceRecord, UpsertOutcome};
use tokio::sync::mpsc;

use crate::formats::{RecordError, Stage};
use crate::pipeline::{Batch, Importer};
use crate::remap::{Again, map_again};
use crate::report::ImportReport;

type StoreResult<T> = Result<T, propimport_domain::Error>;

/// Batches written at once when the image stage is off.
const WRITERS: usize = 2;

/// A batch after its write: its records' outcomes (in order) and their last-seen time.
pub(crate) struct Written {
    batch: Batch,
    seen_at: DateTime<Utc>,
    outcomes: StoreResult<Stored>,
}

/// What storing a batch did.
struct Stored {
    /// The records' outcomes, in order (with those of recognized records mapped after all).
    outcomes: Vec<UpsertOutcome>,
    /// How many listings the batch's gone ids withdrew.
    withdrawn: u64,
    /// How many recognized records were seen unchanged.
    known: u64,
}

/// A write in progress.
type Writing<'a> = Pin<Box<dyn Future<Output = Written> + Send + 'a>>;

impl Importer {
    /// Stores one batch and counts it into `report` (and runs the image stage on it).
    pub(crate) async fn store_batch(
        &self,
        batch: Batch,
        report: &mut ImportReport,
    ) -> StoreResult<Batch> {
        let written = self.write_batch(batch, Expected::Any).await;
        self.settle(written, report).await
    }

    /// Stores every batch the reader sends, then gives each back to it through `recycle`
    /// (so that its memory is freed where it was allocated). On a store error no further
    /// batch is taken; the writes under way are finished and counted, then the error is
    /// returned.
    pub(crate) async fn store_batches(
        &self,
        rx: &mut mpsc::Receiver<Batch>,
        recycle: &mpsc::UnboundedSender<Batch>,
        progress: &ProgressHandle,
        report: &mut ImportReport,
    ) -> StoreResult<()> {
        let writers = if self.images.is_some() { 1 } else { WRITERS };
        let mut writing: FuturesOrdered<Writing<'_>> = FuturesOrdered::new();
        // The listing keys of each batch being written, oldest first.
        let mut keys: VecDeque<HashSet<u64>> = VecDeque::new();
        let mut first_error = None;
        let mut reading = true;
        let mut fresh = Fresh::default();
        loop {
            let taking = reading && first_error.is_none() && writing.len() < writers;
            let done = if taking {
                tokio::select! {
                    biased;
                    Some(done) = writing.next(), if !writing.is_empty() => done,
                    next = rx.recv() => {
                        let Some(batch) = next else {
                            reading = false;
                            continue;
                        };
                        let ids = listing_keys(&batch);
                        while keys.iter().any(|k| !k.is_disjoint(&ids)) {
                            let Some(done) = writing.next().await else { break };
                            keys.pop_front();
                            fresh.observe(&done);
                            self.finish(done, recycle, progress, report, &mut first_error)
                                .await;
                        }
                        keys.push_back(ids);
                        writing.push_back(Box::pin(self.write_batch(batch, fresh.expected())));
                        continue;
                    }
                }
            } else {
                match writing.next().await {
                    Some(done) => done,
                    None => break,
                }
            };
            keys.pop_front();
            fresh.observe(&done);
            self.finish(done, recycle, progress, report, &mut first_error)
                .await;
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Counts a written batch, reports progress and hands the batch back; keeps the first
    /// error.
    async fn finish(
        &self,
        written: Written,
        recycle: &mpsc::UnboundedSender<Batch>,
        progress: &ProgressHandle,
        report: &mut ImportReport,
        first_error: &mut Option<propimport_domain::Error>,
    ) {
        match self.settle(written, report).await {
            Ok(batch) => {
                // The reader may have finished; then the batch is freed here.
                let _ = recycle.send(batch);
                progress.update(|p| p.counts = report.counts());
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }

    /// Writes a batch: touches the failed records' listings (a record that failed is not
    /// absent from the feed: its stored listing stays as it was and is not withdrawn) and
    /// upserts the mapped ones (as `expected`).
    async fn write_batch(&self, mut batch: Batch, expected: Expected) -> Written {
        let seen_at = self.clock.now();
        let outcomes = self.write_records(&mut batch, seen_at, expected).await;
        Written {
            batch,
            seen_at,
            outcomes,
        }
    }

    async fn write_records(
        &self,
        batch: &mut Batch,
        seen_at: DateTime<Utc>,
        expected: Expected,
    ) -> StoreResult<Stored> {
        let failed_ids: Vec<ExternalId> = batch
            .failures
            .iter()
            .filter_map(|f| {
                f.external_id
                    .as_deref()
                    .and_then(|id| ExternalId::parse(id).ok())
            })
            .collect();
        if !failed_ids.is_empty() {
            self.listings
                .touch(&self.source.name, &failed_ids, seen_at)
                .await?;
        }
        let (store, source) = (&self.listings, &self.source.name);
        let mut outcomes = if batch.records.is_empty() {
            Vec::new()
        } else if expected == Expected::New {
            store
                .upsert_new_batch(source, &batch.records, seen_at)
                .await?
        } else {
            store.upsert_batch(source, &batch.records, seen_at).await?
        };
        let mut withdrawn = if batch.gone.is_empty() {
            0
        } else {
            self.listings
                .withdraw_ids(&self.source.name, &batch.gone, seen_at)
                .await?
        };
        let known = if batch.known.is_empty() {
            0
        } else {
            self.write_known(batch, seen_at, &mut outcomes, &mut withdrawn)
                .await?
        };
        Ok(Stored {
            outcomes,
            withdrawn,
            known,
        })
    }

    /// Marks the batch's recognized records seen; maps the others after all and writes them
    /// (adding them to the batch's records, gone ids or failures, and their outcomes to
    /// `outcomes`). Gives how many were seen unchanged.
    async fn write_known(
        &self,
        batch: &mut Batch,
        seen_at: DateTime<Utc>,
        outcomes: &mut Vec<UpsertOutcome>,
        withdrawn: &mut u64,
    ) -> StoreResult<u64> {
        let (store, source) = (&self.listings, &self.source.name);
        // The batch keeps its recognized records (and their bytes), for the reading task to
        // free when it reuses the batch; only those mapped after all are copied.
        let found = store.touch_known(source, &batch.known, seen_at).await?;
        let options = self.read_options();
        let format = batch.known_format.unwrap_or(self.source.format).name();
        let (mut seen, mut again, mut gone, mut failed) = (0, Vec::new(), Vec::new(), Vec::new());
        for (record, found) in batch.known.iter().zip(found) {
            if found {
                seen += 1;
                continue;
            }
            let kept = SourceRecord {
                format: Cow::Borrowed(format),
                bytes: record.bytes.clone(),
            };
            let id = record.external_id.clone();
            match map_again(&id, kept, &options).await {
                Ok(Again::Listing(mut mapped)) => {
                    mapped.record_key = Some(record.key);
                    again.push(*mapped);
                }
                Ok(Again::Gone) => gone.push(id),
                Err(message) => {
                    batch.failures.push(RecordError {
                        external_id: Some(id.to_string()),
                        stage: Stage::Parse,
                        message,
                    });
                    failed.push(id);
                }
            }
        }
        if !failed.is_empty() {
            store.touch(source, &failed, seen_at).await?;
        }
        if !again.is_empty() {
            outcomes.extend(store.upsert_batch(source, &again, seen_at).await?);
            batch.records.extend(again);
        }
        if !gone.is_empty() {
            *withdrawn += store.withdraw_ids(source, &gone, seen_at).await?;
            batch.gone.extend(gone);
        }
        Ok(seen)
    }

    /// Counts a written batch into `report` and runs the image stage on it; gives the batch
    /// back emptied of its failures.
    async fn settle(&self, written: Written, report: &mut ImportReport) -> StoreResult<Batch> {
        let Written {
            mut batch,
            seen_at,
            outcomes,
        } = written;
        let known = outcomes.as_ref().map_or(0, |stored| stored.known);
        let seen_known = usize::try_from(known).unwrap_or(usize::MAX);
        report.total += i64::try_from(
            batch.records.len() + batch.failures.len() + batch.gone.len() + seen_known,
        )
        .unwrap_or(i64::MAX);
        for failure in batch.failures.drain(..) {
            report.failed += 1;
            report.errors.push(ItemError::from(failure));
        }
        let Stored {
            outcomes,
            withdrawn,
            known,
        } = outcomes?;
        report.withdrawn += i64::try_from(withdrawn).unwrap_or(i64::MAX);
        report.unchanged += i64::try_from(known).unwrap_or(i64::MAX);
        batch.gone.clear();
        for outcome in &outcomes {
            match outcome {
                UpsertOutcome::Inserted => report.inserted += 1,
                UpsertOutcome::Updated => report.updated += 1,
                UpsertOutcome::Unchanged => report.unchanged += 1,
            }
        }
        if let Some(images) = &self.images {
            images
                .sync(
                    &self.source.name,
                    &batch.records,
                    &outcomes,
                    seen_at,
                    report,
                )
                .await?;
        }
        Ok(batch)
    }
}

/// What a batch's listings are expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    /// Anything: the store probes them.
    Any,
    /// New: the store may insert them unprobed.
    New,
}

/// What the batches stored so far in the run showed of its listings.
#[derive(Debug, Default, PartialEq, Eq)]
enum Fresh {
    /// No batch with records has been stored yet.
    #[default]
    Unknown,
    /// Every listing stored was new.
    AllNew,
    /// A stored listing was met: for the rest of the run.
    MetStored,
}

impl Fresh {
    /// What the next batch's listings are expected to be.
    fn expected(&self) -> Expected {
        match self {
            Self::AllNew => Expected::New,
            Self::Unknown | Self::MetStored => Expected::Any,
        }
    }

    /// Takes a written batch's outcomes into account.
    fn observe(&mut self, written: &Written) {
        let Ok(stored) = &written.outcomes else {
            return;
        };
        if *self == Self::MetStored {
            return;
        }
        if stored.known > 0 {
            *self = Self::MetStored;
            return;
        }
        let outcomes = &stored.outcomes;
        if outcomes.is_empty() {
            return;
        }
        *self = if outcomes.iter().all(|o| *o == UpsertOutcome::Inserted) {
            Self::AllNew
        } else {
            Self::MetStored
        };
    }
}

/// Keys of the listings a batch writes or touches (64-bit hashes of their ids: two ids that
/// collide only make one batch wait for the other).
fn listing_keys(batch: &Batch) -> HashSet<u64> {
    let key = |id: &str| xxhash_rust::xxh3::xxh3_64(id.as_bytes());
    batch
        .records
        .iter()
        .map(|r| key(r.listing.external_id.as_str()))
        .chain(batch.gone.iter().map(|id| key(id.as_str())))
        .chain(batch.known.iter().map(|k| key(k.external_id.as_str())))
        .chain(
            batch
                .failures
                .iter()
                .filter_map(|f| f.external_id.as_deref().map(key)),
        )
        .collect()
}
