//! The scheduler crate's integration tests, in one binary: cron schedules through the public
//! API; tracked runs, alerts, the overlap guard, missed ticks, recovery, retention, operator
//! control (pause, resume, cancel) and shutdown on the in-memory store with Tokio's paused
//! clock (no real waiting); the webhook against a real local HTTP receiver.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod support;

mod alerting;
mod control;
mod email;
mod job_changes;
mod lifecycle;
mod retries;
mod run_queue;
mod schedule;
mod scheduling;
mod watch;
