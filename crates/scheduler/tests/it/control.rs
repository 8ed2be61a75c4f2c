//! Operator control: a paused job's ticks are skipped (never late) until it is resumed, by
//! this instance or another one; a cancel requested on any instance stops the run at its next
//! heartbeat (at once when requested here) and records it FAILED "cancelled by …", never as a
//! lost lease; a dead instance's run asked to cancel is swept as any other.

use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::ControlRefusal;
use propimport_domain::{
    CancelRequest, Error, Execution, ExecutionId, ExecutionStatus, ExecutionStore, HistoryQuery,
    JobName, JobPause, NewExecution, PageLimit, TriggeredBy,
};
use propimport_scheduler::{CronSchedule, MisfirePolicy, SchedulerSettings};
use tokio::sync::Semaphore;

use crate::support::{Behaviour, Harness, TestJob, at, counts};

fn every_minute() -> CronSchedule {
    CronSchedule::parse("* * * * *", "UTC").unwrap()
}

fn settings() -> SchedulerSettings {
    SchedulerSettings {
        misfire: MisfirePolicy::Skip,
        late_after: Some(chrono::Duration::minutes(2)),
        ..Default::default()
    }
}

/// Every execution, oldest first.
async fn all(h: &Harness) -> Vec<Execution> {
    let q = HistoryQuery {
        limit: PageLimit::new(100).unwrap(),
        ..Default::default()
    };
    let mut v = h.store.history(&q).await.unwrap().executions;
    v.reverse();
    v
}

/// The scheduled ticks that have a run.
async fn cron_ticks(h: &Harness) -> Vec<DateTime<Utc>> {
    all(h)
        .await
        .iter()
        .filter_map(|e| e.scheduled_for)
        .collect()
}

/// Sleeps (paused clock) until the harness clock shows `t`.
async fn until(h: &Harness, t: DateTime<Utc>) {
    let left = (t - h.runner.clock().now()).to_std().unwrap_or_default();
    tokio::time::sleep(left).await;
}

fn blocking(name: &str) -> std::sync::Arc<TestJob> {
    TestJob::new(
        name,
        Behaviour::Block {
            progress: counts(4, 3, 0, 1),
            release: std::sync::Arc::new(Semaphore::new(0)),
        },
    )
}

