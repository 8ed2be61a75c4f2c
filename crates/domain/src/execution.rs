//! One execution (run) of a job: its status, counts, errors and the values that create,
//! advance and finish it.

use std::fmt;
use std::str::FromStr;

use crate::{Error, ExecutionId, JobName};
use chrono::{DateTime, Utc};

/// The state of an execution, written exactly as `RUNNING`, `SUCCESS`, `FAILED`, `PARTIAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecutionStatus {
    /// In progress.
    Running,
    /// Finished and nothing failed.
    Success,
    /// The job itself failed (feed unreachable, database down, abandoned, interrupted).
    Failed,
    /// Finished, but some items failed.
    Partial,
}

impl ExecutionStatus {
    /// Every status, in the order the API lists them.
    pub const ALL: [Self; 4] = [Self::Running, Self::Success, Self::Failed, Self::Partial];

    /// The stored spelling (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Success => "SUCCESS",
            Self::Failed => "FAILED",
            Self::Partial => "PARTIAL",
        }
    }

    /// Whether the execution has ended.
    pub fn is_finished(self) -> bool {
        self != Self::Running
    }
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExecutionStatus {
    type Err = Error;

    /// Parses a status case-insensitively (`failed` and `FAILED` are the same).
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                Error::invalid(
                    "status",
                    format!("must be one of RUNNING, SUCCESS, FAILED, PARTIAL, got {text:?}"),
                )
            })
    }
}

/// What started an execution. Known values are `cron`, `manual` and `api`; any other string
/// read from storage is kept as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TriggeredBy {
    /// A scheduled cron tick (including a missed tick run at start-up).
    Cron,
    /// The command line (`propimport import`) or code.
    Manual,
    /// The admin HTTP API.
    Api,
    /// Any other value found in storage.
    Other(String),
}

impl TriggeredBy {
    /// The stored spelling (also the API's).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Cron => "cron",
            Self::Manual => "manual",
            Self::Api => "api",
            Self::Other(s) => s,
        }
    }

    /// Reads a stored or requested value; never fails.
    pub fn from_text(text: &str) -> Self {
        match text {
            "cron" => Self::Cron,
            "manual" => Self::Manual,
            "api" => Self::Api,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for TriggeredBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The four counters of a run, as the earlier service reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    /// Records seen (fetched and attempted).
    pub total_properties: i64,
    /// Records stored (inserted or updated).
    pub success_count: i64,
    /// Records that failed alone.
    pub failed_count: i64,
    /// Records unchanged since the last run.
    pub skipped_count: i64,
}

/// Live progress of a running execution, written with each heartbeat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// The counters so far.
    pub counts: RunCounts,
    /// How many records the run expects in all, when the source says.
    pub expected_total: Option<i64>,
    /// Bytes of the feed read so far, when the run reads one stream (a file or one HTTP
    /// response); not written with the heartbeat.
    pub bytes_read: Option<u64>,
    /// The feed's size in bytes, when known before it is read (a file's size, an HTTP
    /// response's `Content-Length`); not written with the heartbeat.
    pub bytes_total: Option<u64>,
}

/// One item that failed alone, or the reason a run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    /// The item's external id, when known.
    pub external_id: Option<String>,
    /// The pipeline stage that failed (fetch, parse, map, validate, store, image, job).
    pub stage: String,
    /// What went wrong, in a sentence.
    pub message: String,
}

/// A capped list of item errors: the first [`ErrorLog::CAP`] and a count of the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorLog {
    /// The errors kept, in the order they happened.
    pub items: Vec<ItemError>,
    /// How many more errors happened but were not kept.
    pub omitted: i64,
}

impl ErrorLog {
    /// How many errors are kept.
    pub const CAP: usize = 100;

    /// Adds an error, counting it as omitted once the cap is reached.
    pub fn push(&mut self, error: ItemError) {
        if self.items.len() < Self::CAP {
            self.items.push(error);
        } else {
            self.omitted += 1;
        }
    }

    /// Whether no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.omitted == 0
    }
}

