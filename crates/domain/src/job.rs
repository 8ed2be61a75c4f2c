//! The job port: what the scheduler runs, with a cancellation token and a progress handle.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

use crate::{CancelToken, ErrorLog, JobName, Progress};

/// A unit of work the scheduler runs and records as an execution (for example one feed's
/// import).
#[async_trait]
pub trait Job: Send + Sync {
    /// The job's name: its executions are recorded under it.
    fn name(&self) -> &JobName;

    /// Runs once. The job checks `ctx.cancel` at safe points and, when it is cancelled, stops
    /// and returns what it did so far; it keeps `ctx.progress` current for heartbeats.
    /// An `Err` means the job as a whole failed (the run is FAILED).
    async fn run(&self, ctx: JobContext) -> Result<JobReport, JobError>;

    /// The host the job reads from (a feed's `scheme://name:port`), for the limit of runs at
    /// once per host; `None` (the default) when it reads from none.
    fn host(&self) -> Option<String> {
        None
    }
}

/// What a running job is given.
#[derive(Debug, Clone, Default)]
pub struct JobContext {
    /// Cancelled on shutdown (after the grace period) or when the run lost its lease.
    pub cancel: CancelToken,
    /// Live counters, read by the heartbeat.
    pub progress: ProgressHandle,
}

/// Shared live progress of a run: the job writes, the heartbeat reads.
#[derive(Debug, Clone, Default)]
pub struct ProgressHandle(Arc<Mutex<Progress>>);

impl ProgressHandle {
    /// A handle at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the progress.
    pub fn set(&self, progress: Progress) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = progress;
    }

    /// Changes the progress in place.
    pub fn update(&self, f: impl FnOnce(&mut Progress)) {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// The progress now.
    pub fn get(&self) -> Progress {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a job that ran to its end (or stopped when cancelled) reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobReport {
    /// The final counters; `failed_count > 0` makes the run PARTIAL.
    pub counts: crate::RunCounts,
    /// The items that failed alone, capped.
    pub errors: ErrorLog,
    /// Job-specific counters (inserted, updated, withdrawn, images…).
    pub details: Option<serde_json::Value>,
    /// Something the job could not do although it ran to its end (say, withdrawals held back by
    /// a safety limit): it makes the run PARTIAL and becomes its `lastError`.
    pub warning: Option<String>,
}

/// Why a job failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JobError {
    /// What went wrong, in a sentence (it becomes the run's `lastError`).
    pub message: String,
    /// Items that had failed before the job did.
    pub errors: ErrorLog,
}

impl JobError {
    /// A failure with a message and no item errors.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            errors: ErrorLog::default(),
        }
    }
}
