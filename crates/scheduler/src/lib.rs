#![doc = include_str!("../README.md")]

mod alerts;
mod clock;
mod handle;
mod schedule;
mod scheduler;
mod tracked;
mod webhook;

pub use alerts::{AlertSettings, Alerts};
pub use clock::TokioClock;
pub use handle::{JobStatus, SchedulerHandle, TriggerError};
pub use schedule::{CronField, CronSchedule, ScheduleError, ScheduleErrorKind};
pub use scheduler::{MisfirePolicy, ScheduledJob, Scheduler, SchedulerSettings};
pub use tracked::{INTERRUPTED, RunSettings, StartedRun, TrackedRunner, default_instance_id};
pub use webhook::WebhookNotifier;
