//! The scheduler: a tick loop per scheduled job, manual triggers, the overlap guard, missed
//! ticks (at start-up and during a database outage), the retention task, status, and a
//! bounded graceful shutdown.
//!
//! Every task of the scheduler shares one `Shared`; its behaviour lives in this module and
//! its children (`ticks.rs`, `retries.rs`, `watchdog.rs`, `control.rs`, `handle.rs`), so the
//! modules it is built from (`crate::tracked`, `crate::retry`, `crate::watch`) never name it.

pub(crate) mod control;
pub(crate) mod handle;
pub(crate) mod jobs;
pub(crate) mod queue;
mod retries;
pub(crate) mod status;
mod ticks;
mod watchdog;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::{
    CancelToken, Error, Execution, ExecutionId, ExecutionStore, Job, JobName, ProgressHandle,
    RetentionPolicy, TriggerRefusal, TriggeredBy,
};
use tokio_util::task::TaskTracker;

use crate::fire_times::FireTimes;
use crate::retry::{PendingRetry, Retries, RunRetryPolicy};
use crate::watch::Watch;
use crate::{CronSchedule, SchedulerHandle, TrackedRunner};

/// A job and, when it runs on a schedule, its schedule.
#[derive(Clone)]
pub struct ScheduledJob {
    /// The job.
    pub job: Arc<dyn Job>,
    /// When it runs by itself; `None` for a job that runs only when triggered.
    pub schedule: Option<CronSchedule>,
}

/// What to do at start-up about a tick that passed while the service was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MisfirePolicy {
    /// Run the latest missed tick once if it is no older than the grace window (default 1 h).
    RunOnce {
        /// How old a missed tick may be and still run.
        grace: chrono::Duration,
    },
    /// Do not run missed ticks.
    Skip,
}

impl Default for MisfirePolicy {
    fn default() -> Self {
        Self::RunOnce {
            grace: chrono::Duration::hours(1),
        }
    }
}

/// The scheduler's settings.
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// A RUNNING execution without a heartbeat for this long is abandoned (default 2 min).
    pub lease: chrono::Duration,
    /// Missed ticks at start-up and during a database outage.
    pub misfire: MisfirePolicy,
    /// The retention purge and when it runs; `None` disables it.
    pub retention: Option<(RetentionPolicy, CronSchedule)>,
    /// A scheduled tick that has no run this long after it makes its job late (shown in the
    /// status, alerted once); `None` disables the check (default 5 min).
    pub late_after: Option<chrono::Duration>,
    /// How failed scheduled runs are retried (default: twice, after 5 and 30 minutes).
    pub retry: RunRetryPolicy,
    /// Per job, a retry policy of its own instead of `retry`.
    pub job_retries: HashMap<JobName, RunRetryPolicy>,
}

impl SchedulerSettings {
    /// How often abandoned runs are swept and lateness checked: half the lease, at most a
    /// minute, so a run whose instance died is recovered within the lease plus this.
    pub fn sweep_interval(&self) -> Duration {
        (self.lease / 2)
            .to_std()
            .unwrap_or(Duration::from_secs(60))
            .clamp(Duration::from_millis(100), Duration::from_secs(60))
    }
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self {
            lease: chrono::Duration::minutes(2),
            misfire: MisfirePolicy::default(),
            retention: None,
            late_after: Some(chrono::Duration::minutes(5)),
            retry: RunRetryPolicy::default(),
            job_retries: HashMap::new(),
        }
    }
}

/// A run this process drives: its RUNNING execution and its live counts.
#[derive(Clone)]
pub(crate) struct RunEntry {
    pub(crate) execution: Execution,
    pub(crate) progress: ProgressHandle,
    /// Wakes the run's driver to write its heartbeat now (a cancel was requested here).
    pub(crate) beat_now: Arc<tokio::sync::Notify>,
}

