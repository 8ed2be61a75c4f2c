//! The scheduler's side of retries (`crate::retry` holds the policy and the pending retries):
//! planning a failed run's retry, holding it, and the loop that begins each one when it is due.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use propimport_domain::{CancelToken, Error, JobName, TriggerRefusal, TriggeredBy};

use super::Shared;
use crate::clock::sleep_until;
use crate::retry::{PendingRetry, RetryPlan, RunRetryPolicy};

impl Shared {
    /// The retry policy of a job: its own, else the scheduler's.
    pub(crate) fn retry_policy(&self, job: &JobName) -> RunRetryPolicy {
        self.jobs
            .retry_policy(job)
            .unwrap_or_else(|| self.settings.retry.clone())
    }

    /// The retry a run of `tick` (attempt `attempt`) gets if it fails, if any.
    pub(crate) fn retry_plan(
        &self,
        job: &JobName,
        tick: DateTime<Utc>,
        attempt: i32,
    ) -> Option<RetryPlan> {
        let delay = self
            .retry_policy(job)
            .delay_before(attempt.checked_add(1)?)?;
        let schedule = self.jobs.find(job)?.schedule?;
        Some(RetryPlan {
            delay: chrono::Duration::from_std(delay).ok()?,
            next_tick: schedule.next_after(self.now().max(tick)),
        })
    }

    /// Holds the retry of a failed run until `due_at` (unless the scheduler is stopping).
    pub(crate) fn hold_retry(&self, job: &JobName, retry: PendingRetry) {
        if self.runs.is_closed() {
            tracing::info!(job_name = %job, tick = %retry.tick, attempt = retry.attempt, "failed run not retried: the scheduler is shutting down");
            return;
        }
        tracing::info!(job_name = %job, tick = %retry.tick, attempt = retry.attempt, due_at = %retry.due_at, "the failed run will be retried");
        self.retries.hold(job, retry);
    }

    /// Begins each pending retry when it is due; drops them all when stopped.
    pub(crate) async fn retry_loop(self: Arc<Self>, stop: CancelToken) {
        loop {
            let woken = self.retries.wake.notified();
            let due = self.retries.earliest();
            let clock = self.runner.clock().clone();
            let sleep = async move {
                match due {
                    Some(at) => sleep_until(clock.as_ref(), at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = stop.cancelled() => {
                    self.retries.drop_all();
                    return;
                }
                () = woken => continue,
                () = sleep => {}
            }
            for (job, retry) in self.retries.take_due(self.now()) {
                self.run_retry(&job, retry).await;
            }
        }
    }

    /// Begins a due retry through the normal path (the database decides between replicas).
    async fn run_retry(self: &Arc<Self>, name: &JobName, retry: PendingRetry) {
        let Some(job) = self.jobs.find(name) else {
            return;
        };
        if let Some(pause) = self.pause_of(name).await {
            tracing::info!(job_name = %name, tick = %retry.tick, attempt = retry.attempt, paused_by = %pause.paused_by, "retry skipped: the job is paused");
            return;
        }
        if let Some(running) = self.running_here(name) {
            tracing::info!(job_name = %name, tick = %retry.tick, attempt = retry.attempt, running_execution_id = %running.id, "retry dropped: a run is in progress");
            return;
        }
        if self.dispatcher().is_some() {
            // Waits for its turn in the run queue, keyed by its due time (the tick's own turn
            // has ended).
            self.enqueue(&job.job, retry.tick, retry.due_at, retry.attempt);
            return;
        }
        let (tick, attempt) = (Some(retry.tick), retry.attempt);
        match self
            .spawn_attempt(job.job.clone(), TriggeredBy::Cron, tick, attempt)
            .await
        {
            Ok(e) => {
                tracing::info!(job_name = %name, tick = %retry.tick, attempt, execution_id = %e.id, "retrying the failed tick")
            }
            Err(TriggerRefusal::Store(Error::TickAlreadyClaimed { .. })) => {
                tracing::debug!(job_name = %name, tick = %retry.tick, attempt, "retry already run by another instance")
            }
            Err(e) => {
                tracing::warn!(job_name = %name, tick = %retry.tick, attempt, error = %e, "retry dropped: it could not begin")
            }
        }
    }
}
