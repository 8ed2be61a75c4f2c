//! The scheduler: a tick loop per scheduled job, manual triggers, the overlap guard, missed
//! ticks (at start-up and during a database outage), the retention task, status, and a
//! bounded graceful shutdown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::{
    CancelToken, Error, Execution, ExecutionId, ExecutionStore, Job, JobName, ProgressHandle,
    RetentionPolicy, TriggeredBy,
};
use tokio_util::task::TaskTracker;

use crate::clock::sleep_until;
use crate::watch::Watch;
use crate::{CronSchedule, SchedulerHandle, TrackedRunner, TriggerError};

/// The first wait before a tick that could not be recorded is tried again.
const RETRY_FIRST: Duration = Duration::from_secs(1);
/// The longest wait between tries of a tick that could not be recorded.
const RETRY_MAX: Duration = Duration::from_secs(15);

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
        }
    }
}

/// A run this process drives: its RUNNING execution and its live counts.
#[derive(Clone)]
pub(crate) struct RunEntry {
    pub(crate) execution: Execution,
    pub(crate) progress: ProgressHandle,
}

/// What became of a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TickOutcome {
    /// A run started, or the tick needs none (run elsewhere, or a run is in progress).
    Decided,
    /// The tick could not be recorded (the database is unavailable): it is missed for now.
    Unrecorded,
}

pub(crate) struct Shared {
    pub(crate) runner: Arc<TrackedRunner>,
    pub(crate) jobs: Vec<ScheduledJob>,
    pub(crate) settings: SchedulerSettings,
    /// Runs in flight, owned here and awaited on shutdown.
    pub(crate) runs: TaskTracker,
    /// Cancelled once the shutdown grace has passed: running jobs stop.
    pub(crate) cancel_runs: CancelToken,
    /// This process's view of what runs (job → execution); the database has the last word.
    pub(crate) running: Mutex<HashMap<JobName, RunEntry>>,
    /// Per job: missed ticks and lateness.
    pub(crate) watch: Watch,
    /// When this scheduler started: lateness is judged only for ticks after it.
    pub(crate) started_at: std::sync::OnceLock<DateTime<Utc>>,
    /// The runtime the scheduler was started on: runs live there, whatever task (an HTTP
    /// worker's, say) triggered them.
    pub(crate) runtime: std::sync::OnceLock<tokio::runtime::Handle>,
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
                jobs,
                settings,
                runs: TaskTracker::new(),
                cancel_runs: CancelToken::new(),
                running: Mutex::new(HashMap::new()),
                watch: Watch::default(),
                started_at: std::sync::OnceLock::new(),
                runtime: std::sync::OnceLock::new(),
            }),
        }
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
        for job in shared.jobs.iter().filter(|j| j.schedule.is_some()).cloned() {
            shared.catch_up(&job).await;
            let (shared, stop) = (shared.clone(), stop_ticking.clone());
            loops.push(tokio::spawn(
                async move { shared.tick_loop(job, stop).await },
            ));
        }
        {
            let (shared, stop) = (shared.clone(), stop_ticking.clone());
            loops.push(tokio::spawn(async move { shared.watchdog(stop).await }));
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
                    metrics::counter!("propimport_abandoned_runs_total", "job" => e.job_name.to_string())
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

    /// Runs the latest missed tick of a job once, when the policy says so.
    async fn catch_up(self: &Arc<Self>, job: &ScheduledJob) {
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
    /// it is retried with growing delays until the database answers, and then handled by the
    /// misfire policy as at start-up (run once if within the grace, else skipped); a newer
    /// tick supersedes it, so an outage never ends in a burst of runs.
    async fn tick_loop(self: Arc<Self>, job: ScheduledJob, stop: CancelToken) {
        let Some(schedule) = job.schedule.clone() else {
            return;
        };
        let name = job.job.name().clone();
        let mut after = self.now();
        let mut missed: Option<DateTime<Utc>> = None;
        let mut retry = RETRY_FIRST;
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
                    retry = RETRY_FIRST;
                }
                TickOutcome::Unrecorded => {
                    if !is_retry {
                        self.watch.missed(&name, tick);
                    }
                    missed = Some(tick);
                    retry = if is_retry {
                        (retry * 2).min(RETRY_MAX)
                    } else {
                        RETRY_FIRST
                    };
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

    /// Starts the run of one tick in the background, unless a run of the job is in progress.
    async fn run_tick(self: &Arc<Self>, job: &Arc<dyn Job>, tick: DateTime<Utc>) -> TickOutcome {
        let name = job.name().clone();
        if let Some(running) = self.running_here(&name) {
            tracing::warn!(job_name = %name, tick = %tick, running_execution_id = %running.id, "tick skipped: the previous run is still in progress");
            metrics::counter!("propimport_skipped_ticks_total", "job" => name.to_string())
                .increment(1);
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
            Err(Error::AlreadyRunning { execution_id, .. }) => {
                tracing::warn!(job_name = %name, tick = %tick, running_execution_id = %execution_id, "tick skipped: a run is in progress on another instance");
                metrics::counter!("propimport_skipped_ticks_total", "job" => name.to_string())
                    .increment(1);
                TickOutcome::Decided
            }
            Err(Error::TickAlreadyClaimed { .. }) => {
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

    /// Creates the RUNNING record, then drives the run on a tracked task.
    pub(crate) async fn spawn_run(
        self: &Arc<Self>,
        job: Arc<dyn Job>,
        triggered_by: TriggeredBy,
        tick: Option<DateTime<Utc>>,
    ) -> Result<Execution, Error> {
        if self.runs.is_closed() {
            return Err(Error::Unavailable("the scheduler is shutting down".into()));
        }
        // A RUNNING row in the way may be a dead instance's: recover abandoned runs and try
        // once more (the watchdog sweeps too; this spares a run the wait for its next sweep).
        let started = match self
            .runner
            .begin(job.clone(), triggered_by.clone(), tick)
            .await
        {
            Err(Error::AlreadyRunning { .. }) if self.recover_stale().await > 0 => {
                self.runner.begin(job, triggered_by, tick).await?
            }
            other => other?,
        };
        let execution = started.execution.clone();
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                execution.job_name.clone(),
                RunEntry {
                    execution: execution.clone(),
                    progress: started.progress.clone(),
                },
            );
        let shared = self.clone();
        let run = async move {
            let name = started.execution.job_name.clone();
            match shared
                .runner
                .drive(started, shared.cancel_runs.clone())
                .await
            {
                // Logged by the runner with the run's own outcome.
                Ok(_) | Err(Error::NotRunning { .. }) => {}
                Err(e) => {
                    tracing::error!(job_name = %name, error = %e, "run could not be recorded")
                }
            }
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

    async fn retention_loop(
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
            match self.store().purge(&policy, self.now()).await {
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
        }
    }

    pub(crate) fn find_job(&self, name: Option<&JobName>) -> Result<&ScheduledJob, TriggerError> {
        match name {
            Some(name) => self
                .jobs
                .iter()
                .find(|j| j.job.name() == name)
                .ok_or_else(|| TriggerError::UnknownJob(name.to_string())),
            None => match self.jobs.as_slice() {
                [only] => Ok(only),
                jobs => Err(TriggerError::JobRequired(
                    jobs.iter()
                        .map(|j| j.job.name().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                )),
            },
        }
    }
}
