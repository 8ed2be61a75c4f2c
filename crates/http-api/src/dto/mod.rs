//! The JSON bodies of the API: camelCase views of the domain's records, documented in the
//! OpenAPI document by the same types that serialize them. They are the only JSON rendering
//! of these records (the domain's types have no serde attributes): the command line's
//! `--json` prints these views too, times in UTC with milliseconds (`…Z`).

mod alerts;
mod control;
mod execution;
mod history;
mod ops;
mod sources;
mod status;

use chrono::{DateTime, Utc};
use propimport_domain::format_utc_millis;
use serde::Serialize;
use utoipa::ToSchema;

pub use alerts::{AlertEventName, AlertEventView, AlertKindName, AlertLogView};
pub use control::{CancelAccepted, JobPauseView, PauseRequest};
pub use execution::{ExecutionDetail, ExecutionSummary, ItemErrorView, ProgressView};
pub use history::{
    HistoryStatisticsView, HistoryView, PaginationView, StatisticsView, TimelineDayView,
};
pub use ops::{
    AuditEntryView, AuditLogView, CheckView, HealthView, RefusedRun, StartedRun, TriggerAccepted,
};
pub use sources::{CredentialsSet, NewSourceBody, SourceDto, SourceFields, SourceListView};
pub use status::{
    FireTime, JobSummaryView, JobView, LastStatusCountsView, PendingRetryView, StatusView,
    WaitingView,
};

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

/// The status of an execution, as the API spells it (filters accept any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
#[schema(as = ExecutionStatus)]
pub enum ExecutionStatusName {
    /// In progress.
    Running,
    /// Finished and nothing failed.
    Success,
    /// The job itself failed.
    Failed,
    /// Finished, but some items failed.
    Partial,
}

/// What started a run, as the `triggeredBy` filter accepts it (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = TriggeredBy)]
pub enum TriggerSource {
    /// The scheduler, at a cron tick.
    Cron,
    /// The command line (`propimport import`).
    Manual,
    /// `POST /trigger`.
    Api,
}