pub(crate) struct Shared {
    pub(crate) runner: Arc<TrackedRunner>,
    /// The jobs, which may change while the scheduler runs, and their tick loops.
    pub(crate) jobs: jobs::JobSet,
    pub(crate) settings: SchedulerSettings,
    /// Runs in flight, owned here and awaited on shutdown.
    pub(crate) runs: TaskTracker,
    /// Cancelled once the shutdown grace has passed: running jobs stop.
    pub(crate) cancel_runs: CancelToken,
    /// This process's view of what runs (job → execution); the database has the last word.
    pub(crate) running: Mutex<HashMap<JobName, RunEntry>>,
    /// Per job: missed ticks and lateness.
    pub(crate) watch: Watch,
    /// Per job: its next fire times, worked out once per fire.
    pub(crate) fire_times: FireTimes,
    /// The paused jobs last read from the store.
    pub(crate) pauses: control::PauseCache,
    /// The retries of failed scheduled runs this instance holds.
    pub(crate) retries: Retries,
    /// When this scheduler started: lateness is judged only for ticks after it.
    pub(crate) started_at: std::sync::OnceLock<DateTime<Utc>>,
    /// The runtime the scheduler was started on: runs live there, whatever task (an HTTP
    /// worker's, say) triggered them.
    pub(crate) runtime: std::sync::OnceLock<tokio::runtime::Handle>,
    /// The run queue of the limit of runs at once, when there is one.
    pub(crate) queue: std::sync::OnceLock<queue::Dispatcher>,
}

/// Builds and starts a scheduler.
pub struct Scheduler {
    shared: Arc<Shared>,
}

