//! The tick loops: each scheduled job's ticks (catch-up at start-up; a tick that cannot be
//! recorded is retried until the database answers, then the misfire policy decides), and the
//! retention purge's loop.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::{
    CancelToken, Error, Job, JobName, RetentionPolicy, RetryDecision, TriggerRefusal, TriggeredBy,
};

use crate::CronSchedule;
use crate::clock::sleep_until;
use crate::scheduler::{MisfirePolicy, ScheduledJob, Shared};

/// What became of a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TickOutcome {
    /// A run started, or the tick needs none (run elsewhere, or a run is in progress).
    Decided,
    /// The tick could not be recorded (the database is unavailable): it is missed for now.
    Unrecorded,
}

impl Shared {
    /// Runs the latest missed tick of a job once, when the policy says so.
    pub(crate) async fn catch_up(self: &Arc<Self>, job: &ScheduledJob) {
        let (MisfirePolicy::RunOnce { grace }, Some(schedule)) =
            (self.settings.misfire, &job.schedule)
        else {
            return;
        };
        let now = self.now();
        let Some(missed) = schedule.prev_at_or_before(now) else {
            return;
        };
        if now - missed > grace {
            return;
        }
        match self.store().tick_claimed(job.job.name(), missed).await {
            Ok(false) => {
                tracing::info!(job_name = %job.job.name(), tick = %missed, "running the tick missed while the service was down");
                self.run_tick(&job.job, missed).await;
            }
            Ok(true) => {}
            Err(e) => {
                tracing::warn!(job_name = %job.job.name(), error = %e, "cannot check for a missed tick")
            }
        }
    }

    /// Runs a job's ticks. A tick that cannot be recorded (database unavailable) is missed:
    /// it is retried as the store retry policy says (by default with growing delays until the
    /// database answers), and then handled by the misfire policy as at start-up (run once if
    /// within the grace, else skipped); a newer tick supersedes it, so an outage never ends in
    /// a burst of runs.
    pub(crate) async fn tick_loop(
        self: Arc<Self>,
        job: ScheduledJob,
        stop: CancelToken,
        stop_this: CancelToken,
    ) {
        let Some(schedule) = job.schedule.clone() else {
            return;
        };
        let name = job.job.name().clone();
        let mut after = self.now();
        let mut missed: Option<DateTime<Utc>> = None;
        let mut retries = self.runner.store_retry().start();
        let mut retry = Duration::ZERO;
        let mut first_failure = after;
        loop {
            let Some(next) = schedule.next_after(after) else {
                return;
            };
            let retry_at = missed.map(|_| {
                self.now()
                    + chrono::Duration::from_std(retry).unwrap_or(chrono::Duration::seconds(30))
            });
            let wake = retry_at.map_or(next, |r| r.min(next));
            tokio::select! {
                () = stop.cancelled() => return,
                () = stop_this.cancelled() => return,
                () = sleep_until(self.runner.clock().as_ref(), wake) => {}
            }
            let (tick, is_retry) = match missed {
                Some(old) if wake < next => (old, true),
                Some(old) => {
                    tracing::warn!(job_name = %name, missed_tick = %old, next_tick = %next, "the missed tick is superseded by the next one");
                    after = next;
                    (next, false)
                }
                None => {
                    after = next;
                    (next, false)
                }
            };
            if is_retry && !self.still_due(&name, tick) {
                self.watch.caught_up(&name);
                missed = None;
                continue;
            }
            match self.run_tick(&job.job, tick).await {
                TickOutcome::Decided => {
                    if missed.take().is_some() {
                        self.watch.caught_up(&name);
                    }
                }
                TickOutcome::Unrecorded => {
                    if !is_retry {
                        self.watch.missed(&name, tick);
                        retries.reset();
                        first_failure = self.now();
                    }
                    let elapsed = (self.now() - first_failure).to_std().unwrap_or_default();
                    match retries.failed(elapsed, None) {
                        RetryDecision::RetryAfter(wait) => {
                            missed = Some(tick);
                            retry = wait;
                        }
                        RetryDecision::GiveUp(_) => {
                            tracing::warn!(job_name = %name, tick = %tick, attempts = retries.failures(), "tick missed in a database outage given up: the store retry policy's limit");
                            self.watch.caught_up(&name);
                            missed = None;
                        }
                    }
                }
            }
        }
    }

