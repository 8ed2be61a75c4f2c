//! The notifier port: where failure alerts and recovery notices go.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{ExecutionId, JobName};

/// Something operators should hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
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
                "propimport: job {job_name} has failed {} in a row (last error: {}; execution {execution_id})",
                times(*consecutive_failures),
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

impl Alert {
    /// A short title: an email's subject after `[propimport] `.
    pub fn title(&self) -> String {
        match self {
            Self::FailureThreshold {
                job_name,
                consecutive_failures,
                ..
            } => format!(
                "job {job_name} failed {} in a row",
                times(*consecutive_failures)
            ),
            Self::Late { job_name, .. } => format!("job {job_name} is late"),
            Self::Overlong {
                job_name,
                max_seconds,
                ..
            } => format!("job {job_name} has run longer than {max_seconds} s"),
            Self::Recovered {
                job_name,
                after_failures,
                ..
            } => format!("job {job_name} recovered after {after_failures} failed runs"),
        }
    }
}

/// `1 time`, `3 times`.
fn times(n: i32) -> String {
    if n == 1 {
        "1 time".to_owned()
    } else {
        format!("{n} times")
    }
}

/// An alert as a channel sends it: when it was raised, whether it is a reminder, and where
/// the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertNotice {
    /// The alert.
    pub alert: Alert,
    /// When it was raised (or repeated).
    pub at: DateTime<Utc>,
    /// Whether it was sent before and is sent again after the cooldown.
    pub repeated: bool,
    /// The dashboard's page of the alert's execution (or the dashboard), when the service's
    /// public URL is configured.
    pub link: Option<String>,
}

impl AlertNotice {
    /// A notice of `alert` raised at `at`, without a link.
    pub fn new(alert: Alert, at: DateTime<Utc>) -> Self {
        Self {
            alert,
            at,
            repeated: false,
            link: None,
        }
    }
}

/// Why a channel did not deliver an alert (never holding a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DeliveryError {
    /// What went wrong, in a sentence.
    pub reason: String,
    /// Whether trying again cannot help (a refused address, a 4xx answer).
    pub permanent: bool,
    /// How long the receiver asked to wait before trying again (`Retry-After`), if it did.
    pub retry_after: Option<std::time::Duration>,
}

impl DeliveryError {
    /// A failure that a later attempt may overcome.
    pub fn transient(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            permanent: false,
            retry_after: None,
        }
    }

    /// A failure that a later attempt cannot overcome.
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            permanent: true,
            retry_after: None,
        }
    }

    /// The same failure, with the wait the receiver asked for (`Retry-After`).
    #[must_use]
    pub fn with_retry_after(mut self, wait: Option<std::time::Duration>) -> Self {
        self.retry_after = wait;
        self
    }
}

/// A channel that delivers alerts (a webhook, email). It never fails a run: the caller records
/// and logs what it answers.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// The channel's name in routes and in the alert history (`webhook`, `email`…).
    fn name(&self) -> &str;

    /// Delivers one alert, with the channel's own bounded retries; the error says why the
    /// last attempt failed.
    async fn notify(&self, notice: &AlertNotice) -> Result<(), DeliveryError>;
}
