//! Tick loops, overlap, missed ticks, recovery at start-up, retention and shutdown.

use std::sync::Arc;
use std::time::Duration;

use propimport_domain::{
    ExecutionId, ExecutionStatus, ExecutionStore, HistoryQuery, NewExecution, PageLimit,
    RetentionPolicy, TriggerRefusal, TriggeredBy,
};
use propimport_scheduler::{
    CronSchedule, MisfirePolicy, ScheduledJob, Scheduler, SchedulerSettings,
};
use tokio::sync::Semaphore;

use crate::support::{Behaviour, Harness, TestJob, at, counts};

fn every_second() -> CronSchedule {
    CronSchedule::parse("* * * * * *", "UTC").unwrap()
}

/// Settings without the start-up catch-up, which would otherwise run the tick at the start instant.
fn no_catch_up() -> SchedulerSettings {
    SchedulerSettings {
        misfire: MisfirePolicy::Skip,
        ..Default::default()
    }
}

async fn all(h: &Harness) -> Vec<propimport_domain::Execution> {
    let q = HistoryQuery {
        limit: PageLimit::new(100).unwrap(),
        ..Default::default()
    };
    let mut v = h.store.history(&q).await.unwrap().executions;
    v.reverse();
    v
}

#[tokio::test(start_paused = true)]
async fn every_tick_runs_once_on_time() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let job = TestJob::new("feed", Behaviour::Report(counts(1, 1, 0, 0)));
    let jobs = vec![ScheduledJob {
        job,
        schedule: Some(every_second()),
    }];
    let handle = Scheduler::new(h.runner.clone(), jobs, no_catch_up())
        .start()
        .await;
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    handle.shutdown(Duration::from_secs(5)).await;
    let runs = all(&h).await;
    assert_eq!(runs.len(), 10);
    for (i, e) in runs.iter().enumerate() {
        let tick = at(2025, 6, 1, 0, 0, u32::try_from(i).unwrap() + 1);
        assert_eq!(e.scheduled_for, Some(tick));
        assert_eq!(e.started_at, tick, "started on time");
        assert_eq!(e.triggered_by, TriggeredBy::Cron);
        assert_eq!(e.status, ExecutionStatus::Success);
    }
}

#[tokio::test(start_paused = true)]
async fn ticks_during_a_run_are_skipped_and_manual_triggers_refused() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let release = Arc::new(Semaphore::new(0));
    let job = TestJob::new(
        "feed",
        Behaviour::Block {
            progress: counts(1, 1, 0, 0),
            release: release.clone(),
        },
    );
    let jobs = vec![ScheduledJob {
        job,
        schedule: Some(every_second()),
    }];
    let handle = Scheduler::new(h.runner.clone(), jobs, no_catch_up())
        .start()
        .await;
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    let running = h.store.running(None).await.unwrap();
    assert_eq!(running.len(), 1);
    match handle.trigger(None, TriggeredBy::Api).await {
        Err(TriggerRefusal::AlreadyRunning { execution_id, .. }) => {
            assert_eq!(execution_id, running[0].id)
        }
        other => panic!("expected AlreadyRunning, got {other:?}"),
    }
    release.add_permits(1);
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    handle.shutdown(Duration::from_secs(5)).await;
    let runs = all(&h).await;
    assert_eq!(runs[0].scheduled_for, Some(at(2025, 6, 1, 0, 0, 1)));
    assert_eq!(
        runs[0].completed_at,
        Some(at(2025, 6, 1, 0, 0, 5) + chrono::Duration::milliseconds(500))
    );
    assert_eq!(
        runs[1].scheduled_for,
        Some(at(2025, 6, 1, 0, 0, 6)),
        "ticks 2 to 5 were skipped, not queued"
    );
}

#[tokio::test(start_paused = true)]
async fn manual_trigger_runs_in_the_background() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let job = TestJob::new("feed", Behaviour::Report(counts(2, 2, 0, 0)));
    let handle = h.start(job, None, SchedulerSettings::default()).await;
    let started = handle.trigger(None, TriggeredBy::Api).await.unwrap();
    assert_eq!(started.status, ExecutionStatus::Running);
    assert!(matches!(
        handle
            .trigger(Some(&"other".parse_job()), TriggeredBy::Api)
            .await,
        Err(TriggerRefusal::UnknownJob { .. })
    ));
    handle.shutdown(Duration::from_secs(5)).await;
    let done = h.store.get(&started.id).await.unwrap().unwrap();
    assert_eq!(
        (done.status, done.triggered_by),
        (ExecutionStatus::Success, TriggeredBy::Api)
    );
}

