//! Tracked runs: every run of a job becomes an execution record that goes from RUNNING to
//! SUCCESS, PARTIAL or FAILED, with heartbeats and live counts in between.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::{
    CancelToken, Clock, Error, ErrorLog, Execution, ExecutionStatus, ExecutionStore,
    FinishExecution, FinishedRun, Job, JobContext, NewExecution, ProgressHandle, RetryDecision,
    RetryPolicy, TriggeredBy,
};
use tokio::sync::Notify;

use crate::alerts::Alerts;
use crate::clock::sleep_for;
use crate::outcome::{FORCED_SHUTDOWN, Stop, failure, finish_of};
use crate::retry::RetryPlan;

mod record;
mod settings;

pub use record::RUN_LOG_TARGET;
use record::record_finished;
pub use settings::{RunSettings, default_instance_id};

/// Runs jobs as tracked executions.
pub struct TrackedRunner {
    store: Arc<dyn ExecutionStore>,
    clock: Arc<dyn Clock>,
    alerts: Arc<Alerts>,
    settings: RunSettings,
}

/// A run whose RUNNING record exists; [`TrackedRunner::drive`] runs it to its end.
pub struct StartedRun {
    /// The RUNNING execution.
    pub execution: Execution,
    /// The run's live counts, written by the job and read by the heartbeat.
    pub progress: ProgressHandle,
    /// Wakes the run's driver to write its heartbeat now (and so see a cancel request at once).
    pub(crate) beat_now: Arc<Notify>,
    /// The retry it gets if it fails by itself (scheduled runs): then it raises no alert.
    pub retry: Option<RetryPlan>,
    job: Arc<dyn Job>,
}

impl TrackedRunner {
    /// A runner recording into `store`.
    pub fn new(
        store: Arc<dyn ExecutionStore>,
        clock: Arc<dyn Clock>,
        alerts: Arc<Alerts>,
        settings: RunSettings,
    ) -> Self {
        Self {
            store,
            clock,
            alerts,
            settings,
        }
    }

    /// The store it records into.
    pub fn store(&self) -> &Arc<dyn ExecutionStore> {
        &self.store
    }

    /// The clock it reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The alerts it raises.
    pub fn alerts(&self) -> &Arc<Alerts> {
        &self.alerts
    }

    /// The instance it records runs as.
    pub fn instance_id(&self) -> &str {
        &self.settings.instance_id
    }

    /// How writes that find the store unavailable are tried again.
    pub fn store_retry(&self) -> &RetryPolicy {
        &self.settings.store_retry
    }

    /// Creates the RUNNING execution. Fails with [`Error::AlreadyRunning`] when a run of the
    /// job is in progress anywhere, or [`Error::TickAlreadyClaimed`] when the tick was run.
    pub async fn begin(
        &self,
        job: Arc<dyn Job>,
        triggered_by: TriggeredBy,
        scheduled_for: Option<DateTime<Utc>>,
    ) -> Result<StartedRun, Error> {
        self.begin_attempt(job, triggered_by, scheduled_for, 1)
            .await
    }

    /// Creates the RUNNING execution of one attempt at a tick (1, or more for a retry); the
    /// store refuses an attempt already made with [`Error::TickAlreadyClaimed`].
    pub async fn begin_attempt(
        &self,
        job: Arc<dyn Job>,
        triggered_by: TriggeredBy,
        scheduled_for: Option<DateTime<Utc>>,
        attempt: i32,
    ) -> Result<StartedRun, Error> {
        let new = NewExecution {
            id: propimport_domain::ExecutionId::new(),
            job_name: job.name().clone(),
            triggered_by,
            started_at: self.clock.now(),
            scheduled_for,
            attempt,
            instance_id: Some(self.settings.instance_id.clone()),
        };
        let execution = self.store.create_running(new).await?;
        tracing::info!(
            execution_id = %execution.id,
            job_name = %execution.job_name,
            triggered_by = %execution.triggered_by,
            attempt,
            "run started"
        );
        Ok(StartedRun {
            execution,
            progress: ProgressHandle::new(),
            beat_now: Arc::new(Notify::new()),
            retry: None,
            job,
        })
    }

