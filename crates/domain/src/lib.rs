#![doc = include_str!("../README.md")]

mod alerting;
mod audit;
mod cancel;
mod clock;
mod control;
mod execution;
mod history;
mod ids;
mod job;
mod job_list;
mod listing;
mod notifier;
mod page_size;
mod ports;
mod progress;
mod refusal;
mod retention;
mod retry;
mod run_queue;
mod source;
mod statistics;
mod storage_error;
mod time_format;

#[cfg(feature = "testing")]
pub mod testing;

pub use alerting::{
    AlertClaim, AlertDecision, AlertDelivery, AlertEvent, AlertEventKind, AlertEventPage,
    AlertEventQuery, AlertKind, AlertState, DeliveryOutcome, Verdict,
};
pub use audit::{AuditEntry, AuditOutcome, AuditPage, AuditQuery, NewAuditEntry};
pub use cancel::CancelToken;
pub use clock::{Clock, SystemClock};
pub use control::{CancelRequest, JobPause, MAX_PAUSE_REASON_CHARS};
pub use execution::{
    ErrorLog, Execution, ExecutionStatus, FinishExecution, FinishedRun, ItemError, NewExecution,
    Progress, RunCounts, TriggeredBy, next_consecutive_failures,
};
pub use history::{HistoryPage, HistoryQuery, HistoryStatistics, Pagination, TimeRange};
pub use ids::{ExecutionId, JobName};
pub use job::{Job, JobContext, JobError, JobReport, ProgressHandle};
pub use job_list::{
    JobFacts, JobFilter, JobOutcome, JobQuery, JobSearch, JobSummary, LastStatusCounts,
};
pub use listing::{
    Address, Area, AreaUnit, Charge, ChargeKind, Contact, Currency, EnergyRating, ExternalId,
    GeoPoint, Image, KeptRecord, KnownRecord, KnownRecords, LanguageCode, Listing, ListingRecord,
    ListingStatus, LocalizedText, MarketStatus, Money, Period, Price, RecordKey, RetryKey,
    SourceName, SourceRecord, SourceState, StoredListing, Tenure, Transaction, UpsertOutcome,
    WithdrawReport, withdrawal_blocked,
};
pub use notifier::{Alert, AlertNotice, DeliveryError, Notifier};
pub use page_size::{JobPageLimit, PageLimit, PageSize};
pub use ports::{
    AlertStore, ExecutionStore, ImageCursor, ImageOutcome, ImageStatus, ImageSyncPlan,
    ImageSyncReport, ImageUrl, ListingImage, ListingImageStore, ListingImageUrls, ListingStore,
    PendingImagesQuery, RecordedImage, RunQueue, SourceStore, StoredImage, abandoned_finish,
    abandoned_message, plan_image_sync,
};
pub use progress::{LiveProgress, Pace};
pub use refusal::{ControlRefusal, TriggerRefusal};
pub use retention::{PurgeReport, RetentionPolicy};
pub use retry::{Attempts, GiveUp, Jitter, Random, RetryDecision, RetryPolicy, parse_retry_after};
pub use run_queue::{QueuedRun, RunLimits, STALE_AFTER as QUEUE_STALE_AFTER, take_turns};
pub use source::{
    Setting, SourceChange, SourceCredentials, SourceSpec, SourceView, SourceWrite, StoredSource,
};
pub use statistics::{Statistics, StatisticsQuery, StatisticsRow, TimelineDay, WindowDays};
pub use time_format::format_utc_millis;

// The one error type of the domain and of every port. It lives at the crate root because it
// names the identifiers (`ids`) and statuses (`execution`) whose constructors return it; as
// the modules' common parent, it keeps them free of cycles.

use chrono::{DateTime, Utc};

/// A result whose error is the domain's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a port or a domain constructor can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A run of this job is already in progress (here or on another replica).
    #[error("a run of job {job_name} is already RUNNING (id {execution_id})")]
    AlreadyRunning {
        /// The job that was asked to run.
        job_name: JobName,
        /// The execution that is running now.
        execution_id: ExecutionId,
    },
    /// The scheduled tick already has an execution (another replica claimed it).
    #[error("the tick {scheduled_for} of job {job_name} already has an execution")]
    TickAlreadyClaimed {
        /// The job of the tick.
        job_name: JobName,
        /// The tick's scheduled time.
        scheduled_for: DateTime<Utc>,
    },
    /// The execution was expected to be RUNNING but is not (finished or recovered as abandoned).
    #[error("execution {execution_id} is not RUNNING (it is {status})")]
    NotRunning {
        /// The execution.
        execution_id: ExecutionId,
        /// Its current status.
        status: ExecutionStatus,
    },
    /// No execution has this id.
    #[error("execution {0} not found")]
    NotFound(ExecutionId),
    /// A value given by a caller is invalid; `parameter` names it.
    #[error("{parameter}: {message}")]
    InvalidParameter {
        /// The parameter's name, as the caller spelled it.
        parameter: String,
        /// What is wrong, in a sentence.
        message: String,
    },
    /// No source of the catalog has this name.
    #[error("source {0} not found")]
    SourceNotFound(JobName),
    /// A source of the catalog has this name already.
    #[error("a source named {0} exists already")]
    SourceExists(JobName),
    /// The source changed since the version the caller read.
    #[error("source {name} is at version {current}, not {expected}: it changed since it was read")]
    SourceVersionMismatch {
        /// The source.
        name: JobName,
        /// The version the caller named.
        expected: i64,
        /// The stored version.
        current: i64,
    },
    /// The storage cannot be reached right now (connection refused, pool timeout).
    #[error("storage unavailable: {message}")]
    Unavailable {
        /// What could not be reached, in a sentence (with the words of the error beneath).
        message: String,
        /// The error that caused it (the driver's, the pool's), when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The storage failed in an unexpected way, or holds data that cannot be read.
    ///
    /// `message` says what failed with the words of the error beneath, so that a log line of
    /// this error alone says everything; that error itself, when there is one, is its
    /// [`source`](std::error::Error::source), down to the driver's.
    #[error("storage error: {message}")]
    Storage {
        /// What failed, in a sentence.
        message: String,
        /// The error that caused it, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl Error {
    /// Builds an [`Error::InvalidParameter`].
    pub fn invalid(parameter: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidParameter {
            parameter: parameter.into(),
            message: message.into(),
        }
    }
}