/// One execution record: every field of the earlier service's `ImportJobExecution`, plus the
/// tick it belongs to, its heartbeat, the instance running it and live progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// Its id.
    pub id: ExecutionId,
    /// The job it ran.
    pub job_name: JobName,
    /// Its state.
    pub status: ExecutionStatus,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub completed_at: Option<DateTime<Utc>>,
    /// How long it took, in milliseconds.
    pub duration_ms: Option<i64>,
    /// The counters (live while running).
    pub counts: RunCounts,
    /// How many records the run expects in all, when known.
    pub expected_total: Option<i64>,
    /// Errors of items that failed alone, capped.
    pub errors: Vec<ItemError>,
    /// How many errors were not kept.
    pub errors_omitted: i64,
    /// What started it.
    pub triggered_by: TriggeredBy,
    /// How many runs of this job in a row have FAILED, this one included.
    pub consecutive_failures: i32,
    /// Why the run failed, or the last item error.
    pub last_error: Option<String>,
    /// The cron tick it belongs to, for scheduled runs.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Which attempt at its tick it is: 1, or more for a retry of a failed scheduled run.
    pub attempt: i32,
    /// The last sign of life of the process running it.
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// The instance (replica) that runs or ran it.
    pub instance_id: Option<String>,
    /// Counters specific to the job (inserted, updated, withdrawn, images…).
    pub details: Option<serde_json::Value>,
    /// Who asked for the run to be cancelled, and when (the first request is kept).
    pub cancel_requested: Option<crate::CancelRequest>,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
}

impl Execution {
    /// A new RUNNING execution as [`NewExecution`] describes it, with nothing counted yet.
    pub fn start(new: &NewExecution) -> Self {
        Self {
            id: new.id,
            job_name: new.job_name.clone(),
            status: ExecutionStatus::Running,
            started_at: new.started_at,
            completed_at: None,
            duration_ms: None,
            counts: RunCounts::default(),
            expected_total: None,
            errors: Vec::new(),
            errors_omitted: 0,
            triggered_by: new.triggered_by.clone(),
            consecutive_failures: 0,
            last_error: None,
            scheduled_for: new.scheduled_for,
            attempt: new.attempt,
            heartbeat_at: Some(new.started_at),
            instance_id: new.instance_id.clone(),
            details: None,
            cancel_requested: None,
            created_at: new.started_at,
            updated_at: new.started_at,
        }
    }

    /// Applies a finish to this (RUNNING) execution, given the consecutive failures of the
    /// job's previous finished run. Stores call this so every backend computes the same.
    pub fn finished(mut self, finish: &FinishExecution, previous_failures: i32) -> Self {
        self.status = finish.status;
        self.completed_at = Some(finish.completed_at);
        self.duration_ms = Some(
            (finish.completed_at - self.started_at)
                .num_milliseconds()
                .max(0),
        );
        self.counts = finish.counts;
        self.errors = finish.errors.items.clone();
        self.errors_omitted = finish.errors.omitted;
        self.last_error = finish.last_error.clone();
        self.details = finish.details.clone();
        self.consecutive_failures =
            next_consecutive_failures(finish.status, previous_failures, self.attempt);
        self.heartbeat_at = Some(finish.completed_at);
        self.updated_at = finish.completed_at;
        self
    }
}

/// The consecutive-failure count after a run, which counts failed ticks rather than attempts:
/// a FAILED first attempt adds one to the previous run's count, a FAILED retry (`attempt` > 1)
/// keeps it, SUCCESS and PARTIAL reset it to zero.
pub fn next_consecutive_failures(status: ExecutionStatus, previous: i32, attempt: i32) -> i32 {
    match status {
        ExecutionStatus::Failed if attempt > 1 => previous,
        ExecutionStatus::Failed => previous.saturating_add(1),
        _ => 0,
    }
}

/// What is needed to create a RUNNING execution.
#[derive(Debug, Clone, PartialEq)]
pub struct NewExecution {
    /// The id to give it.
    pub id: ExecutionId,
    /// The job.
    pub job_name: JobName,
    /// What started it.
    pub triggered_by: TriggeredBy,
    /// When it starts.
    pub started_at: DateTime<Utc>,
    /// The cron tick it belongs to (scheduled runs only): at most one execution per tick.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Which attempt at the tick it is (1; more for a retry): at most one execution per tick
    /// and attempt.
    pub attempt: i32,
    /// The instance that runs it.
    pub instance_id: Option<String>,
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishExecution {
    /// SUCCESS, PARTIAL or FAILED.
    pub status: ExecutionStatus,
    /// When it ended.
    pub completed_at: DateTime<Utc>,
    /// The final counters.
    pub counts: RunCounts,
    /// Item errors, capped.
    pub errors: ErrorLog,
    /// Why it failed, or the last item error.
    pub last_error: Option<String>,
    /// Job-specific counters.
    pub details: Option<serde_json::Value>,
}

/// A finished execution and the consecutive failures of the job's run before it, so a caller
/// can tell a recovery from an ordinary success.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedRun {
    /// The execution as stored.
    pub execution: Execution,
    /// The previous finished run's consecutive failures (0 when there was none).
    pub previous_consecutive_failures: i32,
}

#[cfg(test)]
mod tests;