#[tokio::test(start_paused = true)]
async fn a_trigger_during_shutdown_is_refused_as_shutting_down() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let release = Arc::new(Semaphore::new(0));
    let job = TestJob::new(
        "feed",
        Behaviour::Block {
            progress: counts(1, 1, 0, 0),
            release: release.clone(),
        },
    );
    let handle = Arc::new(h.start(job, None, SchedulerSettings::default()).await);
    handle.trigger(None, TriggeredBy::Api).await.unwrap();
    let stopping = tokio::spawn({
        let handle = handle.clone();
        async move { handle.shutdown(Duration::from_secs(60)).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!stopping.is_finished(), "the shutdown waits for the run");
    match handle.trigger(None, TriggeredBy::Api).await {
        Err(TriggerRefusal::ShuttingDown) => {}
        other => panic!("expected ShuttingDown while the run is awaited, got {other:?}"),
    }
    release.add_permits(1);
    stopping.await.unwrap();
    match handle.trigger(None, TriggeredBy::Api).await {
        Err(e @ TriggerRefusal::ShuttingDown) => assert_eq!(
            e.to_string(),
            "the service is shutting down; no new runs start"
        ),
        other => panic!("expected ShuttingDown after the shutdown, got {other:?}"),
    }
}

trait ParseJob {
    fn parse_job(&self) -> propimport_domain::JobName;
}

impl ParseJob for str {
    fn parse_job(&self) -> propimport_domain::JobName {
        propimport_domain::JobName::parse(self).unwrap()
    }
}

async fn start_with_misfire(
    policy: MisfirePolicy,
    claimed: bool,
) -> Vec<propimport_domain::Execution> {
    let h = Harness::new(at(2025, 6, 1, 0, 10, 0));
    let job = TestJob::new("feed", Behaviour::Report(counts(1, 1, 0, 0)));
    if claimed {
        h.seed_success(
            &job.name,
            at(2025, 6, 1, 0, 0, 0),
            Some(at(2025, 6, 1, 0, 0, 0)),
        )
        .await;
    }
    let schedule = CronSchedule::parse("0 0 * * *", "UTC").unwrap();
    let settings = SchedulerSettings {
        misfire: policy,
        ..Default::default()
    };
    let handle = Scheduler::new(
        h.runner.clone(),
        vec![ScheduledJob {
            job,
            schedule: Some(schedule),
        }],
        settings,
    )
    .start()
    .await;
    handle.shutdown(Duration::from_secs(5)).await;
    all(&h).await
}

#[tokio::test(start_paused = true)]
async fn a_missed_tick_within_grace_runs_once_at_start_up() {
    let runs = start_with_misfire(
        MisfirePolicy::RunOnce {
            grace: chrono::Duration::hours(1),
        },
        false,
    )
    .await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].scheduled_for, Some(at(2025, 6, 1, 0, 0, 0)));
    assert_eq!(runs[0].started_at, at(2025, 6, 1, 0, 10, 0));
}

#[tokio::test(start_paused = true)]
async fn missed_ticks_are_skipped_when_told_too_old_or_already_run() {
    assert!(
        start_with_misfire(MisfirePolicy::Skip, false)
            .await
            .is_empty()
    );
    assert!(
        start_with_misfire(
            MisfirePolicy::RunOnce {
                grace: chrono::Duration::minutes(5)
            },
            false
        )
        .await
        .is_empty()
    );
    assert_eq!(
        start_with_misfire(
            MisfirePolicy::RunOnce {
                grace: chrono::Duration::hours(1)
            },
            true
        )
        .await
        .len(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn start_up_recovers_abandoned_runs() {
    let h = Harness::new(at(2025, 6, 1, 12, 0, 0));
    let job = TestJob::new("feed", Behaviour::Report(counts(1, 1, 0, 0)));
    let new = NewExecution {
        id: ExecutionId::new(),
        job_name: job.name.clone(),
        triggered_by: TriggeredBy::Cron,
        started_at: at(2025, 6, 1, 11, 0, 0),
        scheduled_for: None,
        attempt: 1,
        instance_id: Some("crashed:7".into()),
    };
    let stale = h.store.create_running(new).await.unwrap();
    let handle = h.start(job, None, SchedulerSettings::default()).await;
    let e = h.store.get(&stale.id).await.unwrap().unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert!(e.last_error.unwrap().contains("instance crashed:7"));
    handle.trigger(None, TriggeredBy::Api).await.unwrap();
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(start_paused = true)]
async fn the_retention_task_purges_old_runs() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 30));
    let job = TestJob::new("feed", Behaviour::Report(counts(1, 1, 0, 0)));
    for days in [40, 20] {
        h.seed_success(
            &job.name,
            at(2025, 6, 1, 0, 0, 0) - chrono::Duration::days(days),
            None,
        )
        .await;
    }
    let settings = SchedulerSettings {
        retention: Some((
            RetentionPolicy::default(),
            CronSchedule::parse("* * * * *", "UTC").unwrap(),
        )),
        ..Default::default()
    };
    let handle = h.start(job, None, settings).await;
    assert_eq!(all(&h).await.len(), 2);
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert_eq!(
        all(&h).await.len(),
        1,
        "the 40-day-old run is gone after the first retention tick"
    );
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_a_run_within_grace() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let release = Arc::new(Semaphore::new(0));
    let job = TestJob::new(
        "feed",
        Behaviour::Block {
            progress: counts(5, 5, 0, 0),
            release: release.clone(),
        },
    );
    let handle = h.start(job, None, SchedulerSettings::default()).await;
    let started = handle.trigger(None, TriggeredBy::Api).await.unwrap();
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        release.add_permits(1);
    });
    handle.shutdown(Duration::from_secs(30)).await;
    releaser.await.unwrap();
    let e = h.store.get(&started.id).await.unwrap().unwrap();
    assert_eq!(e.status, ExecutionStatus::Success);
    assert_eq!(e.completed_at, Some(at(2025, 6, 1, 0, 0, 3)));
}

#[tokio::test(start_paused = true)]
async fn shutdown_past_grace_interrupts_the_run() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let job = TestJob::new(
        "feed",
        Behaviour::Block {
            progress: counts(7, 6, 1, 0),
            release: Arc::new(Semaphore::new(0)),
        },
    );
    let handle = h.start(job, None, SchedulerSettings::default()).await;
    let started = handle.trigger(None, TriggeredBy::Api).await.unwrap();
    handle.shutdown(Duration::from_secs(30)).await;
    let e = h.store.get(&started.id).await.unwrap().unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(e.last_error.as_deref(), Some("interrupted by shutdown"));
    assert_eq!(e.counts, counts(7, 6, 1, 0));
    assert_eq!(e.completed_at, Some(at(2025, 6, 1, 0, 0, 30)));
    assert!(h.store.running(None).await.unwrap().is_empty());
}
