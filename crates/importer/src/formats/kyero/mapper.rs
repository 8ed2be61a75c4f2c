//! Parses and maps properties on threads of their own once a feed proves long, so that the
//! reading task only finds where each property ends while the threads turn the properties
//! into listings: on two cores a long feed reads at about the pace of its parsing and mapping
//! shared by both.
//!
//! A property comes as one of two jobs: cut out of the document unparsed ([`Cut`]: the
//! thread parses it, then maps it), or parsed where it was read, when it could not be cut out
//! ([`Finished`]: the thread maps it). Jobs cross to a thread and back in batches (a
//! hand-over costs a wake-up of each side, more than one property), batches go to the
//! threads in turn and are taken back in that order, so items come back in feed order. A
//! batch closes at [`BATCH`] properties or [`BATCH_BYTES`], and at most [`IN_FLIGHT`]
//! batches are handed over at once, so memory stays bounded by a few batches. The first
//! [`INLINE`] properties are parsed and mapped where they are read, so a small feed never
//! starts a thread; if no thread can be started, everything stays inline.

use std::collections::VecDeque;
use std::sync::mpsc;

use propimport_domain::{KnownRecord, RecordKey};
use tokio::sync::mpsc as tokio_mpsc;

use super::document::{Cut, Document, Finished};
use crate::formats::xml::tree::Builder;
use crate::formats::{FeedError, FeedItem};

/// Properties mapped inline before the threads start.
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
/// Threads one reader starts, at most (fewer on a machine with fewer cores): a service reads
/// many feeds at once, and two already take parsing off the reading task.
const MAX_THREADS: usize = 2;

/// A property to parse or map.
pub(super) enum Job {
    /// Cut out unparsed: parse, then map.
    Parse(Cut),
    /// Parsed where it was read: map.
    Map(Box<Finished>),
    /// Recognized by its key: nothing to do (it goes through the threads to keep its place).
    Known(KnownRecord),
}

impl Job {
    /// What the job holds, in bytes (about).
    fn size(&self) -> usize {
        match self {
            Self::Parse(cut) => cut.bytes.len(),
            Self::Map(property) => property.size(),
            Self::Known(known) => known.bytes.len(),
        }
    }

    /// Does the job: its item with its record's key, and the builder of a property parsed
    /// where it was read (to be reused there); or the feed's failure at it. `doc` parses
    /// cut-out properties.
    fn run(self, doc: &mut Document) -> Done {
        match self {
            Self::Map(property) => {
                let (item, key, builder) = property.map();
                Ok(((item, key), Some(builder)))
            }
            Self::Parse(cut) => {
                let property = cut.parse(doc)?;
                let (item, key, builder) = property.map();
                doc.reuse(builder);
                Ok(((item, key), None))
            }
            Self::Known(known) => {
                let key = known.key;
                Ok(((FeedItem::Known(known), Some(key)), None))
            }
        }
    }
}

/// An item with the key of its record, if it has one.
pub(super) type Keyed = (FeedItem, Option<RecordKey>);

/// A job done.
type Done = Result<(Keyed, Option<Builder>), FeedError>;

/// The parsing and mapping of one reader: inline, or on its threads.
#[derive(Default)]
pub(super) struct Mapper {
    threads: Vec<Thread>,
    /// The threads could not be started: map inline from now on.
    inline_only: bool,
    mapped_inline: usize,
    /// Parses the properties cut out when they are parsed inline.
    doc: Document,
    /// The batch being filled, and its size in bytes.
    batch: Vec<Job>,
    batch_bytes: usize,
    /// The thread each batch handed over went to, oldest first.
    in_flight: VecDeque<usize>,
    /// The thread the next batch goes to.
    turn: usize,
    /// Items done and not yet given, in feed order; a failure ends them.
    ready: VecDeque<Result<Keyed, FeedError>>,
    /// Builders given back, for the next properties parsed where they are read.
    spare: Vec<Builder>,
}

/// The ends of the channels to and from a thread.
struct Thread {
    jobs: mpsc::SyncSender<Vec<Job>>,
    done: tokio_mpsc::UnboundedReceiver<Vec<Done>>,
}

/// A thread stopped without answering (it panicked).
#[derive(Debug)]
pub(super) struct Stopped;

