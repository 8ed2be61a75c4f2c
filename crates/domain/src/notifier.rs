//! The notifier port: where failure alerts and recovery notices go.

use async_trait::async_trait;
use serde::Serialize;

use crate::{ExecutionId, JobName};

/// Something operators should hear about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum Alert {
    /// A job's consecutive failures reached the alert threshold.
    FailureThreshold {
        /// The failing job.
        job_name: JobName,
        /// Its consecutive failures now.
        consecutive_failures: i32,
        /// The threshold that was reached.
        threshold: i32,
        /// Why the last run failed.
        last_error: Option<String>,
        /// The last run.
        execution_id: ExecutionId,
    },
    /// A scheduled tick of a job has produced no run within the lateness grace.
    Late {
        /// The job.
        job_name: JobName,
        /// The tick that has no run.
        tick: chrono::DateTime<chrono::Utc>,
        /// How long after its tick a run counts as late.
        grace_seconds: i64,
    },
    /// A run has been running longer than the maximum duration.
    Overlong {
        /// The job.
        job_name: JobName,
        /// The run.
        execution_id: ExecutionId,
        /// When it started.
        started_at: chrono::DateTime<chrono::Utc>,
        /// The maximum duration it exceeded.
        max_seconds: i64,
        /// Whether it is being cancelled for it.
        cancelled: bool,
    },
    /// A job succeeded again after an alert.
    Recovered {
        /// The job.
        job_name: JobName,
        /// How many runs in a row had failed before.
        after_failures: i32,
        /// The run that succeeded.
        execution_id: ExecutionId,
    },
}

impl Alert {
    /// A one-line, human-readable summary (the webhook's text).
    pub fn summary(&self) -> String {
        match self {
            Self::FailureThreshold {
                job_name,
                consecutive_failures,
                last_error,
                execution_id,
                ..
            } => format!(
                "propimport: job {job_name} has failed {consecutive_failures} times in a row (last error: {}; execution {execution_id})",
                last_error.as_deref().unwrap_or("unknown")
            ),
            Self::Late {
                job_name,
                tick,
                grace_seconds,
            } => format!(
                "propimport: job {job_name} is late: its run due at {} has not started {grace_seconds} s later",
                crate::format_utc_millis(tick)
            ),
            Self::Overlong {
                job_name,
                execution_id,
                started_at,
                max_seconds,
                cancelled,
            } => format!(
                "propimport: a run of job {job_name} (execution {execution_id}, started {}) has run longer than the maximum of {max_seconds} s{}",
                crate::format_utc_millis(started_at),
                if *cancelled {
                    "; it is being cancelled"
                } else {
                    ""
                }
            ),
            Self::Recovered {
                job_name,
                after_failures,
                execution_id,
            } => format!(
                "propimport: job {job_name} succeeded again after {after_failures} failed runs (execution {execution_id})"
            ),
        }
    }
}

/// Delivers alerts. Delivery problems are the notifier's to log: they never fail a run.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Delivers one alert.
    async fn notify(&self, alert: &Alert);
}
