//! The `/status` answer kept between requests: shared state owns it, the `/status` handler
//! fills and reuses it, and pausing or resuming a job clears it.

use actix_web::web;
use chrono::{DateTime, Utc};
use propimport_domain::Execution;

/// The last `/status` answer, reused while nothing it shows can have changed: the scheduler
/// runs (so every job's `isScheduled` stands), no fire time has passed (so the next runs
/// stand), the RUNNING executions and the newest execution read now equal those read before it
/// was rendered (a run started, advanced, finished or recovered in this process changes one of
/// them at once), and it is younger than [`StatusCache::TTL`], which bounds how long a change
/// the reads cannot see stays unseen: another process's write (replicas share the database),
/// or a purge of a job's last run. Rendering twenty jobs' next runs and last executions costs
/// far more than these reads, and dashboards poll it.
#[derive(Default)]
pub(crate) struct StatusCache(std::sync::Mutex<Option<Rendered>>);

/// One rendered `/status` answer and what it was rendered from.
struct Rendered {
    running: Vec<Execution>,
    newest: Option<Execution>,
    rendered_at: std::time::Instant,
    next_fire: Option<DateTime<Utc>>,
    body: web::Bytes,
}

impl StatusCache {
    /// How long an answer may be reused at most.
    const TTL: std::time::Duration = std::time::Duration::from_millis(100);

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Rendered>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The answer rendered from the same reads, if still current.
    pub(crate) fn reuse(
        &self,
        running: &[Execution],
        newest: Option<&Execution>,
    ) -> Option<web::Bytes> {
        let slot = self.slot();
        let kept = slot.as_ref()?;
        (kept.rendered_at.elapsed() < Self::TTL
            && kept.next_fire.is_none_or(|t| Utc::now() < t)
            && kept.running == running
            && kept.newest.as_ref() == newest)
            .then(|| kept.body.clone())
    }

    /// Forgets the answer kept: what it shows changed here (a job was paused or resumed).
    pub(crate) fn clear(&self) {
        *self.slot() = None;
    }

    /// Keeps `body`, rendered after reading `running` and `newest`.
    pub(crate) fn keep(
        &self,
        running: Vec<Execution>,
        newest: Option<Execution>,
        next_fire: Option<DateTime<Utc>>,
        body: web::Bytes,
    ) {
        *self.slot() = Some(Rendered {
            running,
            newest,
            rendered_at: std::time::Instant::now(),
            next_fire,
            body,
        });
    }
}
