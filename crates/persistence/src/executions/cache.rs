//! A short-lived cache of the reads that status screens poll: the last execution (of one job,
//! of any, of each of a list), the RUNNING executions, and what each of a list of jobs'
//! executions say (`job_outcomes`).
//!
//! Every write through the store (create, heartbeat, finish, recovery, purge) empties it when
//! it completes, so this process reads its own writes at once. A read remembers the write
//! generation it started under and is kept only if no write completed meanwhile, so a read
//! that raced a write is never served afterwards. Writes of other processes (replicas, the
//! `import` command) are seen within the time to live, [`DEFAULT_TTL`] unless the store is
//! built otherwise: under heavy polling the database answers a handful of these reads per
//! second instead of every request.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use propimport_domain::{Execution, JobName};

/// How long a read is served from the cache by default.
pub(super) const DEFAULT_TTL: Duration = Duration::from_millis(100);

/// Beyond this many entries (one per job name asked about) the cache starts afresh.
const MAX_ENTRIES: usize = 256;

/// What was read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Key {
    /// `last(job)`.
    Last(Option<JobName>),
    /// `last_of_jobs(jobs)`.
    LastOfJobs(Vec<JobName>),
    /// `running(job)`.
    Running(Option<JobName>),
}

/// What a read of executions gave: the executions found (at most one for `last`).
pub(super) type Value = Vec<Execution>;

#[derive(Debug)]
struct Entry<V> {
    read_at: Instant,
    value: V,
}

/// The cache of reads by `K` giving `V`; shared by the clones of a store.
#[derive(Debug)]
pub(super) struct ReadCache<K = Key, V = Value> {
    ttl: Duration,
    generation: AtomicU64,
    entries: Mutex<HashMap<K, Entry<V>>>,
}

impl<K: Eq + Hash, V: Clone> ReadCache<K, V> {
    /// A cache serving reads for `ttl` (zero: never).
    pub(super) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<K, Entry<V>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value read for `key` less than the time to live ago, if no write completed since.
    pub(super) fn get(&self, key: &K) -> Option<V> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries();
        entries
            .get(key)
            .filter(|e| e.read_at.elapsed() < self.ttl)
            .map(|e| e.value.clone())
    }

    /// The write generation to pass to [`ReadCache::put`]; taken before reading.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps `value`, read for `key` since `read_at` under `generation`, unless a write
    /// completed meanwhile.
    pub(super) fn put(&self, key: K, generation: u64, read_at: Instant, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries();
        // Checked under the lock that `invalidate` clears under: a write that completes after
        // this check clears the entry.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, Entry { read_at, value });
    }

    /// Forgets every read: a write completed.
    pub(super) fn invalidate(&self) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}
