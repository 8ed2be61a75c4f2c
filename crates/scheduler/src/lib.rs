#![doc = include_str!("../README.md")]

mod alert_json;
mod alerts;
mod clock;
mod delivery;
pub mod email;
mod fire_times;
mod outcome;
mod retry;
mod schedule;
mod scheduler;
pub mod signed_webhook;
mod tracked;
mod watch;
mod webhook;

pub use alerts::{AlertSettings, Alerts, AlertsBuilder};
pub use clock::TokioClock;
pub use delivery::AlertRoutes;
pub use email::{EmailConfigError, EmailNotifier, EmailSettings, SmtpServer, SmtpTls};
pub use outcome::{FORCED_SHUTDOWN, INTERRUPTED};
pub use retry::{PendingRetry, RetryPlan, RunRetryPolicy};
pub use schedule::{CronField, CronSchedule, DstShift, ScheduleError, ScheduleErrorKind, describe};
pub use scheduler::handle::SchedulerHandle;
pub use scheduler::jobs::JobChanges;
pub use scheduler::queue::QueueWait;
pub use scheduler::status::{JobOverview, JobStatus};
pub use scheduler::{MisfirePolicy, ScheduledJob, Scheduler, SchedulerSettings};
pub use signed_webhook::SignedWebhookNotifier;
pub use tracked::{RUN_LOG_TARGET, RunSettings, StartedRun, TrackedRunner, default_instance_id};
pub use watch::TickWatch;
pub use webhook::WebhookNotifier;
