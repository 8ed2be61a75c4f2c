//! Tracked runs: every run of a job becomes an execution record that goes from RUNNING to
//! SUCCESS, PARTIAL or FAILED, with heartbeats and live counts in between.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::{
    CancelToken, Clock, Error, ErrorLog, Execution, ExecutionId, ExecutionStatus, ExecutionStore,
    FinishExecution, FinishedRun, ItemError, Job, JobContext, JobError, JobReport, NewExecution,
    ProgressHandle, RunCounts, TriggeredBy,
};

use crate::alerts::Alerts;

/// The `lastError` of a run cancelled by shutdown.
pub const INTERRUPTED: &str = "interrupted by shutdown";

/// How tracked runs behave.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Written into every execution this instance runs.
    pub instance_id: String,
    /// How often a running job's heartbeat and counts are written (default 10 s).
    pub heartbeat_interval: Duration,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            instance_id: default_instance_id(),
            heartbeat_interval: Duration::from_secs(10),
        }
    }
}

/// `hostname:pid`, which tells replicas apart in the execution history.
pub fn default_instance_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{}", std::process::id())
}

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

    /// Creates the RUNNING execution. Fails with [`Error::AlreadyRunning`] when a run of the
    /// job is in progress anywhere, or [`Error::TickAlreadyClaimed`] when the tick was run.
    pub async fn begin(
        &self,
        job: Arc<dyn Job>,
        triggered_by: TriggeredBy,
        scheduled_for: Option<DateTime<Utc>>,
    ) -> Result<StartedRun, Error> {
        let new = NewExecution {
            id: ExecutionId::new(),
            job_name: job.name().clone(),
            triggered_by,
            started_at: self.clock.now(),
            scheduled_for,
            instance_id: Some(self.settings.instance_id.clone()),
        };
        let execution = self.store.create_running(new).await?;
        tracing::info!(
            execution_id = %execution.id,
            job_name = %execution.job_name,
            triggered_by = %execution.triggered_by,
            "run started"
        );
        Ok(StartedRun { execution, job })
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

    /// Runs a started job to its end: heartbeats while it runs, catches a panic, records the
    /// outcome, raises alerts. `cancel` is the shutdown signal; a run cancelled by it is
    /// recorded as FAILED "interrupted by shutdown" with its counts so far.
    pub async fn drive(
        &self,
        started: StartedRun,
        cancel: CancelToken,
    ) -> Result<FinishedRun, Error> {
        let StartedRun { execution, job } = started;
        let progress = ProgressHandle::new();
        // The job gets its own token, so losing the lease can stop it without stopping others.
        let job_cancel = CancelToken::new();
        let ctx = JobContext {
            cancel: job_cancel.clone(),
            progress: progress.clone(),
        };
        let mut task = tokio::spawn(async move { job.run(ctx).await });
        let mut heartbeat = tokio::time::interval(self.settings.heartbeat_interval);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.tick().await;
        let mut lease_lost = false;
        let outcome = loop {
            tokio::select! {
                joined = &mut task => break joined,
                () = cancel.cancelled(), if !job_cancel.is_cancelled() => job_cancel.cancel(),
                _ = heartbeat.tick() => {
                    match self.store.heartbeat(&execution.id, &progress.get(), self.clock.now()).await {
                        Ok(()) => {}
                        Err(Error::NotRunning { status, .. }) => {
                            tracing::error!(execution_id = %execution.id, %status, "run lost its lease (recorded as {status} elsewhere); stopping it");
                            lease_lost = true;
                            job_cancel.cancel();
                        }
                        Err(e) => tracing::warn!(execution_id = %execution.id, error = %e, "heartbeat not written"),
                    }
                }
            }
        };
        let interrupted = cancel.is_cancelled() && !lease_lost;
        let finish = self.finish_of(outcome, &progress, interrupted);
        let finished = self.finish_with_retry(&execution, finish).await?;
        let e = &finished.execution;
        tracing::info!(
            execution_id = %e.id,
            job_name = %e.job_name,
            status = %e.status,
            duration_ms = e.duration_ms.unwrap_or(0),
            total = e.counts.total_properties,
            success = e.counts.success_count,
            failed = e.counts.failed_count,
            skipped = e.counts.skipped_count,
            "run finished"
        );
        metrics::counter!("propimport_runs_total", "job" => e.job_name.to_string(), "status" => e.status.as_str()).increment(1);
        if let Some(ms) = e.duration_ms {
            #[expect(clippy::cast_precision_loss, reason = "durations far below 2^52 ms")]
            metrics::histogram!("propimport_run_duration_seconds", "job" => e.job_name.to_string())
                .record(ms as f64 / 1000.0);
        }
        metrics::gauge!("propimport_consecutive_failures", "job" => e.job_name.to_string())
            .set(f64::from(e.consecutive_failures));
        for (outcome, n) in [
            ("success", e.counts.success_count),
            ("failed", e.counts.failed_count),
            ("skipped", e.counts.skipped_count),
        ] {
            metrics::counter!("propimport_properties_total", "job" => e.job_name.to_string(), "outcome" => outcome)
                .increment(u64::try_from(n).unwrap_or(0));
        }
        self.alerts.after_finish(&finished, self.clock.now()).await;
        Ok(finished)
    }

    fn finish_of(
        &self,
        outcome: Result<Result<JobReport, JobError>, tokio::task::JoinError>,
        progress: &ProgressHandle,
        interrupted: bool,
    ) -> FinishExecution {
        let completed_at = self.clock.now();
        let failed = |counts: RunCounts, mut errors: ErrorLog, message: String| {
            errors.push(ItemError {
                external_id: None,
                stage: "job".into(),
                message: message.clone(),
            });
            FinishExecution {
                status: ExecutionStatus::Failed,
                completed_at,
                counts,
                errors,
                last_error: Some(message),
                details: None,
            }
        };
        match outcome {
            Ok(Ok(report)) if interrupted => FinishExecution {
                details: report.details.clone(),
                ..failed(report.counts, report.errors, INTERRUPTED.to_owned())
            },
            Ok(Ok(report)) => {
                let status = if report.counts.failed_count > 0 {
                    ExecutionStatus::Partial
                } else {
                    ExecutionStatus::Success
                };
                let last_error = report.errors.items.last().map(|e| match &e.external_id {
                    Some(id) => format!("{id}: {}: {}", e.stage, e.message),
                    None => format!("{}: {}", e.stage, e.message),
                });
                FinishExecution {
                    status,
                    completed_at,
                    counts: report.counts,
                    errors: report.errors,
                    last_error,
                    details: report.details,
                }
            }
            Ok(Err(e)) if interrupted => failed(
                progress.get().counts,
                e.errors,
                format!("{INTERRUPTED}: {}", e.message),
            ),
            Ok(Err(e)) => failed(progress.get().counts, e.errors, e.message),
            Err(join) => {
                let message = match join.try_into_panic() {
                    Ok(payload) => format!("job panicked: {}", panic_message(payload.as_ref())),
                    Err(join) => format!("job task ended abnormally: {join}"),
                };
                failed(progress.get().counts, ErrorLog::default(), message)
            }
        }
    }

    /// Finishes the record, retrying while the store is unavailable (for up to about a
    /// minute), so an outage during the run does not lose its outcome.
    async fn finish_with_retry(
        &self,
        execution: &Execution,
        finish: FinishExecution,
    ) -> Result<FinishedRun, Error> {
        let mut delay = Duration::from_millis(200);
        let mut waited = Duration::ZERO;
        loop {
            match self.store.finish(&execution.id, finish.clone()).await {
                Err(Error::Unavailable(reason)) if waited < Duration::from_secs(60) => {
                    tracing::warn!(execution_id = %execution.id, %reason, "cannot record the run's end yet; retrying");
                    tokio::time::sleep(delay).await;
                    waited += delay;
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
                result => return result,
            }
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text panic payload".to_owned())
}
