//! Maps finished properties on a thread of its own once a feed proves long, so that parsing
//! the next properties overlaps mapping these (HTML clean-up, dates, prices): on two cores a
//! long feed reads at the pace of the slower of the two instead of their sum.
//!
//! Properties cross to the thread and back in batches (a hand-over costs a wake-up of each
//! side, more than mapping one property), and items come back in feed order (one thread,
//! first in first out). A batch closes at [`BATCH`] properties or [`BATCH_BYTES`], and at
//! most [`IN_FLIGHT`] batches are handed over at once, so memory stays bounded by a few
//! batches. The first [`INLINE`] properties are mapped where they are read, so a small feed
//! never starts a thread; if the thread cannot be started, mapping stays inline.

use std::collections::VecDeque;
use std::sync::mpsc;

use tokio::sync::mpsc as tokio_mpsc;

use super::document::Finished;
use crate::formats::FeedItem;
use crate::formats::xml::tree::Builder;

/// Properties mapped inline before the thread starts.
const INLINE: usize = 64;
/// Properties in one batch, at most.
const BATCH: usize = 128;
/// A batch closes once its properties hold this much.
const BATCH_BYTES: usize = 1024 * 1024;
/// Batches handed over and not yet taken back. Four rather than two let the reading run
/// ahead while the writer waits on the database (a re-import on PostgreSQL: 3.73 s → 3.31 s
/// per 100,000 listings, medians of five alternating runs), for a few MiB more: two more
/// batches of at most [`BATCH_BYTES`] of properties, their listings, and their builders kept
/// for reuse.
const IN_FLIGHT: usize = 4;

/// Mapped items with the builders to reuse.
type Mapped = Vec<(FeedItem, Builder)>;

/// The mapping of one reader: inline, or on its thread.
#[derive(Default)]
pub(super) struct Mapper {
    thread: Option<Thread>,
    /// The thread could not be started: map inline from now on.
    inline_only: bool,
    mapped_inline: usize,
    /// The batch being filled, and its size in bytes.
    batch: Vec<Finished>,
    batch_bytes: usize,
    in_flight: usize,
    /// Items mapped and not yet given, in feed order.
    ready: VecDeque<FeedItem>,
    /// Builders given back, for the next properties.
    spare: Vec<Builder>,
}

/// The ends of the channels to and from the thread.
struct Thread {
    jobs: mpsc::SyncSender<Vec<Finished>>,
    done: tokio_mpsc::UnboundedReceiver<Mapped>,
}

/// The thread stopped without answering (it panicked).
#[derive(Debug)]
pub(super) struct Stopped;

impl Mapper {
    /// Maps `property` now (and returns its item) or adds it to the batch for the thread.
    pub fn submit(&mut self, property: Finished) -> Option<FeedItem> {
        if self.thread.is_none() && !self.inline_only && self.mapped_inline >= INLINE {
            self.thread = start();
            self.inline_only = self.thread.is_none();
        }
        if self.thread.is_none() {
            self.mapped_inline += 1;
            let (item, builder) = property.map();
            self.keep(builder);
            return Some(item);
        }
        self.batch_bytes += property.size();
        self.batch.push(property);
        if self.batch.len() >= BATCH || self.batch_bytes >= BATCH_BYTES {
            self.flush();
        }
        None
    }

    /// Hands the batch being filled over, if any.
    pub fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        let Some(thread) = &self.thread else {
            self.map_inline(batch);
            return;
        };
        match thread.jobs.send(batch) {
            Ok(()) => self.in_flight += 1,
            Err(mpsc::SendError(batch)) => {
                // The thread is gone: map the rest inline.
                self.thread = None;
                self.inline_only = true;
                self.map_inline(batch);
            }
        }
    }

    /// Whether no more batches should be handed over until one comes back.
    pub fn full(&self) -> bool {
        self.in_flight >= IN_FLIGHT
    }

    /// Whether properties are handed over or waiting in the batch.
    pub fn busy(&self) -> bool {
        self.in_flight > 0 || !self.batch.is_empty()
    }

    /// The next mapped item, if one is ready.
    pub fn next_ready(&mut self) -> Option<FeedItem> {
        if self.ready.is_empty()
            && self.in_flight > 0
            && let Some(thread) = &mut self.thread
            && let Ok(mapped) = thread.done.try_recv()
        {
            self.took(mapped);
        }
        self.ready.pop_front()
    }

    /// Waits for the next batch to come back (call only when [`Mapper::busy`], after
    /// [`Mapper::flush`]).
    pub async fn wait(&mut self) -> Result<(), Stopped> {
        if self.in_flight == 0 {
            return Ok(());
        }
        let thread = self.thread.as_mut().ok_or(Stopped)?;
        let mapped = thread.done.recv().await.ok_or(Stopped)?;
        self.took(mapped);
        Ok(())
    }

    /// A builder for the next property, if one was given back.
    pub fn spare(&mut self) -> Option<Builder> {
        self.spare.pop()
    }

    fn took(&mut self, mapped: Mapped) {
        self.in_flight -= 1;
        for (item, builder) in mapped {
            self.ready.push_back(item);
            self.keep(builder);
        }
    }

    fn map_inline(&mut self, batch: Vec<Finished>) {
        for property in batch {
            let (item, builder) = property.map();
            self.ready.push_back(item);
            self.keep(builder);
        }
    }

    /// Keeps a builder for a next property: as many as can be out at once (the batches in
    /// flight and the one being filled), so a long feed reads without allocating for its
    /// trees.
    fn keep(&mut self, builder: Builder) {
        if self.spare.len() < BATCH * (IN_FLIGHT + 1) {
            self.spare.push(builder);
        }
    }
}

/// Starts the thread; `None` if the system refuses one.
fn start() -> Option<Thread> {
    let (jobs, inbox) = mpsc::sync_channel::<Vec<Finished>>(IN_FLIGHT);
    let (outbox, done) = tokio_mpsc::unbounded_channel();
    let spawned = std::thread::Builder::new()
        .name("kyero-map".into())
        .spawn(move || {
            while let Ok(batch) = inbox.recv() {
                let mapped: Mapped = batch.into_iter().map(Finished::map).collect();
                if outbox.send(mapped).is_err() {
                    break;
                }
            }
        });
    match spawned {
        Ok(_) => Some(Thread { jobs, done }),
        Err(e) => {
            tracing::debug!(error = %e, "Kyero mapping stays on the reading task: no thread");
            None
        }
    }
}
