#![doc = include_str!("../README.md")]

mod alerts;
mod clock;
mod schedule;
mod scheduler;
mod tracked;
mod webhook;

pub use alerts::{AlertSettings, Alerts};
pub use clock::TokioClock;
pub use schedule::{CronField, CronSchedule, ScheduleError, ScheduleErrorKind};
pub use scheduler::{
    JobStatus, MisfirePolicy, ScheduledJob, Scheduler, SchedulerHandle, SchedulerSettings,
    TriggerError,
};
pub use tracked::{INTERRUPTED, RunSettings, StartedRun, TrackedRunner, default_instance_id};
pub use webhook::WebhookNotifier;
