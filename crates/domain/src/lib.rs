#![doc = include_str!("../README.md")]

mod alerting;
mod audit;
mod cancel;
mod clock;
mod control;
mod error;
mod execution;
mod history;
mod ids;
mod job;
mod listing;
mod notifier;
mod ports;
mod progress;
mod refusal;
mod retention;
mod statistics;
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
pub use error::{Error, Result};
pub use execution::{
    ErrorLog, Execution, ExecutionStatus, FinishExecution, FinishedRun, ItemError, NewExecution,
    Progress, RunCounts, TriggeredBy, next_consecutive_failures,
};
pub use history::{HistoryPage, HistoryQuery, HistoryStatistics, PageLimit, Pagination, TimeRange};
pub use ids::{ExecutionId, JobName};
pub use job::{Job, JobContext, JobError, JobReport, ProgressHandle};
pub use listing::{
    Address, Currency, EnergyRating, ExternalId, GeoPoint, LanguageCode, Listing, ListingRecord,
    ListingStatus, LocalizedText, Money, Price, SourceName, SourceState, StoredListing,
    Transaction, UpsertOutcome, WithdrawReport, withdrawal_blocked,
};
pub use notifier::{Alert, AlertNotice, DeliveryError, Notifier};
pub use ports::{
    AlertStore, ExecutionStore, ImageCursor, ImageOutcome, ImageStatus, ImageSyncPlan,
    ImageSyncReport, ImageUrl, ListingImage, ListingImageStore, ListingImageUrls, ListingStore,
    PendingImagesQuery, RecordedImage, StoredImage, abandoned_finish, abandoned_message,
    plan_image_sync,
};
pub use progress::{LiveProgress, Pace};
pub use refusal::TriggerRefusal;
pub use retention::{PurgeReport, RetentionPolicy};
pub use statistics::{Statistics, StatisticsQuery, StatisticsRow, TimelineDay, WindowDays};
pub use time_format::{format_utc_millis, serde_millis, serde_millis_opt};