    /// Begins and drives a run.
    pub async fn run_tracked(
        &self,
        job: Arc<dyn Job>,
        triggered_by: TriggeredBy,
        scheduled_for: Option<DateTime<Utc>>,
        cancel: CancelToken,
    ) -> Result<FinishedRun, Error> {
        let started = self.begin(job, triggered_by, scheduled_for).await?;
        self.drive(started, cancel).await
    }

    /// Runs a started job to its end: heartbeats while it runs, catches a panic, watches its
    /// duration, records the outcome, raises alerts. `cancel` is the shutdown signal; a run
    /// cancelled by it is recorded as FAILED "interrupted by shutdown" with its counts so far.
    /// A cancel request an operator recorded on the execution (from any instance) is seen with
    /// the next heartbeat: the job is stopped and the run recorded FAILED "cancelled by …".
    pub async fn drive(
        &self,
        started: StartedRun,
        cancel: CancelToken,
    ) -> Result<FinishedRun, Error> {
        self.drive_run(started, cancel).await.map(|(run, _)| run)
    }

    /// [`Self::drive`], also giving when the retry of a run that failed by itself (not stopped
    /// from outside) is due, if its [`RetryPlan`] allows one (the failure then alerts nothing).
    pub(crate) async fn drive_run(
        &self,
        started: StartedRun,
        cancel: CancelToken,
    ) -> Result<(FinishedRun, Option<DateTime<Utc>>), Error> {
        let StartedRun {
            execution,
            progress,
            beat_now,
            retry,
            job,
        } = started;
        // The job gets its own token, so losing the lease or an operator's cancel can stop it
        // without stopping others.
        let job_cancel = CancelToken::new();
        let ctx = JobContext {
            cancel: job_cancel.clone(),
            progress: progress.clone(),
        };
        let mut task = tokio::spawn(async move { job.run(ctx).await });
        let mut heartbeat = tokio::time::interval(self.settings.heartbeat_interval);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.tick().await;
        let mut stop = Stop::None;
        let mut overlong_alerted = false;
        let outcome = loop {
            tokio::select! {
                joined = &mut task => break joined,
                () = cancel.cancelled(), if !job_cancel.is_cancelled() => {
                    stop = Stop::Shutdown;
                    job_cancel.cancel();
                }
                () = beat_now.notified() => {
                    self.beat(&execution, &progress, &mut stop, &job_cancel).await;
                }
                _ = heartbeat.tick() => {
                    self.beat(&execution, &progress, &mut stop, &job_cancel).await;
                    if !overlong_alerted && let Some(why) = self.overlong(&execution).await {
                        overlong_alerted = true;
                        if self.settings.cancel_overlong && !job_cancel.is_cancelled() {
                            stop = Stop::Overlong(why);
                            job_cancel.cancel();
                        }
                    }
                }
            }
        };
        let finish = finish_of(outcome, progress.get().counts, &stop, self.clock.now());
        let finished = match self.finish_with_retry(&execution, &finish).await {
            Err(Error::NotRunning { status, .. }) => {
                tracing::warn!(
                    execution_id = %execution.id,
                    job_name = %execution.job_name,
                    %status,
                    outcome = %finish.status,
                    last_error = finish.last_error.as_deref().unwrap_or(""),
                    "run ended, but another instance had already recorded it as {status} (its lease lapsed); its own outcome is logged here"
                );
                return Err(Error::NotRunning {
                    execution_id: execution.id,
                    status,
                });
            }
            other => other?,
        };
        record_finished(&finished.execution);
        let e = &finished.execution;
        let retry_at = retry
            .filter(|_| stop == Stop::None && e.status == ExecutionStatus::Failed)
            .and_then(|plan| plan.due(e.completed_at.unwrap_or(finish.completed_at)));
        if retry_at.is_none() {
            self.alerts.after_finish(&finished, self.clock.now()).await;
        }
        Ok((finished, retry_at))
    }

