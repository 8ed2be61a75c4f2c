#![doc = include_str!("../README.md")]

mod alerts;
mod clock;
mod handle;
mod outcome;
mod schedule;
mod scheduler;
mod tracked;
mod watch;
mod webhook;

pub use alerts::{AlertSettings, Alerts};
pub use clock::TokioClock;
pub use handle::{JobStatus, SchedulerHandle, TriggerError};
pub use outcome::{FORCED_SHUTDOWN, INTERRUPTED};
pub use schedule::{CronField, CronSchedule, ScheduleError, ScheduleErrorKind};
pub use scheduler::{MisfirePolicy, ScheduledJob, Scheduler, SchedulerSettings};
pub use tracked::{RunSettings, StartedRun, TrackedRunner, default_instance_id};
pub use watch::TickWatch;
pub use webhook::WebhookNotifier;
