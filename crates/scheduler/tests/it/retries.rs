//! Retries of failed scheduled runs: a failing tick tried again after 5 and 30 minutes and
//! then given up, alerting once after its last attempt; a success on retry; retries
//! superseded by a manual run or the next tick; runs cancelled or paused not retried.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use propimport_domain::{
    Alert, Execution, ExecutionStatus, ExecutionStore, HistoryQuery, PageLimit, TriggeredBy,
};
use propimport_scheduler::{
    AlertSettings, CronSchedule, MisfirePolicy, PendingRetry, SchedulerHandle, SchedulerSettings,
};

use crate::support::{Behaviour, Harness, Recorded, TestJob, at, counts};

fn settings() -> SchedulerSettings {
    SchedulerSettings {
        misfire: MisfirePolicy::Skip,
        late_after: None,
        ..Default::default()
    }
}

fn alerting() -> (Harness, Arc<Recorded>) {
    let notes = Arc::new(Recorded::default());
    let alerts = AlertSettings {
        threshold: 1,
        ..AlertSettings::default()
    };
    let h = Harness::with_alerts(at(2025, 6, 1, 0, 59, 30), alerts, Some(notes.clone()));
    (h, notes)
}

async fn start(h: &Harness, job: Arc<TestJob>, cron: &str) -> SchedulerHandle {
    let schedule = CronSchedule::parse(cron, "UTC").unwrap();
    h.start(job, Some(schedule), settings()).await
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

async fn until(h: &Harness, t: DateTime<Utc>) {
    let left = (t - h.runner.clock().now()).to_std().unwrap_or_default();
    tokio::time::sleep(left).await;
    h.runner.alerts().settled().await;
}

async fn pending(handle: &SchedulerHandle) -> Option<PendingRetry> {
    handle.status().await.unwrap()[0].pending_retry
}

fn failure_alerts(notes: &Recorded) -> Vec<i32> {
    notes
        .0
        .lock()
        .unwrap()
        .iter()
        .filter_map(|a| match a {
            Alert::FailureThreshold {
                consecutive_failures,
                ..
            } => Some(*consecutive_failures),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_failing_tick_is_retried_after_5_and_30_minutes_then_given_up_alerting_once() {
    let (h, notes) = alerting();
    let job = TestJob::new("feed", Behaviour::Fail("partner down"));
    let handle = start(&h, job, "0 * * * *").await;
    let tick = at(2025, 6, 1, 1, 0, 0);
    until(&h, at(2025, 6, 1, 1, 0, 10)).await;
    assert_eq!(
        pending(&handle).await,
        Some(PendingRetry {
            tick,
            attempt: 2,
            last_attempt: 3,
            due_at: at(2025, 6, 1, 1, 5, 0)
        })
    );
    assert!(
        failure_alerts(&notes).is_empty(),
        "a retry is still to come"
    );
    until(&h, at(2025, 6, 1, 1, 5, 10)).await;
    assert_eq!(
        pending(&handle).await.map(|p| (p.attempt, p.due_at)),
        Some((3, at(2025, 6, 1, 1, 35, 0)))
    );
    assert!(failure_alerts(&notes).is_empty());
    until(&h, at(2025, 6, 1, 1, 59, 0)).await;
    let runs = all(&h).await;
    let seen: Vec<_> = runs
        .iter()
        .map(|e| {
            (
                e.scheduled_for,
                e.attempt,
                e.status,
                e.consecutive_failures,
                e.triggered_by.clone(),
            )
        })
        .collect();
    let failed = |attempt| {
        (
            Some(tick),
            attempt,
            ExecutionStatus::Failed,
            1,
            TriggeredBy::Cron,
        )
    };
    assert_eq!(seen, vec![failed(1), failed(2), failed(3)]);
    assert_eq!(pending(&handle).await, None, "given up after 2 retries");
    assert_eq!(
        failure_alerts(&notes),
        vec![1],
        "one alert, after the last attempt"
    );
    handle.shutdown(std::time::Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_success_on_retry_resets_the_failures() {
    let (h, notes) = alerting();
    let job = TestJob::new("feed", Behaviour::Fail("partner down"));
    let handle = start(&h, job.clone(), "0 * * * *").await;
    until(&h, at(2025, 6, 1, 1, 0, 10)).await;
    job.set(Behaviour::Report(counts(3, 3, 0, 0)));
    until(&h, at(2025, 6, 1, 1, 30, 0)).await;
    let runs = all(&h).await;
    assert_eq!(runs.len(), 2);
    assert_eq!(
        (
            runs[1].attempt,
            runs[1].status,
            runs[1].consecutive_failures
        ),
        (2, ExecutionStatus::Success, 0)
    );
    assert_eq!(pending(&handle).await, None);
    assert!(failure_alerts(&notes).is_empty());
    handle.shutdown(std::time::Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_manual_run_supersedes_a_pending_retry() {
    let (h, _) = alerting();
    let job = TestJob::new("feed", Behaviour::Fail("partner down"));
    let handle = start(&h, job.clone(), "0 * * * *").await;
    until(&h, at(2025, 6, 1, 1, 0, 10)).await;
    assert!(pending(&handle).await.is_some());
    handle
        .trigger(Some(&job.name), TriggeredBy::Api)
        .await
        .unwrap();
    assert_eq!(pending(&handle).await, None);
    until(&h, at(2025, 6, 1, 1, 59, 0)).await;
    let attempts: Vec<_> = all(&h).await.iter().map(|e| e.attempt).collect();
    assert_eq!(attempts, vec![1, 1], "no retry after the manual run");
    handle.shutdown(std::time::Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn the_next_tick_supersedes_a_retry_and_its_failure_is_the_ticks_last() {
    let (h, notes) = alerting();
    let job = TestJob::new("feed", Behaviour::Fail("partner down"));
    let handle = start(&h, job, "*/10 * * * *").await;
    until(&h, at(2025, 6, 1, 1, 9, 0)).await;
    assert_eq!(pending(&handle).await, None, "30 min is past the next tick");
    assert_eq!(failure_alerts(&notes), vec![1], "so attempt 2 was the last");
    until(&h, at(2025, 6, 1, 1, 10, 10)).await;
    let runs: Vec<_> = all(&h)
        .await
        .iter()
        .map(|e| (e.scheduled_for, e.attempt, e.consecutive_failures))
        .collect();
    let (t1, t2) = (at(2025, 6, 1, 1, 0, 0), at(2025, 6, 1, 1, 10, 0));
    assert_eq!(
        runs,
        vec![(Some(t1), 1, 1), (Some(t1), 2, 1), (Some(t2), 1, 2)]
    );
    assert_eq!(pending(&handle).await.map(|p| p.tick), Some(t2));
    handle.shutdown(std::time::Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn cancelled_runs_are_not_retried_and_paused_jobs_skip_their_retry() {
    let (h, _) = alerting();
    let release = Arc::new(tokio::sync::Semaphore::new(0));
    let job = TestJob::new(
        "feed",
        Behaviour::Block {
            progress: counts(1, 1, 0, 0),
            release,
        },
    );
    let handle = start(&h, job.clone(), "0 * * * *").await;
    until(&h, at(2025, 6, 1, 1, 0, 5)).await;
    let running = all(&h).await[0].clone();
    handle.cancel(&running.id, "ana").await.unwrap();
    until(&h, at(2025, 6, 1, 1, 10, 0)).await;
    let runs = all(&h).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].last_error.as_deref(), Some("cancelled by ana"));
    assert_eq!(pending(&handle).await, None);

    job.set(Behaviour::Fail("partner down"));
    until(&h, at(2025, 6, 1, 2, 0, 10)).await;
    assert!(pending(&handle).await.is_some());
    handle.pause(&job.name, "ana", None).await.unwrap();
    until(&h, at(2025, 6, 1, 2, 10, 0)).await;
    assert_eq!(all(&h).await.len(), 2, "the paused job's retry is skipped");
    assert_eq!(pending(&handle).await, None);
    handle.shutdown(std::time::Duration::from_secs(1)).await;
}
