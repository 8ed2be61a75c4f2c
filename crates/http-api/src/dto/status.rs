//! The answer of `/status`.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use propimport_domain::{JobSummary, LastStatusCounts};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ExecutionSummary, PaginationView};

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

impl FireTime {
    /// `t` to the second, in UTC (`…Z`) and in `zone` (UTC again without one).
    pub fn of(t: DateTime<Utc>, zone: Option<Tz>) -> Self {
        let utc = t.to_rfc3339_opts(SecondsFormat::Secs, true);
        Self {
            local: zone.map_or_else(
                || utc.clone(),
                |z| {
                    t.with_timezone(&z)
                        .to_rfc3339_opts(SecondsFormat::Secs, true)
                },
            ),
            utc,
        }
    }
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
    /// Its schedule in words with the zone, e.g. "at 00:00 every day, Europe/Skopje" (the
    /// expression and zone themselves for a shape without a short phrase).
    pub schedule_text: Option<String>,
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
    /// Whether the job is paused: its scheduled ticks are skipped on every instance (it can
    /// still be triggered by hand).
    pub paused: bool,
    /// Who paused it, while paused.
    pub paused_by: Option<String>,
    /// When it was paused, while paused.
    #[schema(format = DateTime)]
    pub paused_at: Option<String>,
    /// Why it was paused, when the operator said.
    pub pause_reason: Option<String>,
    /// The retry of a failed scheduled run that this instance holds, waiting for its time.
    pub pending_retry: Option<PendingRetryView>,
    /// While its due run waits for a turn under the limit of runs at once
    /// (`IMPORT_MAX_CONCURRENT_RUNS`): since when, and how many runs wait before it.
    pub waiting: Option<WaitingView>,
}

/// A due run waiting for a turn under the limit of runs at once.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaitingView {
    /// Since when it waits (its due time, UTC).
    #[schema(format = DateTime)]
    pub since: String,
    /// How many runs wait before it, on every instance.
    pub ahead: u64,
}

/// A retry of a failed scheduled run, waiting for its time.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PendingRetryView {
    /// The tick it retries (UTC).
    #[schema(format = DateTime)]
    pub tick: String,
    /// The attempt it will be: 2 for the first retry.
    #[schema(minimum = 2)]
    pub attempt: i32,
    /// The last attempt the job's retry policy allows (1 + `IMPORT_RETRIES`).
    #[schema(minimum = 2)]
    pub last_attempt: i32,
    /// When it is due (UTC).
    #[schema(format = DateTime)]
    pub due_at: String,
}

/// Every configured job counted, whatever the filters and the page.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobSummaryView {
    /// Configured jobs.
    pub total: u64,
    /// Jobs with a run in progress (on any replica).
    pub running: u64,
    /// Paused jobs.
    pub paused: u64,
    /// Late jobs.
    pub late: u64,
    /// Jobs whose latest finished run failed (still so while a new run is in progress).
    pub failing: u64,
    /// Jobs without any execution.
    pub never_run: u64,
    /// Jobs by the status of their most recent execution.
    pub by_last_status: LastStatusCountsView,
}

impl From<&JobSummary> for JobSummaryView {
    fn from(s: &JobSummary) -> Self {
        Self {
            total: s.total,
            running: s.running,
            paused: s.paused,
            late: s.late,
            failing: s.failing,
            never_run: s.never_run,
            by_last_status: (&s.by_last_status).into(),
        }
    }
}

/// Jobs by the status of their most recent execution (keys as the `status` filter spells
/// them).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LastStatusCountsView {
    /// Last execution RUNNING.
    #[serde(rename = "RUNNING")]
    pub running: u64,
    /// Last execution SUCCESS.
    #[serde(rename = "SUCCESS")]
    pub success: u64,
    /// Last execution FAILED.
    #[serde(rename = "FAILED")]
    pub failed: u64,
    /// Last execution PARTIAL.
    #[serde(rename = "PARTIAL")]
    pub partial: u64,
}

impl From<&LastStatusCounts> for LastStatusCountsView {
    fn from(c: &LastStatusCounts) -> Self {
        Self {
            running: c.running,
            success: c.success,
            failed: c.failed,
            partial: c.partial,
        }
    }
}

/// The answer of `/status`: a page of the jobs that pass its filters, with the summary of
/// every job. The top-level job fields describe the first configured job (whatever the
/// filters and the page), as the earlier service (with one job) reported them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    /// Whether a run of any job is executing now, on any replica (a RUNNING execution exists),
    /// as the earlier service reported it.
    pub is_running: bool,
    /// Whether this instance's scheduler is alive and ticking.
    pub scheduler_running: bool,
    /// Whether the first configured job is scheduled.
    pub is_scheduled: bool,
    /// The first job's cron expression.
    pub schedule: Option<String>,
    /// The first job's zone.
    pub timezone: Option<String>,
    /// The first job's next fire times.
    pub next_runs: Vec<FireTime>,
    /// A running execution (the first found), with live counts; set whenever `isRunning` is.
    pub running_execution: Option<ExecutionSummary>,
    /// Consecutive failures at which an alert is raised.
    pub alert_threshold: u32,
    /// The page of jobs that pass the filters, in configuration order (every configured job
    /// when there are no more than the page size and no filter is given).
    pub jobs: Vec<JobView>,
    /// Where the page stands among the jobs that pass the filters (`total`: how many do).
    pub pagination: PaginationView,
    /// Every configured job counted, whatever the filters and the page.
    pub summary: JobSummaryView,
}
