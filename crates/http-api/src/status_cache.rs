//! The `/status` answers kept between requests: shared state owns them, the `/status` handler
//! fills and reuses them, and pausing or resuming a job clears them.

use actix_web::web;
use chrono::{DateTime, Utc};
use propimport_domain::{Execution, JobQuery};

/// The last `/status` answers, one per query (search, filters and page) of the latest few
/// asked ([`StatusCache::QUERIES`]); each reused while nothing it shows can have changed: the scheduler
/// runs (so every job's `isScheduled` stands), no fire time has passed (so the next runs
/// stand), the RUNNING executions and the newest execution read now equal those read before it
/// was rendered (a run started, advanced, finished or recovered in this process changes one of
/// them at once), and it is younger than [`StatusCache::TTL`], which bounds how long a change
/// the reads cannot see stays unseen: another process's write (replicas share the database),
/// or a purge of a job's last run (and a job becoming late, which only this instance's
/// scheduler knows). Rendering a page of jobs' next runs and last executions costs far more
/// than these reads, and dashboards poll it.
#[derive(Default)]
pub(crate) struct StatusCache(std::sync::Mutex<Vec<Rendered>>);

/// One rendered `/status` answer and what it was rendered from.
struct Rendered {
    query: JobQuery,
    running: Vec<Execution>,
    newest: Option<Execution>,
    rendered_at: std::time::Instant,
    next_fire: Option<DateTime<Utc>>,
    body: web::Bytes,
}

impl StatusCache {
    /// How long an answer may be reused at most.
    const TTL: std::time::Duration = std::time::Duration::from_millis(100);
    /// How many queries' answers are kept at most (the oldest answer makes room).
    pub(crate) const QUERIES: usize = 16;

    fn slot(&self) -> std::sync::MutexGuard<'_, Vec<Rendered>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The answer to `query` rendered from the same reads, if still current.
    pub(crate) fn reuse(
        &self,
        query: &JobQuery,
        running: &[Execution],
        newest: Option<&Execution>,
    ) -> Option<web::Bytes> {
        let slot = self.slot();
        let kept = slot.iter().find(|r| &r.query == query)?;
        (kept.rendered_at.elapsed() < Self::TTL
            && kept.next_fire.is_none_or(|t| Utc::now() < t)
            && kept.running == running
            && kept.newest.as_ref() == newest)
            .then(|| kept.body.clone())
    }

    /// Forgets the answers kept: what they show changed here (a job was paused or resumed).
    pub(crate) fn clear(&self) {
        self.slot().clear();
    }

    /// Keeps `body`, the answer to `query` rendered after reading `running` and `newest`.
    pub(crate) fn keep(
        &self,
        query: JobQuery,
        running: Vec<Execution>,
        newest: Option<Execution>,
        next_fire: Option<DateTime<Utc>>,
        body: web::Bytes,
    ) {
        let mut slot = self.slot();
        slot.retain(|r| r.query != query);
        if slot.len() >= Self::QUERIES
            && let Some(oldest) = slot
                .iter()
                .enumerate()
                .min_by_key(|(_, r)| r.rendered_at)
                .map(|(i, _)| i)
        {
            slot.swap_remove(oldest);
        }
        slot.push(Rendered {
            query,
            running,
            newest,
            rendered_at: std::time::Instant::now(),
            next_fire,
            body,
        });
    }
}