impl Mapper {
    /// Whether properties go to the threads, which are started once the feed proves long:
    /// only then is it worth cutting properties out to be parsed there.
    pub fn threaded(&mut self) -> bool {
        if self.threads.is_empty() && !self.inline_only && self.mapped_inline >= INLINE {
            self.threads = start();
            self.inline_only = self.threads.is_empty();
        }
        !self.threads.is_empty()
    }

    /// Does `job` now (its item is then ready) or adds it to the batch for the threads.
    pub fn submit(&mut self, job: Job) -> Result<(), Stopped> {
        if !self.threaded() {
            self.mapped_inline += 1;
            self.run_inline(job);
            return Ok(());
        }
        self.batch_bytes += job.size();
        self.batch.push(job);
        if self.batch.len() >= BATCH || self.batch_bytes >= BATCH_BYTES {
            return self.flush();
        }
        Ok(())
    }

    /// Hands the batch being filled over, if any. A thread that is gone (it panicked) stops
    /// the reading: the batches the others hold cannot be put back in order without it.
    pub fn flush(&mut self) -> Result<(), Stopped> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        if self.threads.is_empty() {
            self.map_inline(batch);
            return Ok(());
        }
        let turn = self.turn % self.threads.len();
        self.threads[turn].jobs.send(batch).map_err(|_| Stopped)?;
        self.in_flight.push_back(turn);
        self.turn = turn + 1;
        Ok(())
    }

    /// Whether no more batches should be handed over until one comes back.
    pub fn full(&self) -> bool {
        self.in_flight.len() >= IN_FLIGHT
    }

    /// Whether jobs are handed over or waiting in the batch.
    pub fn busy(&self) -> bool {
        !self.in_flight.is_empty() || !self.batch.is_empty()
    }

    /// The next item done, or the failure that ends them, if one is ready.
    pub fn next_ready(&mut self) -> Option<Result<Keyed, FeedError>> {
        if self.ready.is_empty()
            && let Some(&turn) = self.in_flight.front()
            && let Ok(done) = self.threads[turn].done.try_recv()
        {
            self.took(done);
        }
        self.ready.pop_front()
    }

    /// Waits for the next batch to come back (call only when [`Mapper::busy`], after
    /// [`Mapper::flush`]).
    pub async fn wait(&mut self) -> Result<(), Stopped> {
        let Some(&turn) = self.in_flight.front() else {
            return Ok(());
        };
        let done = self.threads[turn].done.recv().await.ok_or(Stopped)?;
        self.took(done);
        Ok(())
    }

    /// A builder for the next property parsed where it is read, if one was given back.
    pub fn spare(&mut self) -> Option<Builder> {
        self.spare.pop()
    }

    fn took(&mut self, done: Vec<Done>) {
        self.in_flight.pop_front();
        for one in done {
            self.keep_done(one);
        }
    }

    fn map_inline(&mut self, batch: Vec<Job>) {
        for job in batch {
            self.run_inline(job);
        }
    }

    fn run_inline(&mut self, job: Job) {
        let done = job.run(&mut self.doc);
        self.keep_done(done);
    }

    fn keep_done(&mut self, done: Done) {
        match done {
            Ok((item, builder)) => {
                self.ready.push_back(Ok(item));
                if let Some(builder) = builder {
                    self.keep(builder);
                }
            }
            Err(e) => self.ready.push_back(Err(e)),
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

/// Starts the threads; none if the system refuses one.
fn start() -> Vec<Thread> {
    let wanted = std::thread::available_parallelism().map_or(1, usize::from);
    let mut threads = Vec::new();
    for n in 0..wanted.clamp(1, MAX_THREADS) {
        let (jobs, inbox) = mpsc::sync_channel::<Vec<Job>>(IN_FLIGHT);
        let (outbox, done) = tokio_mpsc::unbounded_channel();
        let spawned = std::thread::Builder::new()
            .name(format!("kyero-map-{n}"))
            .spawn(move || {
                let mut doc = Document::default();
                while let Ok(batch) = inbox.recv() {
                    let done: Vec<Done> = batch.into_iter().map(|job| job.run(&mut doc)).collect();
                    if outbox.send(done).is_err() {
                        break;
                    }
                }
            });
        match spawned {
            Ok(_) => threads.push(Thread { jobs, done }),
            Err(e) => {
                tracing::debug!(error = %e, "a Kyero mapping thread could not be started");
                break;
            }
        }
    }
    threads
}
