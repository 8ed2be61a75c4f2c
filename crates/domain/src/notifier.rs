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