impl Scheduler {
    /// A scheduler that runs `jobs` through `runner`.
    pub fn new(
        runner: Arc<TrackedRunner>,
        jobs: Vec<ScheduledJob>,
        settings: SchedulerSettings,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                runner,
                jobs: jobs::JobSet::new(jobs, settings.job_retries.clone()),
                settings,
                runs: TaskTracker::new(),
                cancel_runs: CancelToken::new(),
                running: Mutex::new(HashMap::new()),
                watch: Watch::default(),
                fire_times: FireTimes::default(),
                pauses: control::PauseCache::default(),
                retries: Retries::default(),
                started_at: std::sync::OnceLock::new(),
                runtime: std::sync::OnceLock::new(),
                queue: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Limits how many runs go on at once across every instance sharing `queue` (scheduled
    /// runs wait for a turn in order of due time; manual runs take one at once).
    pub fn with_run_queue(
        self,
        queue: Arc<dyn propimport_domain::RunQueue>,
        limits: propimport_domain::RunLimits,
    ) -> Self {
        let _ = self.shared.queue.set(queue::Dispatcher::new(queue, limits));
        self
    }

    /// Recovers abandoned runs, runs missed ticks per the policy, and starts a tick loop per
    /// scheduled job (and the retention task). Every task is owned by the returned handle.
    pub async fn start(self) -> SchedulerHandle {
        let shared = self.shared;
        let _ = shared.runtime.set(tokio::runtime::Handle::current());
        let _ = shared.started_at.set(shared.now());
        shared.recover_stale().await;
        let stop_ticking = CancelToken::new();
        let mut loops = Vec::new();
        for job in shared.jobs.list().iter().filter(|j| j.schedule.is_some()) {
            shared.catch_up(job).await;
        }
        shared.start_tick_loops(&stop_ticking);
        {
            let (shared, stop) = (shared.clone(), stop_ticking.clone());
            loops.push(tokio::spawn(async move { shared.watchdog(stop).await }));
        }
        {
            let (shared, stop) = (shared.clone(), stop_ticking.clone());
            loops.push(tokio::spawn(async move { shared.retry_loop(stop).await }));
        }
        if shared.dispatcher().is_some() {
            let (shared, stop) = (shared.clone(), stop_ticking.clone());
            loops.push(tokio::spawn(async move { shared.queue_loop(stop).await }));
        }
        if let Some((policy, schedule)) = shared.settings.retention.clone() {
            let (shared, stop) = (shared.clone(), stop_ticking.clone());
            loops.push(tokio::spawn(async move {
                shared.retention_loop(policy, schedule, stop).await
            }));
        }
        SchedulerHandle {
            shared,
            stop_ticking,
            loops: std::sync::Mutex::new(loops),
        }
    }
}

impl Shared {
    pub(crate) fn store(&self) -> &Arc<dyn ExecutionStore> {
        self.runner.store()
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.runner.clock().now()
    }

    /// Marks FAILED the runs of other (dead) instances that stopped heartbeating (the runs this
    /// process drives are never among them, whatever their last heartbeat); gives how many.
    pub(crate) async fn recover_stale(&self) -> usize {
        let keep: Vec<ExecutionId> = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|r| r.execution.id)
            .collect();
        match self
            .store()
            .recover_stale(self.now(), self.settings.lease, &keep)
            .await
        {
            Ok(recovered) => {
                for e in &recovered {
                    tracing::warn!(execution_id = %e.id, job_name = %e.job_name, last_error = e.last_error.as_deref().unwrap_or(""), "abandoned run marked FAILED");
                    metrics::counter!("propimport_abandoned_runs_total", "job_name" => e.job_name.to_string())
                        .increment(1);
                }
                recovered.len()
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not look for abandoned runs");
                0
            }
        }
    }

    pub(crate) fn running_here(&self, job: &JobName) -> Option<Execution> {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(job)
            .map(|r| r.execution.clone())
    }

    /// The runs this process drives now.
    pub(crate) fn runs_here(&self) -> Vec<RunEntry> {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// Creates the RUNNING record of a first attempt, then drives the run on a tracked task.
    pub(crate) async fn spawn_run(
        self: &Arc<Self>,
        job: Arc<dyn Job>,
        triggered_by: TriggeredBy,
        tick: Option<DateTime<Utc>>,
    ) -> Result<Execution, TriggerRefusal> {
        self.spawn_attempt(job, triggered_by, tick, 1).await
    }

    /// Creates the RUNNING record of `attempt`, then drives the run on a tracked task; a
    /// scheduled run that fails by itself is held for a retry when its policy allows one.
    /// Once the shutdown waits for the runs, no run starts: [`TriggerRefusal::ShuttingDown`].
    pub(crate) async fn spawn_attempt(
        self: &Arc<Self>,
        job: Arc<dyn Job>,
        triggered_by: TriggeredBy,
        tick: Option<DateTime<Utc>>,
        attempt: i32,
    ) -> Result<Execution, TriggerRefusal> {
        if self.runs.is_closed() {
            return Err(TriggerRefusal::ShuttingDown);
        }
        // A RUNNING row in the way may be a dead instance's: recover abandoned runs and try
        // once more (the watchdog sweeps too; this spares a run the wait for its next sweep).
        let runner = &self.runner;
        let mut started = match runner
            .begin_attempt(job.clone(), triggered_by.clone(), tick, attempt)
            .await
        {
            Err(Error::AlreadyRunning { .. }) if self.recover_stale().await > 0 => {
                runner
                    .begin_attempt(job, triggered_by.clone(), tick, attempt)
                    .await?
            }
            other => other?,
        };
        if let (TriggeredBy::Cron, Some(tick)) = (&triggered_by, tick) {
            started.retry = self.retry_plan(&started.execution.job_name, tick, attempt);
        }
        let execution = started.execution.clone();
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                execution.job_name.clone(),
                RunEntry {
                    execution: execution.clone(),
                    progress: started.progress.clone(),
                    beat_now: started.beat_now.clone(),
                },
            );
        let shared = self.clone();
        let run = async move {
            let name = started.execution.job_name.clone();
            match shared
                .runner
                .drive_run(started, shared.cancel_runs.clone())
                .await
            {
                Ok((finished, Some(due_at))) => {
                    if let Some(tick) = finished.execution.scheduled_for {
                        let retry = PendingRetry {
                            tick,
                            attempt: finished.execution.attempt.saturating_add(1),
                            last_attempt: i32::try_from(shared.retry_policy(&name).retries)
                                .map_or(i32::MAX, |r| r.saturating_add(1)),
                            due_at,
                        };
                        shared.hold_retry(&name, retry);
                    }
                }
                // Logged by the runner with the run's own outcome.
                Ok((_, None)) | Err(Error::NotRunning { .. }) => {}
                Err(e) => {
                    tracing::error!(job_name = %name, error = %e, "run could not be recorded")
                }
            }
            shared.end_turn_here(&name).await;
            shared
                .running
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&name);
        };
        match self.runtime.get() {
            Some(runtime) => drop(self.runs.spawn_on(run, runtime)),
            None => drop(self.runs.spawn(run)),
        }
        Ok(execution)
    }

    pub(crate) fn find_job(&self, name: Option<&JobName>) -> Result<ScheduledJob, TriggerRefusal> {
        match name {
            Some(name) => self
                .jobs
                .find(name)
                .ok_or_else(|| TriggerRefusal::UnknownJob {
                    name: name.to_string(),
                    configured: self.configured(),
                }),
            None => match self.jobs.list().as_slice() {
                [only] => Ok(only.clone()),
                _ => Err(TriggerRefusal::JobRequired(self.configured())),
            },
        }
    }

    /// The configured job names, comma-separated.
    pub(crate) fn configured(&self) -> String {
        self.jobs
            .list()
            .iter()
            .map(|j| j.job.name().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
