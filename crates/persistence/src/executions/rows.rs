//! Rows of `import_job_executions` and `admin_audit_log`, and their conversion to and from
//! the domain's types.

use diesel::prelude::*;
use propimport_domain::{
    AuditEntry, AuditOutcome, CancelRequest, Execution, ExecutionId, ExecutionStatus,
    FinishExecution, ItemError, JobName, JobPause, NewAuditEntry, NewExecution, Result, RunCounts,
    TriggeredBy,
};
use serde::{Deserialize, Serialize};

use crate::error::corrupt;
use crate::schema::{admin_audit_log, import_job_executions, import_job_pauses};
use crate::sql_types::DbTime;

/// Every column but `errors`, which only [`crate::SqlExecutionStore`]'s `get` reads; by name
/// too, for the statements written as SQL text (which select [`EXECUTION_COLUMNS`]).
#[derive(Debug, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = import_job_executions)]
pub(crate) struct ExecutionRow {
    id: String,
    job_name: String,
    status: String,
    started_at: DbTime,
    completed_at: Option<DbTime>,
    duration_ms: Option<i64>,
    total_properties: i64,
    success_count: i64,
    failed_count: i64,
    skipped_count: i64,
    expected_total: Option<i64>,
    errors_omitted: i64,
    triggered_by: String,
    consecutive_failures: i32,
    last_error: Option<String>,
    scheduled_for: Option<DbTime>,
    heartbeat_at: Option<DbTime>,
    instance_id: Option<String>,
    details: Option<String>,
    created_at: DbTime,
    updated_at: DbTime,
    cancel_requested_by: Option<String>,
    cancel_requested_at: Option<DbTime>,
    attempt: i32,
}

/// The columns of [`ExecutionRow`], for SQL text.
pub(crate) const EXECUTION_COLUMNS: &str = "id, job_name, status, started_at, completed_at, \
     duration_ms, total_properties, success_count, failed_count, skipped_count, expected_total, \
     errors_omitted, triggered_by, consecutive_failures, last_error, scheduled_for, heartbeat_at, \
     instance_id, details, created_at, updated_at, cancel_requested_by, cancel_requested_at, attempt";

/// The cancel request stored in the two columns (both set, or none).
pub(crate) fn cancel_request(by: Option<String>, at: Option<DbTime>) -> Option<CancelRequest> {
    by.zip(at).map(|(by, at)| CancelRequest::new(by, at.0))
}

