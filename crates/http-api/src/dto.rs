//! The JSON bodies of the API: camelCase views of the domain's records, documented in the
//! OpenAPI document by the same types that serialize them.

use chrono::{DateTime, Utc};
use propimport_domain::{
    AuditEntry, AuditPage, Execution, HistoryPage, HistoryStatistics, ItemError, Pagination,
    Statistics, TimelineDay, format_utc_millis,
};
use serde::Serialize;
use utoipa::ToSchema;

fn millis(t: &DateTime<Utc>) -> String {
    format_utc_millis(t)
}

/// A success answer: `{"success": true, "data": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T: ToSchema> {
    /// Always `true`.
    pub success: bool,
    /// The answer.
    pub data: T,
}

impl<T: ToSchema> Envelope<T> {
    /// Wraps `data`.
    pub fn new(data: T) -> Self {
        Self {
            success: true,
            data,
        }
    }
}

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
    #[schema(example = "SUCCESS")]
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
            heartbeat_at: e.heartbeat_at.as_ref().map(millis),
            instance_id: e.instance_id.clone(),
            details: e.details.clone(),
            errors_omitted: e.errors_omitted,
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

/// Paging of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaginationView {
    /// Rows matching the filters.
    pub total: i64,
    /// The page size.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u64,
    /// Whether rows follow this page.
    pub has_more: bool,
}

impl From<&Pagination> for PaginationView {
    fn from(p: &Pagination) -> Self {
        Self {
            total: p.total,
            limit: p.limit,
            offset: p.offset,
            has_more: p.has_more,
        }
    }
}

/// Totals over every execution matching the history filters.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryStatisticsView {
    /// Sum of totalProperties.
    pub total_properties_processed: i64,
    /// Sum of successCount.
    pub total_successful: i64,
    /// Sum of failedCount.
    pub total_failed: i64,
    /// Sum of skippedCount.
    pub total_skipped: i64,
    /// Mean duration of finished runs, `null` when none.
    pub average_duration_ms: Option<i64>,
}

impl From<&HistoryStatistics> for HistoryStatisticsView {
    fn from(s: &HistoryStatistics) -> Self {
        Self {
            total_properties_processed: s.total_properties_processed,
            total_successful: s.total_successful,
            total_failed: s.total_failed,
            total_skipped: s.total_skipped,
            average_duration_ms: s.average_duration_ms,
        }
    }
}

/// The answer of `/history`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryView {
    /// The page of executions, newest first.
    pub executions: Vec<ExecutionSummary>,
    /// Paging.
    pub pagination: PaginationView,
    /// Totals over the whole filtered set.
    pub statistics: HistoryStatisticsView,
}

impl From<&HistoryPage> for HistoryView {
    fn from(p: &HistoryPage) -> Self {
        Self {
            executions: p.executions.iter().map(Into::into).collect(),
            pagination: (&p.pagination).into(),
            statistics: (&p.statistics).into(),
        }
    }
}

/// One UTC day of the statistics timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimelineDayView {
    /// The day (YYYY-MM-DD, UTC).
    #[schema(format = Date)]
    pub date: String,
    /// Executions started that day.
    pub total: i64,
    /// Of which SUCCESS.
    pub success: i64,
    /// Of which FAILED.
    pub failed: i64,
    /// Of which PARTIAL.
    pub partial: i64,
    /// Of which still RUNNING.
    pub running: i64,
    /// Records processed that day.
    pub properties_processed: i64,
    /// Mean duration of that day's finished runs.
    pub average_duration_ms: Option<i64>,
}

impl From<&TimelineDay> for TimelineDayView {
    fn from(d: &TimelineDay) -> Self {
        Self {
            date: d.date.to_string(),
            total: d.total,
            success: d.success,
            failed: d.failed,
            partial: d.partial,
            running: d.running,
            properties_processed: d.properties_processed,
            average_duration_ms: d.average_duration_ms,
        }
    }
}

