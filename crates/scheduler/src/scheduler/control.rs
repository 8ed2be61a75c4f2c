//! Operator control in the scheduler: paused jobs, whose scheduled ticks are skipped (their
//! state read from the store through a short-lived cache that every tick loop shares), and
//! cancel requests, recorded in the store for the instance running the execution (a run
//! driven here is woken to see its request at once; another instance sees it at its next
//! heartbeat).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::{
    CancelRequest, ControlRefusal, Error, Execution, ExecutionId, JobName, JobPause,
};
use tokio::time::Instant;

use crate::SchedulerHandle;
use crate::scheduler::Shared;

/// How long the paused jobs read from the store are used before they are read again: the
/// ticks of every job due at one time share one read, and a pause recorded by another
/// instance is obeyed from the first tick after this.
pub(crate) const PAUSES_TTL: Duration = Duration::from_secs(1);

/// The paused jobs last read from the store, and when.
#[derive(Debug, Default)]
pub(crate) struct PauseCache(Mutex<Option<(Instant, Arc<Vec<JobPause>>)>>);

impl PauseCache {
    fn slot(&self) -> MutexGuard<'_, Option<(Instant, Arc<Vec<JobPause>>)>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets the last read (this instance paused or resumed a job).
    pub(crate) fn clear(&self) {
        *self.slot() = None;
    }

    fn keep(&self, pauses: Arc<Vec<JobPause>>) {
        *self.slot() = Some((Instant::now(), pauses));
    }
}

impl Shared {
    /// The paused jobs, read from the store at most once per [`PAUSES_TTL`] (the status
    /// pages share the ticks' read); the store's error when it must be read and cannot.
    pub(crate) async fn pauses_read(&self) -> Result<Arc<Vec<JobPause>>, Error> {
        if let Some((read_at, pauses)) = self.pauses.slot().clone()
            && read_at.elapsed() < PAUSES_TTL
        {
            return Ok(pauses);
        }
        let pauses = Arc::new(self.store().paused_jobs().await?);
        self.pauses.keep(pauses.clone());
        Ok(pauses)
    }

    /// The paused jobs: read from the store at most once per [`PAUSES_TTL`]; when the store
    /// cannot be read, the last read (if any) stands.
    pub(crate) async fn pauses(&self) -> Arc<Vec<JobPause>> {
        let kept = self.pauses.slot().clone();
        if let Some((read_at, pauses)) = &kept
            && read_at.elapsed() < PAUSES_TTL
        {
            return pauses.clone();
        }
        match self.store().paused_jobs().await {
            Ok(pauses) => {
                let pauses = Arc::new(pauses);
                self.pauses.keep(pauses.clone());
                pauses
            }
            Err(e) => {
                tracing::debug!(error = %e, "cannot read the paused jobs; using the last known");
                kept.map(|(_, pauses)| pauses).unwrap_or_default()
            }
        }
    }

    /// The job's pause, if it is paused.
    pub(crate) async fn pause_of(&self, job: &JobName) -> Option<JobPause> {
        self.pauses()
            .await
            .iter()
            .find(|p| &p.job_name == job)
            .cloned()
    }

    /// Whether the tick of `job` is skipped because the job is paused: the skip is logged and
    /// counted, and the tick needs no run (so a paused job is never late).
    pub(crate) async fn skip_paused(&self, job: &JobName, tick: DateTime<Utc>) -> bool {
        let Some(pause) = self.pause_of(job).await else {
            return false;
        };
        tracing::info!(
            job_name = %job,
            tick = %tick,
            paused_by = %pause.paused_by,
            paused_at = %pause.paused_at,
            reason = pause.reason.as_deref().unwrap_or(""),
            "tick skipped: the job is paused"
        );
        metrics::counter!("propimport_paused_ticks_total", "job_name" => job.to_string())
            .increment(1);
        self.watch.ran(job, tick);
        true
    }
}

impl SchedulerHandle {
    /// Pauses a configured job for `by`: every instance skips its scheduled ticks from the
    /// next one (this instance at once, the others within a second) until it is resumed; it
    /// can still be triggered by hand, and a run in progress goes on. Pausing a paused job
    /// keeps its first pause, which is returned.
    pub async fn pause(
        &self,
        job: &JobName,
        by: &str,
        reason: Option<&str>,
    ) -> Result<JobPause, ControlRefusal> {
        let job = self.known(job)?;
        let pause = JobPause::new(job, by, self.shared.now(), reason);
        let stored = self.shared.store().pause_job(&pause).await?;
        self.shared.pauses.clear();
        tracing::info!(job_name = %stored.job_name, paused_by = %stored.paused_by, by, reason = stored.reason.as_deref().unwrap_or(""), "job paused: its scheduled ticks are skipped until it is resumed");
        Ok(stored)
    }

    /// Resumes a configured job: its next scheduled tick runs again (a tick skipped while it
    /// was paused is not made up). Gives the pause lifted, `None` when it was not paused.
    pub async fn resume(
        &self,
        job: &JobName,
        by: &str,
    ) -> Result<Option<JobPause>, ControlRefusal> {
        let job = self.known(job)?;
        let lifted = self.shared.store().resume_job(&job).await?;
        self.shared.pauses.clear();
        tracing::info!(job_name = %job, by, was_paused = lifted.is_some(), "job resumed");
        Ok(lifted)
    }

    /// The paused jobs, read from the store now.
    pub async fn paused_jobs(&self) -> Result<Vec<JobPause>, Error> {
        self.shared.store().paused_jobs().await
    }

    /// Asks for the RUNNING execution `id` (of any instance) to be cancelled by `by`: the
    /// request is recorded on it, and the instance running it stops the job at its next
    /// heartbeat (at once when it runs here) and records it FAILED "cancelled by `by`".
    /// Fails with [`Error::NotFound`], or [`Error::NotRunning`] when it has ended.
    pub async fn cancel(&self, id: &ExecutionId, by: &str) -> Result<Execution, ControlRefusal> {
        let request = CancelRequest::new(by, self.shared.now());
        let execution = self.shared.store().request_cancel(id, &request).await?;
        let here = self
            .shared
            .runs_here()
            .into_iter()
            .find(|r| &r.execution.id == id);
        tracing::info!(execution_id = %id, job_name = %execution.job_name, by, runs_here = here.is_some(), "cancel of the run requested");
        if let Some(run) = here {
            run.beat_now.notify_one();
        }
        Ok(execution)
    }

    fn known(&self, job: &JobName) -> Result<JobName, ControlRefusal> {
        if self.shared.jobs.find(job).is_some() {
            Ok(job.clone())
        } else {
            Err(ControlRefusal::UnknownJob {
                name: job.to_string(),
                configured: self.shared.configured(),
            })
        }
    }
}