    /// Writes the run's heartbeat and live counts; stops the job when the run lost its lease
    /// (another instance recorded it) or an operator asked for it to be cancelled.
    async fn beat(
        &self,
        execution: &Execution,
        progress: &ProgressHandle,
        stop: &mut Stop,
        job_cancel: &CancelToken,
    ) {
        match self
            .store
            .heartbeat(&execution.id, &progress.get(), self.clock.now())
            .await
        {
            Ok(None) => {}
            Ok(Some(request)) => {
                if !job_cancel.is_cancelled() {
                    tracing::info!(execution_id = %execution.id, job_name = %execution.job_name, cancelled_by = %request.by, "an operator asked for the run to be cancelled; stopping it");
                    *stop = Stop::Cancelled(request);
                    job_cancel.cancel();
                }
            }
            Err(Error::NotRunning { status, .. }) => {
                tracing::error!(execution_id = %execution.id, %status, "run lost its lease (recorded as {status} elsewhere); stopping it");
                *stop = Stop::LeaseLost;
                job_cancel.cancel();
            }
            Err(e) => {
                tracing::warn!(execution_id = %execution.id, error = %e, "heartbeat not written")
            }
        }
    }

    /// Whether the run has passed the maximum duration: if so it alerts (once per call site)
    /// and returns the `lastError` a cancellation for it would carry.
    async fn overlong(&self, execution: &Execution) -> Option<String> {
        let max = self.settings.max_duration?;
        let ran = (self.clock.now() - execution.started_at).to_std().ok()?;
        if ran < max {
            return None;
        }
        let shown = humantime::format_duration(Duration::from_secs(max.as_secs()));
        tracing::warn!(
            execution_id = %execution.id,
            job_name = %execution.job_name,
            max_duration = %shown,
            cancelling = self.settings.cancel_overlong,
            "run is longer than the maximum duration"
        );
        self.alerts
            .overlong(execution, max, self.settings.cancel_overlong)
            .await;
        Some(format!(
            "cancelled: ran longer than the maximum duration of {shown} (IMPORT_MAX_RUN_DURATION)"
        ))
    }

    /// Records a run that is still going as FAILED "interrupted: forced shutdown" with its
    /// counts so far: the process is about to exit without waiting for it.
    pub async fn record_forced_exit(
        &self,
        execution: &Execution,
        progress: &ProgressHandle,
    ) -> Result<FinishedRun, Error> {
        let finish = failure(
            progress.get().counts,
            ErrorLog::default(),
            FORCED_SHUTDOWN.to_owned(),
            None,
            self.clock.now(),
        );
        let finished = self.store.finish(&execution.id, finish).await?;
        record_finished(&finished.execution);
        Ok(finished)
    }

    /// Finishes the record, retrying while the store is unavailable as the store retry policy
    /// says (by default with growing delays of at most 15 s, until it answers), waiting on the
    /// runner's clock: a database outage during the run does not lose its outcome, and the
    /// run stays this instance's (never "abandoned" by itself) meanwhile.
    async fn finish_with_retry(
        &self,
        execution: &Execution,
        finish: &FinishExecution,
    ) -> Result<FinishedRun, Error> {
        let started = self.clock.now();
        let mut attempts = self.settings.store_retry.start();
        loop {
            let reason = match self.store.finish(&execution.id, finish.clone()).await {
                Err(e @ Error::Unavailable { .. }) => e,
                result => return result,
            };
            let elapsed = (self.clock.now() - started).to_std().unwrap_or_default();
            match attempts.failed(elapsed, None) {
                RetryDecision::RetryAfter(wait) => {
                    tracing::warn!(execution_id = %execution.id, %reason, retry_in_ms = wait.as_millis() as u64, "cannot record the run's end yet; retrying");
                    sleep_for(self.clock.as_ref(), wait).await;
                }
                RetryDecision::GiveUp(_) => {
                    tracing::error!(execution_id = %execution.id, %reason, attempts = attempts.failures(), "cannot record the run's end: giving up (the store retry policy's limit)");
                    return Err(reason);
                }
            }
        }
    }
}
