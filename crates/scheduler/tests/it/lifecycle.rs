//! One tracked run from RUNNING to its end.

use std::sync::Arc;
use std::time::Duration;

use propimport_domain::{CancelToken, ExecutionStatus, ExecutionStore, Job, TriggeredBy};
use tokio::sync::Semaphore;

use crate::support::{Behaviour, Harness, TestJob, at, counts};

#[tokio::test(start_paused = true)]
async fn success_records_counts_and_duration() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let job = TestJob::new("feed", Behaviour::Report(counts(50, 48, 0, 2)));
    let done = h
        .runner
        .run_tracked(job, TriggeredBy::Manual, None, CancelToken::new())
        .await
        .unwrap();
    let e = &done.execution;
    assert_eq!(e.status, ExecutionStatus::Success);
    assert_eq!(e.counts, counts(50, 48, 0, 2));
    assert_eq!(e.triggered_by, TriggeredBy::Manual);
    assert_eq!(e.instance_id.as_deref(), Some("test:1"));
    assert_eq!(e.duration_ms, Some(0));
    assert_eq!(e.last_error, None);
    assert_eq!(h.store.get(&e.id).await.unwrap().as_ref(), Some(e));
}

#[tokio::test(start_paused = true)]
async fn item_failures_make_a_partial_run() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let job = TestJob::new("feed", Behaviour::Report(counts(10, 7, 2, 1)));
    let e = h
        .runner
        .run_tracked(job, TriggeredBy::Cron, None, CancelToken::new())
        .await
        .unwrap()
        .execution;
    assert_eq!(e.status, ExecutionStatus::Partial);
    assert_eq!(e.errors.len(), 2);
    assert_eq!(e.last_error.as_deref(), Some("L-1: map: bad price"));
    assert_eq!(e.consecutive_failures, 0);
}

#[tokio::test(start_paused = true)]
async fn a_failed_job_is_recorded_with_its_reason() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let job = TestJob::new(
        "feed",
        Behaviour::Fail("feed unreachable: connection refused"),
    );
    let e = h
        .runner
        .run_tracked(job.clone(), TriggeredBy::Cron, None, CancelToken::new())
        .await
        .unwrap()
        .execution;
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(
        e.last_error.as_deref(),
        Some("feed unreachable: connection refused")
    );
    assert_eq!(e.errors[0].stage, "job");
    assert_eq!(e.consecutive_failures, 1);
    let again = h
        .runner
        .run_tracked(job, TriggeredBy::Cron, None, CancelToken::new())
        .await
        .unwrap()
        .execution;
    assert_eq!(again.consecutive_failures, 2);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_job_is_failed_not_left_running() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let job = TestJob::new("feed", Behaviour::Panic);
    let e = h
        .runner
        .run_tracked(job.clone(), TriggeredBy::Api, None, CancelToken::new())
        .await
        .unwrap()
        .execution;
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(e.last_error.as_deref(), Some("job panicked: boom"));
    assert!(h.store.running(None).await.unwrap().is_empty());
    job.set(Behaviour::Report(counts(1, 1, 0, 0)));
    let next = h
        .runner
        .run_tracked(job, TriggeredBy::Api, None, CancelToken::new())
        .await
        .unwrap()
        .execution;
    assert_eq!(next.status, ExecutionStatus::Success);
}

#[tokio::test(start_paused = true)]
async fn heartbeats_write_live_progress() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let release = Arc::new(Semaphore::new(0));
    let job = TestJob::new(
        "feed",
        Behaviour::Block {
            progress: counts(40, 30, 1, 9),
            release: release.clone(),
        },
    );
    let started = h.runner.begin(job, TriggeredBy::Cron, None).await.unwrap();
    let id = started.execution.id;
    let runner = h.runner.clone();
    let drive = tokio::spawn(async move { runner.drive(started, CancelToken::new()).await });
    tokio::time::sleep(Duration::from_secs(25)).await;
    let live = h.store.get(&id).await.unwrap().unwrap();
    assert_eq!(live.status, ExecutionStatus::Running);
    assert_eq!(live.counts, counts(40, 30, 1, 9));
    assert_eq!(live.expected_total, Some(100));
    assert_eq!(live.heartbeat_at, Some(at(2025, 6, 1, 0, 0, 20)));
    release.add_permits(1);
    let done = drive.await.unwrap().unwrap().execution;
    assert_eq!(done.status, ExecutionStatus::Partial);
    assert_eq!(done.duration_ms, Some(25_000));
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_run_is_failed_as_interrupted_with_counts_so_far() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let job = TestJob::new(
        "feed",
        Behaviour::Block {
            progress: counts(12, 12, 0, 0),
            release: Arc::new(Semaphore::new(0)),
        },
    );
    let cancel = CancelToken::new();
    let runner = h.runner.clone();
    let token = cancel.clone();
    let run = tokio::spawn(async move {
        runner
            .run_tracked(job as Arc<dyn Job>, TriggeredBy::Cron, None, token)
            .await
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    cancel.cancel();
    let e = run.await.unwrap().unwrap().execution;
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(e.last_error.as_deref(), Some("interrupted by shutdown"));
    assert_eq!(e.counts, counts(12, 12, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn a_run_that_lost_its_lease_is_stopped() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let job = TestJob::new(
        "feed",
        Behaviour::Block {
            progress: counts(1, 1, 0, 0),
            release: Arc::new(Semaphore::new(0)),
        },
    );
    let started = h.runner.begin(job, TriggeredBy::Cron, None).await.unwrap();
    let id = started.execution.id;
    // Another instance decides the run is abandoned.
    let recovered = h
        .store
        .recover_stale(at(2025, 6, 1, 1, 0, 0), chrono::Duration::minutes(2), &[])
        .await
        .unwrap();
    assert_eq!(recovered.len(), 1);
    let result = h.runner.drive(started, CancelToken::new()).await;
    assert!(
        matches!(result, Err(propimport_domain::Error::NotRunning { .. })),
        "{result:?}"
    );
    let e = h.store.get(&id).await.unwrap().unwrap();
    assert!(e.last_error.unwrap().starts_with("abandoned"));
}

/// The status of a job whose run this instance drives carries the run's progress from
/// memory, ahead of its next heartbeat; once it ends there is none.
#[tokio::test(start_paused = true)]
async fn status_shows_the_live_progress_of_runs_driven_here() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let release = Arc::new(Semaphore::new(0));
    let job = TestJob::new(
        "feed",
        Behaviour::Block {
            progress: counts(40, 30, 1, 9),
            release: release.clone(),
        },
    );
    let settings = propimport_scheduler::SchedulerSettings::default();
    let handle = h.start(job.clone(), None, settings).await;
    let run = handle
        .trigger(Some(&job.name), TriggeredBy::Api)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let status = handle.status().await.unwrap();
    let stored = status[0].running.as_ref().expect("running");
    assert_eq!(stored.id, run.id);
    assert_eq!(
        stored.counts,
        counts(0, 0, 0, 0),
        "no heartbeat within 10 s"
    );
    let live = status[0].live_progress.expect("driven here");
    assert_eq!(live.progress.counts, counts(40, 30, 1, 9));
    assert_eq!(live.progress.expected_total, Some(100));
    assert_eq!(live.as_of, at(2025, 6, 1, 0, 0, 2));
    release.add_permits(1);
    handle.shutdown(Duration::from_secs(5)).await;
    let status = handle.status().await.unwrap();
    assert!(status[0].running.is_none() && status[0].live_progress.is_none());
}
