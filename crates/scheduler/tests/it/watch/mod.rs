//! The record never lies: abandoned runs swept on a timer and ended at their last heartbeat,
//! a live run never abandoned by its own instance through an outage, ticks missed during an
//! outage handled by the misfire policy (never a burst), late jobs, overlong runs, and the
//! forced exit of a second signal.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::{
    Alert, Execution, ExecutionId, ExecutionStatus, ExecutionStore, HistoryQuery, JobName,
    NewExecution, PageLimit, Progress, TriggeredBy,
};
use propimport_scheduler::{
    AlertSettings, CronSchedule, FORCED_SHUTDOWN, MisfirePolicy, RunSettings, SchedulerSettings,
};
use tokio::sync::Semaphore;

use crate::support::{Behaviour, Harness, Recorded, TestJob, at, counts};

mod abandoned;
mod late;
mod missed;

fn every_minute() -> CronSchedule {
    CronSchedule::parse("* * * * *", "UTC").unwrap()
}

fn settings(misfire: MisfirePolicy) -> SchedulerSettings {
    SchedulerSettings {
        misfire,
        ..Default::default()
    }
}

fn run_once(grace_s: i64) -> MisfirePolicy {
    MisfirePolicy::RunOnce {
        grace: chrono::Duration::seconds(grace_s),
    }
}

async fn all(h: &Harness) -> Vec<Execution> {
    let q = HistoryQuery {
        limit: PageLimit::new(100).unwrap(),
        ..Default::default()
    };
    let mut v = h.store.history(&q).await.unwrap().executions;
    v.reverse();
    v
}

fn ticks(runs: &[Execution]) -> Vec<Option<DateTime<Utc>>> {
    runs.iter().map(|e| e.scheduled_for).collect()
}

/// Sleeps (paused clock) until the harness clock shows `t`.
async fn until(h: &Harness, t: DateTime<Utc>) {
    let left = (t - h.runner.clock().now()).to_std().unwrap_or_default();
    tokio::time::sleep(left).await;
}

fn blocking(name: &str) -> (Arc<TestJob>, Arc<Semaphore>) {
    let release = Arc::new(Semaphore::new(0));
    let job = TestJob::new(
        name,
        Behaviour::Block {
            progress: counts(4, 3, 0, 1),
            release: release.clone(),
        },
    );
    (job, release)
}