/// The answer of `/statistics`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatisticsView {
    /// The window in days.
    pub days: u32,
    /// The window's start (UTC midnight).
    #[schema(format = DateTime)]
    pub from: String,
    /// The window's end (now).
    #[schema(format = DateTime)]
    pub to: String,
    /// Executions started in the window.
    pub total_executions: i64,
    /// Of which SUCCESS.
    pub success_count: i64,
    /// Of which FAILED.
    pub failed_count: i64,
    /// Of which PARTIAL.
    pub partial_count: i64,
    /// Of which still RUNNING.
    pub running_count: i64,
    /// Records processed in the window.
    pub total_properties_processed: i64,
    /// Mean duration of finished runs.
    pub average_duration_ms: Option<i64>,
    /// SUCCESS as a percentage of finished runs; `null` when none finished.
    pub success_rate: Option<f64>,
    /// One entry per UTC day of the window, oldest first.
    pub timeline: Vec<TimelineDayView>,
}

impl From<&Statistics> for StatisticsView {
    fn from(s: &Statistics) -> Self {
        Self {
            days: s.days,
            from: millis(&s.from),
            to: millis(&s.to),
            total_executions: s.total_executions,
            success_count: s.success_count,
            failed_count: s.failed_count,
            partial_count: s.partial_count,
            running_count: s.running_count,
            total_properties_processed: s.total_properties_processed,
            average_duration_ms: s.average_duration_ms,
            success_rate: s.success_rate,
            timeline: s.timeline.iter().map(Into::into).collect(),
        }
    }
}

/// A fire time in UTC and in the schedule's zone.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FireTime {
    /// UTC, RFC 3339.
    #[schema(format = DateTime)]
    pub utc: String,
    /// Local time in the schedule's zone, RFC 3339 with its offset.
    #[schema(format = DateTime)]
    pub local: String,
}

/// The state of one job.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    /// The job's name.
    pub job_name: String,
    /// Whether the scheduler starts it on its own.
    pub is_scheduled: bool,
    /// Its cron expression.
    pub schedule: Option<String>,
    /// The IANA zone of its schedule.
    pub timezone: Option<String>,
    /// The next fire times.
    pub next_runs: Vec<FireTime>,
    /// Its running execution with live counts, if any.
    pub running_execution: Option<ExecutionSummary>,
    /// Its most recent execution.
    pub last_execution: Option<ExecutionSummary>,
    /// Whether a scheduled tick of the job has produced no run within the lateness grace
    /// (`IMPORT_LATE_GRACE`).
    pub late: bool,
    /// While late: the latest tick that has no run.
    #[schema(format = DateTime)]
    pub late_since: Option<String>,
    /// Ticks this instance could not run at their time because the database was unavailable
    /// (since it started).
    pub missed_ticks: u64,
    /// The latest of them.
    #[schema(format = DateTime)]
    pub last_missed_tick: Option<String>,
    /// A missed tick waiting for the database to answer; the misfire policy decides then.
    #[schema(format = DateTime)]
    pub pending_tick: Option<String>,
}

/// The answer of `/status`; the top-level job fields describe the first job, as the earlier
/// service (with one job) reported them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    /// Whether the scheduler is alive.
    pub is_running: bool,
    /// Whether the first job is scheduled.
    pub is_scheduled: bool,
    /// The first job's cron expression.
    pub schedule: Option<String>,
    /// The first job's zone.
    pub timezone: Option<String>,
    /// The first job's next fire times.
    pub next_runs: Vec<FireTime>,
    /// A running execution (the first found), with live counts.
    pub running_execution: Option<ExecutionSummary>,
    /// Consecutive failures at which an alert is raised.
    pub alert_threshold: u32,
    /// Every configured job.
    pub jobs: Vec<JobView>,
}

/// The answer of an accepted `POST /trigger`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TriggerAccepted {
    /// Always `true`.
    pub success: bool,
    /// "Property import job started".
    pub message: String,
    /// Where to follow the run.
    pub note: String,
    /// The new execution's id.
    #[schema(format = Uuid)]
    pub execution_id: String,
    /// The job started.
    pub job_name: String,
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
