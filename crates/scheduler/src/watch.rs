//! The scheduler's watch over its jobs: ticks missed while the database was unavailable, and
//! lateness (a tick that has produced no run within a grace, Healthchecks.io's idea), checked
//! by a watchdog that also sweeps abandoned runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use propimport_domain::{CancelToken, JobName};

use crate::scheduler::Shared;

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
    last_run_tick: Option<DateTime<Utc>>,
}

/// Every job's [`TickWatch`].
#[derive(Debug, Default)]
pub(crate) struct Watch(Mutex<HashMap<JobName, TickWatch>>);

impl Watch {
    fn jobs(&self) -> MutexGuard<'_, HashMap<JobName, TickWatch>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
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
    fn late(&self, job: &JobName, tick: DateTime<Utc>) -> bool {
        let mut jobs = self.jobs();
        let w = jobs.entry(job.clone()).or_default();
        let first = w.late_tick.is_none();
        w.late_tick = Some(tick);
        first
    }
}

impl Shared {
    /// Every sweep interval: recovers abandoned runs of dead instances and checks lateness.
    pub(crate) async fn watchdog(self: Arc<Self>, stop: CancelToken) {
        let every = self.settings.sweep_interval();
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            self.recover_stale().await;
            self.check_late().await;
        }
    }

    /// Marks late (and alerts once) each scheduled job whose latest tick due more than the
    /// grace ago has no run; a paused job is never late.
    async fn check_late(&self) {
        let Some(grace) = self.settings.late_after else {
            return;
        };
        let Some(&started) = self.started_at.get() else {
            return;
        };
        let now = self.now();
        for job in &self.jobs {
            let Some(tick) = job
                .schedule
                .as_ref()
                .and_then(|s| s.prev_at_or_before(now - grace))
            else {
                continue;
            };
            let name = job.job.name();
            if tick < started
                || self.watch.of(name).last_run_tick.is_some_and(|t| t >= tick)
                || self.pause_of(name).await.is_some()
            {
                continue;
            }
            match self.store().tick_claimed(name, tick).await {
                Ok(true) => self.watch.ran(name, tick),
                Ok(false) => {
                    if self.watch.late(name, tick) {
                        metrics::counter!("propimport_late_ticks_total", "job_name" => name.to_string())
                            .increment(1);
                        self.runner.alerts().late(name, tick, grace).await;
                    }
                }
                Err(e) => {
                    tracing::debug!(job_name = %name, error = %e, "cannot check whether the job is late");
                }
            }
        }
    }
}
