//! The scheduler's jobs, which may change while it runs ([`SchedulerHandle::set_jobs`]): the
//! current list (read as a snapshot by every task), each job's own retry policy, and a tick
//! loop per scheduled job, stopped and started as jobs come, change and go.
//!
//! A job whose `Job` or schedule changed gets a new tick loop, which starts from the moment
//! of the change; its lateness and fire times are worked out again from then, and a pending
//! retry of a removed job is dropped. A run in progress goes on to its end whatever happens
//! to its job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use chrono::{DateTime, Utc};
use propimport_domain::{CancelToken, JobName};
use tokio::task::JoinHandle;

use super::Shared;
use crate::retry::RunRetryPolicy;
use crate::{ScheduledJob, SchedulerHandle};

/// The current jobs and their tick loops.
#[derive(Default)]
pub(crate) struct JobSet {
    list: RwLock<Arc<Vec<ScheduledJob>>>,
    retries: RwLock<Arc<HashMap<JobName, RunRetryPolicy>>>,
    loops: Mutex<Loops>,
}

#[derive(Default)]
struct Loops {
    running: HashMap<JobName, TickLoop>,
    /// Loops stopped by a change, joined at shutdown.
    retired: Vec<JoinHandle<()>>,
}

/// A job's tick loop and what it was started for.
struct TickLoop {
    job: ScheduledJob,
    stop: CancelToken,
    handle: JoinHandle<()>,
    /// From when the loop judges lateness (its start).
    since: DateTime<Utc>,
}

/// What a change of the jobs did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobChanges {
    /// Jobs that were not there before.
    pub added: usize,
    /// Jobs whose job or schedule changed.
    pub changed: usize,
    /// Jobs no longer there.
    pub removed: usize,
}

/// Whether `a` and `b` are the same job on the same schedule.
fn same(a: &ScheduledJob, b: &ScheduledJob) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(&a.job), Arc::as_ptr(&b.job))
        && match (&a.schedule, &b.schedule) {
            (None, None) => true,
            (Some(x), Some(y)) => x == y,
            _ => false,
        }
}

impl JobSet {
    /// A set of `jobs` with their own retry policies (no loops yet).
    pub(crate) fn new(jobs: Vec<ScheduledJob>, retries: HashMap<JobName, RunRetryPolicy>) -> Self {
        Self {
            list: RwLock::new(Arc::new(jobs)),
            retries: RwLock::new(Arc::new(retries)),
            loops: Mutex::new(Loops::default()),
        }
    }

    /// The current jobs.
    pub(crate) fn list(&self) -> Arc<Vec<ScheduledJob>> {
        self.list
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The current job of that name.
    pub(crate) fn find(&self, name: &JobName) -> Option<ScheduledJob> {
        self.list().iter().find(|j| j.job.name() == name).cloned()
    }

    /// The job's own retry policy, if it has one.
    pub(crate) fn retry_policy(&self, name: &JobName) -> Option<RunRetryPolicy> {
        self.retries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// From when the job's ticks can be late: when its tick loop started.
    pub(crate) fn watched_since(&self, name: &JobName) -> Option<DateTime<Utc>> {
        self.loops().running.get(name).map(|l| l.since)
    }

    fn loops(&self) -> std::sync::MutexGuard<'_, Loops> {
        self.loops.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether every tick loop is alive.
    pub(crate) fn loops_alive(&self) -> bool {
        self.loops()
            .running
            .values()
            .all(|l| !l.handle.is_finished())
    }

    /// Takes every loop's handle (after the caller stopped them all), to be joined.
    pub(crate) fn take_handles(&self) -> Vec<JoinHandle<()>> {
        let mut loops = self.loops();
        let mut handles = std::mem::take(&mut loops.retired);
        handles.extend(loops.running.drain().map(|(_, l)| l.handle));
        handles
    }
}

impl Shared {
    /// Starts the tick loop of every scheduled job of the set that has none.
    pub(crate) fn start_tick_loops(self: &Arc<Self>, stop_ticking: &CancelToken) {
        let now = self.now();
        let mut loops = self.jobs.loops();
        for job in self.jobs.list().iter() {
            if job.schedule.is_none() || loops.running.contains_key(job.job.name()) {
                continue;
            }
            let stop = CancelToken::new();
            let (shared, job_, all, own) = (
                self.clone(),
                job.clone(),
                stop_ticking.clone(),
                stop.clone(),
            );
            let run = async move { shared.tick_loop(job_, all, own).await };
            let handle = match self.runtime.get() {
                Some(runtime) => runtime.spawn(run),
                None => tokio::spawn(run),
            };
            loops.running.insert(
                job.job.name().clone(),
                TickLoop {
                    job: job.clone(),
                    stop,
                    handle,
                    since: now,
                },
            );
        }
    }

    /// Replaces the jobs: stops the loops of jobs removed or changed, forgets what was known
    /// of them, and starts loops for the new and changed ones.
    fn replace_jobs(
        self: &Arc<Self>,
        jobs: Vec<ScheduledJob>,
        retries: HashMap<JobName, RunRetryPolicy>,
        stop_ticking: &CancelToken,
    ) -> JobChanges {
        let old = self.jobs.list();
        let mut changes = JobChanges::default();
        for job in &jobs {
            match old.iter().find(|o| o.job.name() == job.job.name()) {
                None => changes.added += 1,
                Some(o) if !same(o, job) => changes.changed += 1,
                Some(_) => {}
            }
        }
        let removed: Vec<JobName> = old
            .iter()
            .map(|o| o.job.name())
            .filter(|name| !jobs.iter().any(|j| j.job.name() == *name))
            .cloned()
            .collect();
        changes.removed = removed.len();
        *self
            .jobs
            .list
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(jobs);
        *self
            .jobs
            .retries
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(retries);
        {
            let list = self.jobs.list();
            let mut loops = self.jobs.loops();
            let stale: Vec<JobName> = loops
                .running
                .iter()
                .filter(|(name, l)| {
                    !list
                        .iter()
                        .any(|j| j.job.name() == *name && same(j, &l.job))
                })
                .map(|(name, _)| name.clone())
                .collect();
            for name in stale {
                if let Some(l) = loops.running.remove(&name) {
                    l.stop.cancel();
                    loops.retired.push(l.handle);
                }
                self.fire_times.forget(&name);
                self.watch.forget(&name);
            }
            loops.retired.retain(|h| !h.is_finished());
        }
        for name in &removed {
            self.retries.supersede(name, None, "the job's removal");
        }
        if !stop_ticking.is_cancelled() {
            self.start_tick_loops(stop_ticking);
        }
        changes
    }
}

impl SchedulerHandle {
    /// Replaces the scheduler's jobs while it runs (sources changed at run time): jobs added
    /// start ticking from now, jobs changed (another `Job`, another schedule) start again from
    /// now, jobs removed stop ticking and lose their pending retry; runs in progress go on.
    /// `retries` are the jobs' own retry policies. Jobs are told apart by name.
    pub fn set_jobs(
        &self,
        jobs: Vec<ScheduledJob>,
        retries: HashMap<JobName, RunRetryPolicy>,
    ) -> JobChanges {
        self.shared.replace_jobs(jobs, retries, &self.stop_ticking)
    }
}