impl ExecutionRow {
    /// The domain execution, with an empty error list.
    pub(crate) fn into_domain(self) -> Result<Execution> {
        Ok(Execution {
            id: ExecutionId::parse(&self.id).map_err(|e| corrupt("execution id", e))?,
            job_name: JobName::parse(&self.job_name).map_err(|e| corrupt("job name", e))?,
            status: self.status.parse().map_err(|e| corrupt("status", e))?,
            started_at: self.started_at.0,
            completed_at: self.completed_at.map(|t| t.0),
            duration_ms: self.duration_ms,
            counts: RunCounts {
                total_properties: self.total_properties,
                success_count: self.success_count,
                failed_count: self.failed_count,
                skipped_count: self.skipped_count,
            },
            expected_total: self.expected_total,
            errors: Vec::new(),
            errors_omitted: self.errors_omitted,
            triggered_by: TriggeredBy::from_text(&self.triggered_by),
            consecutive_failures: self.consecutive_failures,
            last_error: self.last_error,
            scheduled_for: self.scheduled_for.map(|t| t.0),
            attempt: self.attempt,
            heartbeat_at: self.heartbeat_at.map(|t| t.0),
            instance_id: self.instance_id,
            details: self
                .details
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| corrupt("details", e))?,
            cancel_requested: cancel_request(self.cancel_requested_by, self.cancel_requested_at),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

/// A row of `import_job_pauses`: a paused job.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = import_job_pauses)]
pub(crate) struct PauseRow {
    job_name: String,
    paused_by: String,
    paused_at: DbTime,
    reason: Option<String>,
}

impl PauseRow {
    /// The row of a pause.
    pub(crate) fn of(p: &JobPause) -> Self {
        Self {
            job_name: p.job_name.to_string(),
            paused_by: p.paused_by.clone(),
            paused_at: p.paused_at.into(),
            reason: p.reason.clone(),
        }
    }

    /// The domain pause.
    pub(crate) fn into_domain(self) -> Result<JobPause> {
        Ok(JobPause {
            job_name: JobName::parse(&self.job_name).map_err(|e| corrupt("job name", e))?,
            paused_by: self.paused_by,
            paused_at: self.paused_at.0,
            reason: self.reason,
        })
    }
}

/// One item error as the `errors` column stores it, in a JSON array:
/// `{"externalId": "…", "stage": "…", "message": "…"}`. The stored shape is this crate's; the
/// API's is `http-api`'s view.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredItemError {
    external_id: Option<String>,
    stage: String,
    message: String,
}

/// Reads the stored `errors` JSON.
pub(crate) fn parse_errors(json: Option<&str>) -> Result<Vec<ItemError>> {
    let stored: Vec<StoredItemError> = json
        .map(serde_json::from_str)
        .transpose()
        .map(Option::unwrap_or_default)
        .map_err(|e| corrupt("errors", e))?;
    Ok(stored
        .into_iter()
        .map(|e| ItemError {
            external_id: e.external_id,
            stage: e.stage,
            message: e.message,
        })
        .collect())
}

/// The `errors` JSON of `errors`.
fn stored_errors(errors: &[ItemError]) -> serde_json::Result<String> {
    let stored: Vec<StoredItemError> = errors
        .iter()
        .map(|e| StoredItemError {
            external_id: e.external_id.clone(),
            stage: e.stage.clone(),
            message: e.message.clone(),
        })
        .collect();
    serde_json::to_string(&stored)
}

/// A new RUNNING row.
#[derive(Debug, Insertable)]
#[diesel(table_name = import_job_executions)]
pub(crate) struct NewExecutionRow {
    id: String,
    job_name: String,
    status: &'static str,
    started_at: DbTime,
    triggered_by: String,
    scheduled_for: Option<DbTime>,
    attempt: i32,
    heartbeat_at: DbTime,
    instance_id: Option<String>,
    created_at: DbTime,
    updated_at: DbTime,
}

impl From<&NewExecution> for NewExecutionRow {
    fn from(new: &NewExecution) -> Self {
        Self {
            id: new.id.to_string(),
            job_name: new.job_name.to_string(),
            status: ExecutionStatus::Running.as_str(),
            started_at: new.started_at.into(),
            triggered_by: new.triggered_by.to_string(),
            scheduled_for: new.scheduled_for.map(DbTime),
            attempt: new.attempt,
            heartbeat_at: new.started_at.into(),
            instance_id: new.instance_id.clone(),
            created_at: new.started_at.into(),
            updated_at: new.started_at.into(),
        }
    }
}

/// The columns a finish writes.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = import_job_executions, treat_none_as_null = true)]
pub(crate) struct FinishRow {
    status: &'static str,
    completed_at: Option<DbTime>,
    duration_ms: Option<i64>,
    total_properties: i64,
    success_count: i64,
    failed_count: i64,
    skipped_count: i64,
    errors: Option<String>,
    errors_omitted: i64,
    consecutive_failures: i32,
    last_error: Option<String>,
    heartbeat_at: Option<DbTime>,
    details: Option<String>,
    updated_at: DbTime,
}

impl FinishRow {
    /// The row of a finished execution (as computed by `Execution::finished`).
    pub(crate) fn of(e: &Execution, finish: &FinishExecution) -> Result<Self> {
        let errors = (!finish.errors.items.is_empty())
            .then(|| stored_errors(&finish.errors.items))
            .transpose()
            .map_err(|e| corrupt("errors", e))?;
        Ok(Self {
            status: e.status.as_str(),
            completed_at: e.completed_at.map(DbTime),
            duration_ms: e.duration_ms,
            total_properties: e.counts.total_properties,
            success_count: e.counts.success_count,
            failed_count: e.counts.failed_count,
            skipped_count: e.counts.skipped_count,
            errors,
            errors_omitted: e.errors_omitted,
            consecutive_failures: e.consecutive_failures,
            last_error: e.last_error.clone(),
            heartbeat_at: e.heartbeat_at.map(DbTime),
            details: e.details.as_ref().map(serde_json::Value::to_string),
            updated_at: e.updated_at.into(),
        })
    }
}

/// An audit log row.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = admin_audit_log)]
pub(crate) struct AuditRow {
    id: i64,
    at: DbTime,
    actor: String,
    remote_addr: Option<String>,
    action: String,
    job_name: Option<String>,
    outcome: String,
    execution_id: Option<String>,
    detail: Option<String>,
}

impl AuditRow {
    pub(crate) fn into_domain(self) -> Result<AuditEntry> {
        Ok(AuditEntry {
            id: self.id,
            at: self.at.0,
            actor: self.actor,
            remote_addr: self.remote_addr,
            action: self.action,
            job_name: self
                .job_name
                .as_deref()
                .map(JobName::parse)
                .transpose()
                .map_err(|e| corrupt("job name", e))?,
            outcome: AuditOutcome::from_text(&self.outcome),
            execution_id: self
                .execution_id
                .as_deref()
                .map(ExecutionId::parse)
                .transpose()
                .map_err(|e| corrupt("execution id", e))?,
            detail: self.detail,
        })
    }
}

/// A new audit log row.
#[derive(Debug, Insertable)]
#[diesel(table_name = admin_audit_log)]
pub(crate) struct NewAuditRow {
    at: DbTime,
    actor: String,
    remote_addr: Option<String>,
    action: String,
    job_name: Option<String>,
    outcome: String,
    execution_id: Option<String>,
    detail: Option<String>,
}

impl From<NewAuditEntry> for NewAuditRow {
    fn from(e: NewAuditEntry) -> Self {
        Self {
            at: e.at.into(),
            actor: e.actor,
            remote_addr: e.remote_addr,
            action: e.action,
            job_name: e.job_name.map(|j| j.to_string()),
            outcome: e.outcome.to_string(),
            execution_id: e.execution_id.map(|id| id.to_string()),
            detail: e.detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_errors_are_stored_as_camel_case_json_and_read_back() {
        let errors = vec![
            ItemError {
                external_id: Some("P-1".into()),
                stage: "map".into(),
                message: "no price".into(),
            },
            ItemError {
                external_id: None,
                stage: "job".into(),
                message: "feed unreachable".into(),
            },
        ];
        let json = stored_errors(&errors).unwrap();
        assert_eq!(
            json,
            r#"[{"externalId":"P-1","stage":"map","message":"no price"},{"externalId":null,"stage":"job","message":"feed unreachable"}]"#
        );
        assert_eq!(parse_errors(Some(&json)).unwrap(), errors);
        assert_eq!(
            parse_errors(Some(r#"[{"stage":"job","message":"m"}]"#)).unwrap()[0].external_id,
            None,
            "rows written without the key read as none"
        );
        assert_eq!(parse_errors(None).unwrap(), Vec::new());
    }
}
