//! What the scheduler says of its jobs: every job at a glance ([`JobOverview`], for lists of
//! many jobs) and the whole state of some ([`JobStatus`]).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use propimport_domain::{Error, Execution, JobName, JobPause, LiveProgress};

use super::ScheduledJob;
use crate::fire_times::KEPT;
use crate::{CronSchedule, PendingRetry, SchedulerHandle, TickWatch};

/// The state of one job, for the status endpoint.
#[derive(Debug, Clone)]
pub struct JobStatus {
    /// The job.
    pub job_name: JobName,
    /// Its schedule, when it has one.
    pub schedule: Option<CronSchedule>,
    /// Whether its tick loop is running.
    pub is_scheduled: bool,
    /// The RUNNING execution of the job (on any replica), if any.
    pub running: Option<Execution>,
    /// The live progress of that execution when this instance runs it, read from memory now
    /// (the execution's own counts are those of its last heartbeat).
    pub live_progress: Option<LiveProgress>,
    /// The next fire times (UTC), at most five.
    pub next_runs: Vec<DateTime<Utc>>,
    /// Missed ticks and lateness, as this instance sees them.
    pub ticks: TickWatch,
    /// Its pause, while it is paused (its scheduled ticks are skipped).
    pub paused: Option<JobPause>,
    /// The retry of a failed tick this instance holds for the job, if any.
    pub pending_retry: Option<PendingRetry>,
    /// While its due run waits for a turn under the limit of runs at once: since when, and
    /// how many wait before it (on every instance).
    pub waiting: Option<crate::QueueWait>,
}

/// One job at a glance: what lists of many jobs filter on and metrics export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOverview {
    /// The job.
    pub job_name: JobName,
    /// Whether its tick loop is running.
    pub is_scheduled: bool,
    /// Whether a run of it is in progress (on any replica).
    pub running: bool,
    /// Whether it is late, as this instance sees it.
    pub late: bool,
    /// Whether it is paused.
    pub paused: bool,
    /// Its next fire time.
    pub next_run: Option<DateTime<Utc>>,
    /// Whether its due run waits for a turn under the limit of runs at once.
    pub waiting: bool,
}

impl SchedulerHandle {
    /// The status of every job.
    pub async fn status(&self) -> Result<Vec<JobStatus>, Error> {
        self.status_where(|_| true).await
    }

    /// The status of the configured jobs among `jobs`, in configuration order (other names
    /// are left out).
    pub async fn status_of(&self, jobs: &[JobName]) -> Result<Vec<JobStatus>, Error> {
        let wanted: HashSet<&JobName> = jobs.iter().collect();
        self.status_where(|j| wanted.contains(j.job.name())).await
    }

    async fn status_where(
        &self,
        wanted: impl Fn(&ScheduledJob) -> bool,
    ) -> Result<Vec<JobStatus>, Error> {
        let shared = &self.shared;
        let running = by_job(shared.store().running(None).await?, |e| &e.job_name);
        let paused = by_job(shared.pauses_read().await?.to_vec(), |p| &p.job_name);
        let now = shared.now();
        let ticking = !self.stop_ticking.is_cancelled();
        let here = shared.runs_here();
        let waiting = shared.dispatcher().map(|d| d.waiting()).unwrap_or_default();
        Ok(shared
            .jobs
            .list()
            .iter()
            .filter(|j| wanted(j))
            .map(|j| {
                let name = j.job.name();
                let running = running.get(name).cloned();
                let live_progress = running.as_ref().and_then(|e| {
                    here.iter()
                        .find(|r| r.execution.id == e.id)
                        .map(|r| LiveProgress {
                            progress: r.progress.get(),
                            as_of: now,
                        })
                });
                JobStatus {
                    job_name: name.clone(),
                    schedule: j.schedule.clone(),
                    is_scheduled: ticking && j.schedule.is_some(),
                    running,
                    live_progress,
                    next_runs: j
                        .schedule
                        .as_ref()
                        .map(|s| shared.fire_times.next(name, s, now, KEPT))
                        .unwrap_or_default(),
                    ticks: shared.watch.of(name),
                    paused: paused.get(name).cloned(),
                    pending_retry: shared.retries.of(name),
                    waiting: waiting.get(name).copied(),
                }
            })
            .collect())
    }

    /// Every job at a glance, in configuration order: two reads of the store (the running
    /// executions and the pauses) and what this instance knows, whatever the number of jobs.
    pub async fn overview(&self) -> Result<Vec<JobOverview>, Error> {
        let shared = &self.shared;
        let running = by_job(shared.store().running(None).await?, |e| &e.job_name);
        let paused = by_job(shared.pauses_read().await?.to_vec(), |p| &p.job_name);
        let now = shared.now();
        let ticking = !self.stop_ticking.is_cancelled();
        let waiting = shared.dispatcher().map(|d| d.waiting()).unwrap_or_default();
        Ok(shared
            .jobs
            .list()
            .iter()
            .map(|j| {
                let name = j.job.name();
                JobOverview {
                    job_name: name.clone(),
                    is_scheduled: ticking && j.schedule.is_some(),
                    running: running.contains_key(name),
                    late: shared.watch.of(name).late_tick.is_some(),
                    paused: paused.contains_key(name),
                    next_run: j
                        .schedule
                        .as_ref()
                        .and_then(|s| shared.fire_times.next(name, s, now, 1).first().copied()),
                    waiting: waiting.contains_key(name),
                }
            })
            .collect())
    }
}

/// `items` by their job (the first of a job's wins).
fn by_job<T>(items: Vec<T>, job: impl Fn(&T) -> &JobName) -> HashMap<JobName, T> {
    let mut map = HashMap::with_capacity(items.len());
    for item in items {
        map.entry(job(&item).clone()).or_insert(item);
    }
    map
}
