//! The JSON of an alert in the webhook bodies (`alert`): the kind as a tag and the alert's
//! fields in camelCase, e.g. `{"kind": "late", "jobName": "kyero", "tick": "…", "graceSeconds":
//! 300}`. The domain's `Alert` carries no wire format; this is its only JSON rendering.

use chrono::{DateTime, Utc};
use propimport_domain::Alert;
use serde::Serialize;

/// An alert as the webhooks send it.
#[derive(Debug, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub(crate) enum AlertJson<'a> {
    /// A job's consecutive failures reached the alert threshold.
    FailureThreshold {
        job_name: &'a str,
        consecutive_failures: i32,
        threshold: i32,
        last_error: Option<&'a str>,
        execution_id: String,
    },
    /// A scheduled tick of a job has produced no run within the lateness grace.
    Late {
        job_name: &'a str,
        tick: DateTime<Utc>,
        grace_seconds: i64,
    },
    /// A run has been running longer than the maximum duration.
    Overlong {
        job_name: &'a str,
        execution_id: String,
        started_at: DateTime<Utc>,
        max_seconds: i64,
        cancelled: bool,
    },
    /// A job succeeded again after an alert.
    Recovered {
        job_name: &'a str,
        after_failures: i32,
        execution_id: String,
    },
}

impl<'a> From<&'a Alert> for AlertJson<'a> {
    fn from(alert: &'a Alert) -> Self {
        match alert {
            Alert::FailureThreshold {
                job_name,
                consecutive_failures,
                threshold,
                last_error,
                execution_id,
            } => Self::FailureThreshold {
                job_name: job_name.as_str(),
                consecutive_failures: *consecutive_failures,
                threshold: *threshold,
                last_error: last_error.as_deref(),
                execution_id: execution_id.to_string(),
            },
            Alert::Late {
                job_name,
                tick,
                grace_seconds,
            } => Self::Late {
                job_name: job_name.as_str(),
                tick: *tick,
                grace_seconds: *grace_seconds,
            },
            Alert::Overlong {
                job_name,
                execution_id,
                started_at,
                max_seconds,
                cancelled,
            } => Self::Overlong {
                job_name: job_name.as_str(),
                execution_id: execution_id.to_string(),
                started_at: *started_at,
                max_seconds: *max_seconds,
                cancelled: *cancelled,
            },
            Alert::Recovered {
                job_name,
                after_failures,
                execution_id,
            } => Self::Recovered {
                job_name: job_name.as_str(),
                after_failures: *after_failures,
                execution_id: execution_id.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use propimport_domain::{ExecutionId, JobName};
    use serde_json::json;

    use super::*;

    fn json_of(alert: &Alert) -> serde_json::Value {
        serde_json::to_value(AlertJson::from(alert)).unwrap()
    }

    #[test]
    fn every_kind_is_tagged_with_camel_case_fields() {
        let job = JobName::parse("kyero").unwrap();
        let id = ExecutionId::parse("0190c2a8-5f3e-7b6c-9d1e-2f3a4b5c6d7e").unwrap();
        let at = Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap();
        assert_eq!(
            json_of(&Alert::FailureThreshold {
                job_name: job.clone(),
                consecutive_failures: 3,
                threshold: 3,
                last_error: Some("feed unreachable".into()),
                execution_id: id,
            }),
            json!({"kind": "failure_threshold", "jobName": "kyero", "consecutiveFailures": 3,
                   "threshold": 3, "lastError": "feed unreachable", "executionId": id.to_string()})
        );
        assert_eq!(
            json_of(&Alert::Late {
                job_name: job.clone(),
                tick: at,
                grace_seconds: 300,
            }),
            json!({"kind": "late", "jobName": "kyero", "tick": "2026-03-29T01:30:00Z",
                   "graceSeconds": 300})
        );
        assert_eq!(
            json_of(&Alert::Overlong {
                job_name: job.clone(),
                execution_id: id,
                started_at: at,
                max_seconds: 3600,
                cancelled: true,
            }),
            json!({"kind": "overlong", "jobName": "kyero", "executionId": id.to_string(),
                   "startedAt": "2026-03-29T01:30:00Z", "maxSeconds": 3600, "cancelled": true})
        );
        assert_eq!(
            json_of(&Alert::Recovered {
                job_name: job,
                after_failures: 4,
                execution_id: id,
            }),
            json!({"kind": "recovered", "jobName": "kyero", "afterFailures": 4,
                   "executionId": id.to_string()})
        );
    }
}