    /// Whether a tick missed during an outage should still run, by the misfire policy (logs
    /// why not).
    fn still_due(&self, job: &JobName, tick: DateTime<Utc>) -> bool {
        match self.settings.misfire {
            MisfirePolicy::Skip => {
                tracing::warn!(job_name = %job, tick = %tick, "tick missed during a database outage not run (IMPORT_MISFIRE_POLICY=skip)");
                false
            }
            MisfirePolicy::RunOnce { grace } if self.now() - tick > grace => {
                tracing::warn!(job_name = %job, tick = %tick, grace_seconds = grace.num_seconds(), "tick missed during a database outage not run: older than IMPORT_MISFIRE_GRACE");
                false
            }
            MisfirePolicy::RunOnce { .. } => {
                tracing::info!(job_name = %job, tick = %tick, "the database answers again; running the tick missed during the outage");
                true
            }
        }
    }

    /// Sleeps until the schedule's next tick after `after` and returns it (advancing `after`),
    /// or returns `None` when stopped or when the schedule has no further tick.
    async fn wait_for_tick(
        &self,
        schedule: &CronSchedule,
        after: &mut DateTime<Utc>,
        stop: &CancelToken,
    ) -> Option<DateTime<Utc>> {
        let tick = schedule.next_after(*after)?;
        tokio::select! {
            () = stop.cancelled() => return None,
            () = sleep_until(self.runner.clock().as_ref(), tick) => {}
        }
        *after = tick;
        Some(tick)
    }

    /// Starts the run of one tick in the background, unless the job is paused or a run of it
    /// is in progress.
    async fn run_tick(self: &Arc<Self>, job: &Arc<dyn Job>, tick: DateTime<Utc>) -> TickOutcome {
        let name = job.name().clone();
        self.retries.supersede(&name, Some(tick), "the next tick");
        if self.skip_paused(&name, tick).await {
            return TickOutcome::Decided;
        }
        if let Some(running) = self.running_here(&name) {
            tracing::warn!(job_name = %name, tick = %tick, running_execution_id = %running.id, "tick skipped: the previous run is still in progress");
            metrics::counter!("propimport_skipped_ticks_total", "job_name" => name.to_string())
                .increment(1);
            return TickOutcome::Decided;
        }
        if self.dispatcher().is_some() {
            // Waits for its turn in the run queue (queue.rs starts it).
            self.enqueue(job, tick, tick, 1);
            return TickOutcome::Decided;
        }
        match self
            .spawn_run(job.clone(), TriggeredBy::Cron, Some(tick))
            .await
        {
            Ok(_) => {
                self.watch.ran(&name, tick);
                TickOutcome::Decided
            }
            Err(TriggerRefusal::AlreadyRunning { execution_id, .. }) => {
                tracing::warn!(job_name = %name, tick = %tick, running_execution_id = %execution_id, "tick skipped: a run is in progress on another instance");
                metrics::counter!("propimport_skipped_ticks_total", "job_name" => name.to_string())
                    .increment(1);
                TickOutcome::Decided
            }
            Err(TriggerRefusal::Store(Error::TickAlreadyClaimed { .. })) => {
                tracing::debug!(job_name = %name, tick = %tick, "tick already run by another instance");
                self.watch.ran(&name, tick);
                TickOutcome::Decided
            }
            Err(e) => {
                tracing::warn!(job_name = %name, tick = %tick, error = %e, "tick not run: cannot record it; retrying until the database answers (IMPORT_MISFIRE_POLICY decides then)");
                TickOutcome::Unrecorded
            }
        }
    }

    pub(crate) async fn retention_loop(
        self: Arc<Self>,
        policy: RetentionPolicy,
        schedule: CronSchedule,
        stop: CancelToken,
    ) {
        let mut after = self.now();
        while self
            .wait_for_tick(&schedule, &mut after, &stop)
            .await
            .is_some()
        {
            let now = self.now();
            match self.store().purge(&policy, now).await {
                Ok(report) => tracing::info!(
                    deleted = report.total(),
                    succeeded_deleted = report.succeeded_deleted,
                    failed_deleted = report.failed_deleted,
                    audit_deleted = report.audit_deleted,
                    "retention purge done"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "retention purge failed; next attempt at the next tick")
                }
            }
            // The alert history is kept as long as the audit log.
            let alerts = self.runner.alerts();
            match alerts
                .purge_history(policy.audit_cutoff(now), policy.batch_size)
                .await
            {
                Ok(deleted) => tracing::info!(deleted, "alert history purge done"),
                Err(e) => {
                    tracing::warn!(error = %e, "alert history purge failed; next attempt at the next tick")
                }
            }
        }
    }
}
