//! Retries of failed scheduled runs: a run of a cron tick that ends FAILED by itself (not
//! cancelled, interrupted, stopped or abandoned) is tried again after a delay, as its own
//! execution of the same tick with the next attempt number. The instance whose run failed
//! holds the retry in memory until it is due; the next tick or a manual run supersedes it, a
//! pause skips it and shutdown drops it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::{CancelToken, Error, JobName, TriggerRefusal, TriggeredBy};
use tokio::sync::Notify;

use crate::clock::sleep_until;
use crate::scheduler::Shared;

/// How a job's failed scheduled runs are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a failed tick is tried again (0: never).
    pub retries: u32,
    /// The wait before each retry; when fewer delays than retries, the last repeats.
    pub delays: Vec<Duration>,
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            retries: 0,
            delays: Vec::new(),
        }
    }

    /// The wait before `attempt` (2 for the first retry), or `None` when the policy allows
    /// no such attempt.
    pub fn delay_before(&self, attempt: i32) -> Option<Duration> {
        let retry = usize::try_from(attempt.checked_sub(1)?).ok()?;
        if retry == 0 || retry > usize::try_from(self.retries).ok()? {
            return None;
        }
        let last = self.delays.last().copied().unwrap_or(Duration::ZERO);
        Some(self.delays.get(retry - 1).copied().unwrap_or(last))
    }
}

impl Default for RetryPolicy {
    /// Two retries, after 5 and 30 minutes.
    fn default() -> Self {
        Self {
            retries: 2,
            delays: vec![Duration::from_secs(5 * 60), Duration::from_secs(30 * 60)],
        }
    }
}

/// The retry a scheduled run gets if it fails by itself: after `delay`, unless the job's next
/// tick comes first (which then supersedes it, and the failed attempt is the tick's last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPlan {
    /// The wait after the failed run's end.
    pub delay: chrono::Duration,
    /// The job's next tick after the run began, if it has one.
    pub next_tick: Option<DateTime<Utc>>,
}

impl RetryPlan {
    /// When the retry of a run that ended at `ended_at` is due, or `None` when the next tick
    /// comes first.
    pub fn due(&self, ended_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let due = ended_at + self.delay;
        match self.next_tick {
            Some(next) if next <= due => None,
            _ => Some(due),
        }
    }
}

/// A retry waiting for its time, held by the instance whose run failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingRetry {
    /// The tick it retries.
    pub tick: DateTime<Utc>,
    /// The attempt it will be (2 for the first retry).
    pub attempt: i32,
    /// The last attempt the job's policy allows (1 + its retries).
    pub last_attempt: i32,
    /// When it is due.
    pub due_at: DateTime<Utc>,
}

/// The pending retries of this instance, one per job at most.
#[derive(Debug, Default)]
pub(crate) struct Retries {
    pending: Mutex<HashMap<JobName, PendingRetry>>,
    wake: Notify,
}

impl Retries {
    fn jobs(&self) -> MutexGuard<'_, HashMap<JobName, PendingRetry>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The pending retry of a job.
    pub(crate) fn of(&self, job: &JobName) -> Option<PendingRetry> {
        self.jobs().get(job).copied()
    }

    fn hold(&self, job: &JobName, retry: PendingRetry) {
        self.jobs().insert(job.clone(), retry);
        self.wake.notify_one();
    }

    /// Drops the job's pending retry, if any (of a tick before `before` when given), saying
    /// what superseded it.
    pub(crate) fn supersede(&self, job: &JobName, before: Option<DateTime<Utc>>, by: &str) {
        let mut jobs = self.jobs();
        let Some(retry) = jobs.get(job).copied() else {
            return;
        };
        if before.is_some_and(|t| retry.tick >= t) {
            return;
        }
        jobs.remove(job);
        tracing::info!(job_name = %job, tick = %retry.tick, attempt = retry.attempt, superseded_by = by, "pending retry dropped: superseded");
    }

    fn take_due(&self, now: DateTime<Utc>) -> Vec<(JobName, PendingRetry)> {
        let mut jobs = self.jobs();
        let due: Vec<JobName> = jobs
            .iter()
            .filter(|(_, r)| r.due_at <= now)
            .map(|(j, _)| j.clone())
            .collect();
        due.into_iter()
            .filter_map(|j| jobs.remove(&j).map(|r| (j, r)))
            .collect()
    }

    fn earliest(&self) -> Option<DateTime<Utc>> {
        self.jobs().values().map(|r| r.due_at).min()
    }

    fn drop_all(&self) {
        for (job, retry) in self.jobs().drain() {
            tracing::info!(job_name = %job, tick = %retry.tick, attempt = retry.attempt, "pending retry dropped: the scheduler is shutting down");
        }
    }
}

impl Shared {
    /// The retry policy of a job: its own, else the scheduler's.
    pub(crate) fn retry_policy(&self, job: &JobName) -> &RetryPolicy {
        self.settings
            .job_retries
            .get(job)
            .unwrap_or(&self.settings.retry)
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
        let schedule = self
            .jobs
            .iter()
            .find(|j| j.job.name() == job)?
            .schedule
            .as_ref()?;
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
        let Some(job) = self.jobs.iter().find(|j| j.job.name() == name) else {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_delay_repeats_and_the_retries_are_counted() {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        let policy = RetryPolicy {
            retries: 3,
            delays: vec![minutes(5), minutes(30)],
        };
        assert_eq!(
            policy.delay_before(1),
            None,
            "the first attempt is no retry"
        );
        assert_eq!(policy.delay_before(2), Some(minutes(5)));
        assert_eq!(policy.delay_before(3), Some(minutes(30)));
        assert_eq!(policy.delay_before(4), Some(minutes(30)));
        assert_eq!(policy.delay_before(5), None);
        assert_eq!(RetryPolicy::none().delay_before(2), None);
    }

    #[test]
    fn a_retry_past_the_next_tick_is_not_planned() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let plan = RetryPlan {
            delay: chrono::Duration::minutes(5),
            next_tick: Some(t + chrono::Duration::minutes(10)),
        };
        assert_eq!(plan.due(t), Some(t + chrono::Duration::minutes(5)));
        assert_eq!(plan.due(t + chrono::Duration::minutes(5)), None);
    }
}
