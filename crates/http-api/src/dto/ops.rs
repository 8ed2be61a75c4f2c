//! The answers of `POST /trigger`, `/audit-log` and the health endpoints.

use propimport_domain::{AuditEntry, AuditPage};
use serde::Serialize;
use utoipa::ToSchema;

use super::{PaginationView, millis};

/// The answer of an accepted `POST /trigger`: the seed's fields (describing the first run
/// started) plus every run started and every job refused.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TriggerAccepted {
    /// Always `true`.
    pub success: bool,
    /// "Property import job started" (or how many started, when several did).
    pub message: String,
    /// Where to follow the run.
    pub note: String,
    /// The first new execution's id.
    #[schema(format = Uuid)]
    pub execution_id: String,
    /// The first job started.
    pub job_name: String,
    /// Every run started, in configuration order.
    pub executions: Vec<StartedRun>,
    /// The jobs asked for that did not start, and why (empty when every one started).
    pub refused: Vec<RefusedRun>,
}

/// A run started by `POST /trigger`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartedRun {
    /// The job.
    pub job_name: String,
    /// Its new execution.
    #[schema(format = Uuid)]
    pub execution_id: String,
}

/// A job `POST /trigger` did not start.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefusedRun {
    /// The job.
    pub job_name: String,
    /// Why, as the error codes say it: `ALREADY_RUNNING`, `RATE_LIMITED`, `UNAVAILABLE` or
    /// `INTERNAL`.
    #[schema(example = "ALREADY_RUNNING")]
    pub code: String,
    /// A sentence saying why.
    pub message: String,
    /// The running execution, for `ALREADY_RUNNING`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub execution_id: Option<String>,
    /// Seconds until this caller may trigger the job again, for `RATE_LIMITED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// One audit-log row.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryView {
    /// Row id.
    pub id: i64,
    /// When.
    #[schema(format = DateTime)]
    pub at: String,
    /// Who: `token:admin` or `jwt:<subject>`.
    pub actor: String,
    /// The client's address.
    pub remote_addr: Option<String>,
    /// What was attempted (`trigger`).
    pub action: String,
    /// The job concerned.
    pub job_name: Option<String>,
    /// accepted, refused, rate_limited or failed.
    pub outcome: String,
    /// The execution started or found running.
    #[schema(format = Uuid)]
    pub execution_id: Option<String>,
    /// More about the outcome.
    pub detail: Option<String>,
}

impl From<&AuditEntry> for AuditEntryView {
    fn from(e: &AuditEntry) -> Self {
        Self {
            id: e.id,
            at: millis(&e.at),
            actor: e.actor.clone(),
            remote_addr: e.remote_addr.clone(),
            action: e.action.clone(),
            job_name: e.job_name.as_ref().map(ToString::to_string),
            outcome: e.outcome.as_str().to_owned(),
            execution_id: e.execution_id.as_ref().map(ToString::to_string),
            detail: e.detail.clone(),
        }
    }
}

/// The answer of `/audit-log`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogView {
    /// The page of entries, newest first.
    pub entries: Vec<AuditEntryView>,
    /// Paging.
    pub pagination: PaginationView,
}

impl From<&AuditPage> for AuditLogView {
    fn from(p: &AuditPage) -> Self {
        Self {
            entries: p.entries.iter().map(Into::into).collect(),
            pagination: (&p.pagination).into(),
        }
    }
}

/// One readiness check.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckView {
    /// `ok` or `failed`.
    pub status: String,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The answer of `/readyz` and `/healthz`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthView {
    /// `ok`, `ready` or `not_ready`.
    pub status: String,
    /// The named checks (database, migrations, scheduler).
    #[schema(value_type = Object)]
    pub checks: std::collections::BTreeMap<String, CheckView>,
}