#[tokio::test(start_paused = true)]
async fn a_paused_job_skips_its_ticks_is_never_late_and_can_run_by_hand() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 30));
    let job = TestJob::new("feed", Behaviour::Report(counts(1, 1, 0, 0)));
    let handle = h.start(job.clone(), Some(every_minute()), settings()).await;
    let pause = handle
        .pause(&job.name, "cli:ana", Some(" partner upgrade "))
        .await
        .unwrap();
    assert_eq!(pause.paused_by, "cli:ana");
    assert_eq!(pause.paused_at, at(2025, 6, 1, 0, 0, 30));
    assert_eq!(pause.reason.as_deref(), Some("partner upgrade"));
    let again = handle.pause(&job.name, "token:admin", None).await.unwrap();
    assert_eq!(again, pause, "pausing a paused job keeps its first pause");

    until(&h, at(2025, 6, 1, 0, 5, 30)).await;
    assert!(cron_ticks(&h).await.is_empty(), "every tick skipped");
    let status = handle.status().await.unwrap();
    assert_eq!(status[0].paused.as_ref(), Some(&pause));
    assert_eq!(status[0].ticks.late_tick, None, "a paused job is not late");
    let glance = handle.overview().await.unwrap();
    assert!(glance[0].paused && !glance[0].late && !glance[0].running);
    assert_eq!(
        handle
            .status_of(std::slice::from_ref(&job.name))
            .await
            .unwrap()
            .len(),
        1
    );
    let unknown = JobName::parse("nope").unwrap();
    assert!(handle.status_of(&[unknown]).await.unwrap().is_empty());

    let by_hand = handle
        .trigger(Some(&job.name), TriggeredBy::Api)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let done = h.store.get(&by_hand.id).await.unwrap().unwrap();
    assert_eq!(done.status, ExecutionStatus::Success, "triggered by hand");

    let lifted = handle.resume(&job.name, "cli:ana").await.unwrap();
    assert_eq!(lifted, Some(pause));
    assert_eq!(handle.resume(&job.name, "cli:ana").await.unwrap(), None);
    until(&h, at(2025, 6, 1, 0, 7, 30)).await;
    assert_eq!(
        cron_ticks(&h).await,
        vec![at(2025, 6, 1, 0, 6, 0), at(2025, 6, 1, 0, 7, 0)],
        "the next ticks run; the skipped ones are not made up"
    );
    assert_eq!(handle.status().await.unwrap()[0].paused, None);

    let unknown = JobName::parse("nope").unwrap();
    assert!(matches!(
        handle.pause(&unknown, "cli:ana", None).await,
        Err(ControlRefusal::UnknownJob { name, .. }) if name == "nope"
    ));
    assert!(matches!(
        handle.resume(&unknown, "cli:ana").await,
        Err(ControlRefusal::UnknownJob { .. })
    ));
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_pause_recorded_by_another_instance_is_obeyed_from_the_next_tick() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 30));
    let job = TestJob::new("feed", Behaviour::Report(counts(1, 1, 0, 0)));
    let handle = h.start(job.clone(), Some(every_minute()), settings()).await;
    until(&h, at(2025, 6, 1, 0, 1, 30)).await;
    assert_eq!(cron_ticks(&h).await, vec![at(2025, 6, 1, 0, 1, 0)]);
    // Another replica's API writes the pause; this instance reads it when a tick comes.
    let elsewhere = JobPause::new(job.name.clone(), "jwt:ops", at(2025, 6, 1, 0, 1, 59), None);
    until(&h, at(2025, 6, 1, 0, 1, 59)).await;
    h.store.pause_job(&elsewhere).await.unwrap();
    until(&h, at(2025, 6, 1, 0, 4, 30)).await;
    assert_eq!(cron_ticks(&h).await, vec![at(2025, 6, 1, 0, 1, 0)]);
    assert_eq!(handle.status().await.unwrap()[0].paused, Some(elsewhere));
    h.store.resume_job(&job.name).await.unwrap();
    until(&h, at(2025, 6, 1, 0, 5, 30)).await;
    assert_eq!(
        cron_ticks(&h).await,
        vec![at(2025, 6, 1, 0, 1, 0), at(2025, 6, 1, 0, 5, 0)]
    );
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_cancel_requested_elsewhere_stops_the_run_at_its_next_heartbeat() {
    let t0 = at(2025, 6, 1, 0, 0, 0);
    let h = Harness::new(t0);
    let job = blocking("feed");
    let handle = h.start(job.clone(), None, settings()).await;
    let run = handle
        .trigger(Some(&job.name), TriggeredBy::Cron)
        .await
        .unwrap();
    until(&h, t0 + chrono::Duration::seconds(3)).await;
    // Another replica's API records the request on the execution.
    let request = CancelRequest::new("jwt:ana", h.runner.clock().now());
    h.store.request_cancel(&run.id, &request).await.unwrap();
    until(&h, t0 + chrono::Duration::seconds(9)).await;
    let e = h.store.get(&run.id).await.unwrap().unwrap();
    assert_eq!(
        e.status,
        ExecutionStatus::Running,
        "until its next heartbeat"
    );
    until(&h, t0 + chrono::Duration::seconds(11)).await;
    let e = h.store.get(&run.id).await.unwrap().unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed, "{e:?}");
    assert_eq!(e.last_error.as_deref(), Some("cancelled by jwt:ana"));
    assert_eq!(e.completed_at, Some(t0 + chrono::Duration::seconds(10)));
    assert_eq!(e.counts, counts(4, 3, 0, 1), "its counts so far are kept");
    assert_eq!(e.consecutive_failures, 1);
    assert_eq!(e.cancel_requested, Some(request));
    assert!(
        handle.status().await.unwrap()[0].running.is_none(),
        "recorded by its own instance, which is free to run the job again"
    );
    let next = handle
        .trigger(Some(&job.name), TriggeredBy::Api)
        .await
        .unwrap();
    assert_ne!(next.id, run.id);
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_cancel_through_the_handle_stops_a_run_here_at_once() {
    let t0 = at(2025, 6, 1, 0, 0, 0);
    let h = Harness::new(t0);
    let job = blocking("feed");
    let handle = h.start(job.clone(), None, settings()).await;
    let run = handle
        .trigger(Some(&job.name), TriggeredBy::Api)
        .await
        .unwrap();
    until(&h, t0 + chrono::Duration::seconds(2)).await;
    let asked = handle.cancel(&run.id, "token:admin").await.unwrap();
    assert_eq!(asked.status, ExecutionStatus::Running);
    assert_eq!(
        asked.cancel_requested.as_ref().map(|r| r.by.as_str()),
        Some("token:admin")
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    let e = h.store.get(&run.id).await.unwrap().unwrap();
    assert_eq!(
        e.status,
        ExecutionStatus::Failed,
        "well before the next heartbeat"
    );
    assert_eq!(e.last_error.as_deref(), Some("cancelled by token:admin"));
    assert_eq!(e.completed_at, Some(t0 + chrono::Duration::seconds(2)));
    assert!(matches!(
        handle.cancel(&run.id, "token:admin").await,
        Err(ControlRefusal::Store(Error::NotRunning {
            status: ExecutionStatus::Failed,
            ..
        }))
    ));
    let unknown = ExecutionId::new();
    assert!(matches!(
        handle.cancel(&unknown, "token:admin").await,
        Err(ControlRefusal::Store(Error::NotFound(id))) if id == unknown
    ));
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_dead_instances_run_asked_to_cancel_is_swept_as_abandoned() {
    let t0 = at(2025, 6, 1, 0, 0, 0);
    let h = Harness::new(t0);
    let dead = h
        .store
        .create_running(NewExecution {
            id: ExecutionId::new(),
            job_name: JobName::parse("feed").unwrap(),
            triggered_by: TriggeredBy::Cron,
            started_at: t0,
            scheduled_for: None,
            attempt: 1,
            instance_id: Some("gone:7".into()),
        })
        .await
        .unwrap();
    let job = TestJob::new("feed", Behaviour::Report(counts(1, 1, 0, 0)));
    let handle = h.start(job, None, settings()).await;
    let asked = handle.cancel(&dead.id, "token:admin").await.unwrap();
    assert_eq!(
        asked.status,
        ExecutionStatus::Running,
        "nobody here runs it"
    );
    until(&h, t0 + chrono::Duration::minutes(4)).await;
    let e = h.store.get(&dead.id).await.unwrap().unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert!(
        e.last_error
            .as_deref()
            .is_some_and(|m| m.starts_with("abandoned: no heartbeat since")),
        "{e:?}"
    );
    assert_eq!(e.completed_at, Some(t0), "it ends at its last sign of life");
    handle.shutdown(Duration::from_secs(1)).await;
}
