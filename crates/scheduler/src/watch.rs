//! The scheduler's watch over its jobs: ticks missed while the database was unavailable, and
//! lateness (a tick that has produced no run within a grace, Healthchecks.io's idea), checked
//! by a watchdog that also sweeps abandoned runs.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use propimport_domain::JobName;

/// What is known of one job's ticks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickWatch {
    /// Ticks that could not be run at their time because the database was unavailable,
    /// since this process started.
    pub missed_ticks: u64,
    /// The latest of them.
    pub last_missed_tick: Option<DateTime<Utc>>,
    /// A missed tick that waits for the database to answer again.
    pub pending_tick: Option<DateTime<Utc>>,
    /// While the job is late: its latest tick that has no run although the lateness grace
    /// has passed.
    pub late_tick: Option<DateTime<Utc>>,
    /// The latest tick known to have a run (here or elsewhere).
    pub(crate) last_run_tick: Option<DateTime<Utc>>,
}

/// Every job's [`TickWatch`].
#[derive(Debug, Default)]
pub(crate) struct Watch(Mutex<HashMap<JobName, TickWatch>>);

impl Watch {
    fn jobs(&self) -> MutexGuard<'_, HashMap<JobName, TickWatch>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets what is known of `job` (its schedule changed, or it was removed).
    pub(crate) fn forget(&self, job: &JobName) {
        self.jobs().remove(job);
    }

    /// The watch of one job.
    pub(crate) fn of(&self, job: &JobName) -> TickWatch {
        self.jobs().get(job).cloned().unwrap_or_default()
    }

    /// A tick could not be recorded: it is missed (and pending until the database answers).
    pub(crate) fn missed(&self, job: &JobName, tick: DateTime<Utc>) {
        let mut jobs = self.jobs();
        let w = jobs.entry(job.clone()).or_default();
        w.missed_ticks += 1;
        w.last_missed_tick = Some(tick);
        w.pending_tick = Some(tick);
        metrics::counter!("propimport_missed_ticks_total", "job_name" => job.to_string())
            .increment(1);
    }

    /// The pending missed tick was run, superseded or skipped by the misfire policy.
    pub(crate) fn caught_up(&self, job: &JobName) {
        if let Some(w) = self.jobs().get_mut(job) {
            w.pending_tick = None;
        }
    }

    /// `tick` has a run.
    pub(crate) fn ran(&self, job: &JobName, tick: DateTime<Utc>) {
        let mut jobs = self.jobs();
        let w = jobs.entry(job.clone()).or_default();
        if w.last_run_tick.is_none_or(|t| t < tick) {
            w.last_run_tick = Some(tick);
        }
        if w.late_tick.is_some_and(|t| t <= tick) {
            w.late_tick = None;
        }
        if w.pending_tick.is_some_and(|t| t <= tick) {
            w.pending_tick = None;
        }
    }

    /// Marks the job late at `tick`; true when it was not late before (a late job is alerted
    /// once, until a run clears it).
    pub(crate) fn late(&self, job: &JobName, tick: DateTime<Utc>) -> bool {
        let mut jobs = self.jobs();
        let w = jobs.entry(job.clone()).or_default();
        let first = w.late_tick.is_none();
        w.late_tick = Some(tick);
        first
    }
}
