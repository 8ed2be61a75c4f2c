//! Executions as the API shows them: the history's rows and the full record.

use propimport_domain::{Execution, ItemError};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ExecutionStatusName, millis};

/// An execution without its error list, as listed by `/history`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionSummary {
    /// The execution's id (a UUID).
    #[schema(format = Uuid)]
    pub id: String,
    /// The job (one per configured source).
    pub job_name: String,
    /// RUNNING, SUCCESS, FAILED or PARTIAL.
    #[schema(value_type = ExecutionStatusName, example = "SUCCESS")]
    pub status: String,
    /// When it started (UTC, milliseconds).
    #[schema(format = DateTime)]
    pub started_at: String,
    /// When it finished; `null` while RUNNING.
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    /// Its duration in milliseconds; `null` while RUNNING.
    pub duration_ms: Option<i64>,
    /// Records processed (success + failed + skipped).
    pub total_properties: i64,
    /// Records inserted or updated.
    pub success_count: i64,
    /// Records that failed.
    pub failed_count: i64,
    /// Records unchanged since the last run.
    pub skipped_count: i64,
    /// The number of records expected, when the feed says so.
    pub expected_total: Option<i64>,
    /// `cron`, `manual`, `api`, or another stored value.
    #[schema(example = "cron")]
    pub triggered_by: String,
    /// FAILED runs in a row up to this one.
    pub consecutive_failures: i32,
    /// Why the run failed, or its first error.
    pub last_error: Option<String>,
    /// The cron tick it ran for, for scheduled runs.
    #[schema(format = DateTime)]
    pub scheduled_for: Option<String>,
    /// Which attempt at its tick it is: 1, or more for a retry of a failed scheduled run.
    #[schema(minimum = 1)]
    pub attempt: i32,
    /// The last heartbeat of a running execution.
    #[schema(format = DateTime)]
    pub heartbeat_at: Option<String>,
    /// The service instance that ran it.
    pub instance_id: Option<String>,
    /// Job-specific figures (inserted, updated, withdrawn, images…).
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
    /// Item errors beyond the stored cap.
    pub errors_omitted: i64,
    /// Who asked for the run to be cancelled (the first request), if anyone did.
    pub cancel_requested_by: Option<String>,
    /// When that request was recorded.
    #[schema(format = DateTime)]
    pub cancel_requested_at: Option<String>,
}

impl From<&Execution> for ExecutionSummary {
    fn from(e: &Execution) -> Self {
        Self {
            id: e.id.to_string(),
            job_name: e.job_name.to_string(),
            status: e.status.as_str().to_owned(),
            started_at: millis(&e.started_at),
            completed_at: e.completed_at.as_ref().map(millis),
            duration_ms: e.duration_ms,
            total_properties: e.counts.total_properties,
            success_count: e.counts.success_count,
            failed_count: e.counts.failed_count,
            skipped_count: e.counts.skipped_count,
            expected_total: e.expected_total,
            triggered_by: e.triggered_by.as_str().to_owned(),
            consecutive_failures: e.consecutive_failures,
            last_error: e.last_error.clone(),
            scheduled_for: e.scheduled_for.as_ref().map(millis),
            attempt: e.attempt,
            heartbeat_at: e.heartbeat_at.as_ref().map(millis),
            instance_id: e.instance_id.clone(),
            details: e.details.clone(),
            errors_omitted: e.errors_omitted,
            cancel_requested_by: e.cancel_requested.as_ref().map(|c| c.by.clone()),
            cancel_requested_at: e.cancel_requested.as_ref().map(|c| millis(&c.at)),
        }
    }
}

/// One record that failed in a run.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemErrorView {
    /// The record's external id, when known.
    pub external_id: Option<String>,
    /// The stage it failed in (parse, map, validate, store, image…).
    pub stage: String,
    /// What went wrong.
    pub message: String,
}

impl From<&ItemError> for ItemErrorView {
    fn from(e: &ItemError) -> Self {
        Self {
            external_id: e.external_id.clone(),
            stage: e.stage.clone(),
            message: e.message.clone(),
        }
    }
}

/// A full execution record, with its error list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionDetail {
    /// The record's fields.
    #[serde(flatten)]
    pub summary: ExecutionSummary,
    /// The item errors (at most 100; see `errorsOmitted`).
    pub errors: Vec<ItemErrorView>,
    /// When the record was created.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the record was last written.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Execution> for ExecutionDetail {
    fn from(e: &Execution) -> Self {
        Self {
            summary: e.into(),
            errors: e.errors.iter().map(Into::into).collect(),
            created_at: millis(&e.created_at),
            updated_at: millis(&e.updated_at),
        }
    }
}
