//! Executions as the API shows them: the history's rows and the full record.

use chrono::{DateTime, Utc};
use propimport_domain::{Execution, ExecutionStatus, ItemError, LiveProgress, Pace, Progress};
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
    /// How far a RUNNING execution has come and how fast; `null` once it has ended.
    pub progress: Option<ProgressView>,
}

/// A running execution's progress: counts, the source's size when known, and the pace.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProgressView {
    /// Records processed so far (new, updated, unchanged and failed).
    #[schema(minimum = 0)]
    pub processed: i64,
    /// How many records the run expects in all, when the source says (a RESO server's
    /// `@odata.count`).
    pub expected_total: Option<i64>,
    /// Bytes of the feed read so far, when the run reads one stream (known only to the
    /// instance running it).
    #[schema(minimum = 0)]
    pub bytes_read: Option<u64>,
    /// The feed's size in bytes, when known in advance (a file's size, `Content-Length`).
    #[schema(minimum = 0)]
    pub bytes_total: Option<u64>,
    /// The share done, 0 to 100: records against `expectedTotal`, else `bytesRead` against
    /// `bytesTotal`; `null` when neither is known.
    #[schema(minimum = 0, maximum = 100)]
    pub percent: Option<f64>,
    /// Records processed per second since the run started.
    #[schema(minimum = 0)]
    pub rate_per_second: f64,
    /// Seconds left at the pace so far, when `percent` is known and above zero.
    #[schema(minimum = 0)]
    pub eta_seconds: Option<i64>,
    /// `true`: read from the instance running the run, at most about a second old; `false`:
    /// the counts of its last heartbeat in the database (another replica runs it).
    pub live: bool,
    /// When these figures were read (UTC): now for live ones, else the last heartbeat.
    #[schema(format = DateTime)]
    pub as_of: String,
}

impl ProgressView {
    /// The view of `progress`, read at `as_of`, of a run that started at `started_at`.
    fn of(
        started_at: DateTime<Utc>,
        progress: &Progress,
        as_of: DateTime<Utc>,
        live: bool,
    ) -> Self {
        let pace = Pace::of(progress, as_of - started_at);
        Self {
            processed: pace.processed,
            expected_total: progress.expected_total,
            bytes_read: progress.bytes_read,
            bytes_total: progress.bytes_total,
            percent: pace.percent,
            rate_per_second: (pace.rate_per_second * 10.0).round() / 10.0,
            eta_seconds: pace.eta_seconds,
            live,
            as_of: millis(&as_of),
        }
    }

    /// The progress of a RUNNING execution as its record has it (its last heartbeat).
    fn of_record(e: &Execution) -> Option<Self> {
        (e.status == ExecutionStatus::Running).then(|| {
            let progress = Progress {
                counts: e.counts,
                expected_total: e.expected_total,
                ..Progress::default()
            };
            let as_of = e.heartbeat_at.unwrap_or(e.started_at);
            Self::of(e.started_at, &progress, as_of, false)
        })
    }
}

impl ExecutionSummary {
    /// A RUNNING execution with the live progress of the instance running it, whose counts
    /// replace those of its last heartbeat.
    pub fn live(e: &Execution, live: &LiveProgress) -> Self {
        let mut summary = Self::from(e);
        let p = &live.progress;
        summary.total_properties = p.counts.total_properties;
        summary.success_count = p.counts.success_count;
        summary.failed_count = p.counts.failed_count;
        summary.skipped_count = p.counts.skipped_count;
        summary.expected_total = p.expected_total.or(e.expected_total);
        summary.progress = Some(ProgressView::of(e.started_at, p, live.as_of, true));
        summary
    }
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
            progress: ProgressView::of_record(e),
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
