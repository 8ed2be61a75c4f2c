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

#[tokio::test(start_paused = true)]
async fn a_dead_instances_run_is_swept_within_the_lease_and_ends_at_its_last_heartbeat() {
    let t0 = at(2025, 6, 1, 0, 0, 0);
    let h = Harness::new(t0);
    let dead = h
        .store
        .create_running(NewExecution {
            id: ExecutionId::new(),
            job_name: JobName::parse("feed").unwrap(),
            triggered_by: TriggeredBy::Manual,
            started_at: t0,
            scheduled_for: None,
            attempt: 1,
            instance_id: Some("gone:7".into()),
        })
        .await
        .unwrap();
    let last_beat = t0 + chrono::Duration::seconds(5);
    h.store
        .heartbeat(&dead.id, &Progress::default(), last_beat)
        .await
        .unwrap();
    let job = TestJob::new("feed", Behaviour::Report(counts(1, 1, 0, 0)));
    // No schedule: nothing starts a run of the job, only the sweep can recover it.
    let handle = h.start(job, None, settings(MisfirePolicy::Skip)).await;
    let lease = chrono::Duration::minutes(2);
    let bound = last_beat
        + lease
        + chrono::Duration::from_std(SchedulerSettings::default().sweep_interval()).unwrap();
    until(&h, last_beat + lease - chrono::Duration::seconds(1)).await;
    assert_eq!(
        h.store.get(&dead.id).await.unwrap().unwrap().status,
        ExecutionStatus::Running,
        "not before its lease has lapsed"
    );
    until(&h, bound + chrono::Duration::seconds(1)).await;
    let e = h.store.get(&dead.id).await.unwrap().unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(e.completed_at, Some(last_beat));
    assert_eq!(e.duration_ms, Some(5_000));
    assert!(
        e.last_error
            .as_deref()
            .unwrap()
            .starts_with("abandoned: no heartbeat since"),
        "{e:?}"
    );
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn an_outage_longer_than_the_lease_never_abandons_the_live_run_and_its_outcome_is_recorded() {
    let t0 = at(2025, 6, 1, 0, 0, 0);
    let h = Harness::new(t0);
    let (job, release) = blocking("feed");
    let handle = h
        .start(job.clone(), None, settings(MisfirePolicy::Skip))
        .await;
    let run = handle
        .trigger(Some(&job.name), TriggeredBy::Manual)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(15)).await;
    h.flaky.set_down(true);
    tokio::time::sleep(Duration::from_secs(4 * 60)).await;
    // The job ends while the database is still away: its end is retried.
    release.add_permits(1);
    tokio::time::sleep(Duration::from_secs(60)).await;
    h.flaky.set_down(false);
    // Sweeps run meanwhile; the run is this instance's own and stays RUNNING until recorded.
    tokio::time::sleep(Duration::from_secs(90)).await;
    let e = h.store.get(&run.id).await.unwrap().unwrap();
    assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
    assert_eq!(e.last_error, None);
    assert_eq!(e.counts, counts(4, 3, 0, 1));
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_bounded_store_retry_policy_gives_up_recording_the_end_on_the_clock() {
    let h = Harness::with_settings(
        at(2025, 6, 1, 0, 0, 0),
        AlertSettings::default(),
        None,
        RunSettings {
            instance_id: "test:1".into(),
            store_retry: propimport_domain::RetryPolicy::store().with_max_attempts(3),
            ..RunSettings::default()
        },
    );
    let (job, release) = blocking("feed");
    let started = h
        .runner
        .begin(job, TriggeredBy::Manual, None)
        .await
        .unwrap();
    let id = started.execution.id;
    let runner = h.runner.clone();
    let run = tokio::spawn(async move {
        runner
            .drive(started, propimport_domain::CancelToken::new())
            .await
    });
    h.flaky.set_down(true);
    release.add_permits(1);
    let ended = tokio::time::Instant::now();
    let result = run.await.unwrap();
    assert!(
        matches!(result, Err(propimport_domain::Error::Unavailable(_))),
        "{result:?}"
    );
    // Three attempts, 1 s and 2 s apart, on the paused clock: no real second passes.
    let waited = ended.elapsed();
    assert!(
        (Duration::from_secs(3)..Duration::from_secs(4)).contains(&waited),
        "{waited:?}"
    );
    h.flaky.set_down(false);
    let e = h.store.get(&id).await.unwrap().unwrap();
    assert_eq!(
        e.status,
        ExecutionStatus::Running,
        "its end was not recorded"
    );
}

/// A database outage from `down` to `up` around the every-minute ticks of a scheduler started
/// at 00:00:30; returns the runs after the start-up catch-up of the 00:00 tick, and the watch.
async fn outage(
    misfire: MisfirePolicy,
    down: DateTime<Utc>,
    up: DateTime<Utc>,
    end: DateTime<Utc>,
) -> (Vec<Execution>, propimport_scheduler::TickWatch) {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 30));
    let job = TestJob::new("feed", Behaviour::Report(counts(1, 1, 0, 0)));
    let handle = h
        .start(job.clone(), Some(every_minute()), settings(misfire))
        .await;
    until(&h, down).await;
    h.flaky.set_down(true);
    until(&h, up).await;
    h.flaky.set_down(false);
    until(&h, end).await;
    let status = handle.status().await.unwrap();
    handle.shutdown(Duration::from_secs(1)).await;
    let runs = all(&h)
        .await
        .into_iter()
        .filter(|e| e.scheduled_for != Some(at(2025, 6, 1, 0, 0, 0)))
        .collect();
    (runs, status[0].ticks.clone())
}

#[tokio::test(start_paused = true)]
async fn a_tick_missed_in_an_outage_runs_once_when_the_database_is_back_within_the_grace() {
    let (runs, watch) = outage(
        run_once(3600),
        at(2025, 6, 1, 0, 0, 40),
        at(2025, 6, 1, 0, 1, 20),
        at(2025, 6, 1, 0, 2, 30),
    )
    .await;
    assert_eq!(
        ticks(&runs),
        vec![Some(at(2025, 6, 1, 0, 1, 0)), Some(at(2025, 6, 1, 0, 2, 0))]
    );
    let late = runs[0].started_at - at(2025, 6, 1, 0, 1, 20);
    // Retries grow 1, 2, 4, 8, 15 s: at most 15 s after the database is back.
    assert!(
        late >= chrono::Duration::zero() && late <= chrono::Duration::seconds(16),
        "run soon after the database came back: {late}"
    );
    assert_eq!(watch.missed_ticks, 1);
    assert_eq!(watch.last_missed_tick, Some(at(2025, 6, 1, 0, 1, 0)));
    assert_eq!(watch.pending_tick, None);
}

#[tokio::test(start_paused = true)]
async fn a_long_outage_runs_only_the_latest_missed_tick() {
    let (runs, watch) = outage(
        run_once(3600),
        at(2025, 6, 1, 0, 0, 40),
        at(2025, 6, 1, 0, 3, 30),
        at(2025, 6, 1, 0, 4, 30),
    )
    .await;
    assert_eq!(
        ticks(&runs),
        vec![Some(at(2025, 6, 1, 0, 3, 0)), Some(at(2025, 6, 1, 0, 4, 0))],
        "no burst: the missed 00:01 and 00:02 were superseded"
    );
    assert_eq!(watch.missed_ticks, 3);
}

#[tokio::test(start_paused = true)]
async fn missed_ticks_older_than_the_grace_or_under_skip_are_not_run() {
    let (runs, watch) = outage(
        run_once(30),
        at(2025, 6, 1, 0, 0, 40),
        at(2025, 6, 1, 0, 1, 45),
        at(2025, 6, 1, 0, 2, 30),
    )
    .await;
    assert_eq!(ticks(&runs), vec![Some(at(2025, 6, 1, 0, 2, 0))]);
    assert_eq!(watch.missed_ticks, 1);
    assert_eq!(watch.pending_tick, None);

    let (runs, _) = outage(
        MisfirePolicy::Skip,
        at(2025, 6, 1, 0, 0, 40),
        at(2025, 6, 1, 0, 1, 20),
        at(2025, 6, 1, 0, 2, 30),
    )
    .await;
    assert_eq!(ticks(&runs), vec![Some(at(2025, 6, 1, 0, 2, 0))]);
}

#[tokio::test(start_paused = true)]
async fn a_job_whose_tick_has_no_run_is_late_and_alerted_once() {
    let notes = Arc::new(Recorded::default());
    let h = Harness::with_alerts(
        at(2025, 6, 1, 0, 0, 30),
        AlertSettings::default(),
        Some(notes.clone()),
    );
    let (job, release) = blocking("feed");
    let late_after = chrono::Duration::minutes(2);
    let handle = h
        .start(
            job.clone(),
            Some(every_minute()),
            SchedulerSettings {
                late_after: Some(late_after),
                ..settings(MisfirePolicy::Skip)
            },
        )
        .await;
    // 00:01 runs and blocks; 00:02, 00:03… are skipped: the job does not run on time.
    until(&h, at(2025, 6, 1, 0, 3, 30)).await;
    assert_eq!(handle.status().await.unwrap()[0].ticks.late_tick, None);
    until(&h, at(2025, 6, 1, 0, 6, 30)).await;
    let watch = handle.status().await.unwrap()[0].ticks.clone();
    assert!(
        watch
            .late_tick
            .is_some_and(|t| t >= at(2025, 6, 1, 0, 2, 0)),
        "{watch:?}"
    );
    let late: Vec<Alert> = notes
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|a| matches!(a, Alert::Late { .. }))
        .cloned()
        .collect();
    assert_eq!(late.len(), 1, "alerted once while late: {late:?}");
    assert!(
        matches!(&late[0], Alert::Late { tick, grace_seconds: 120, .. } if *tick == at(2025, 6, 1, 0, 2, 0))
    );
    release.add_permits(1);
    until(&h, at(2025, 6, 1, 0, 10, 30)).await;
    assert_eq!(
        handle.status().await.unwrap()[0].ticks.late_tick,
        None,
        "a run of a later tick clears it"
    );
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn an_overlong_run_alerts_and_is_cancelled_when_so_configured() {
    let notes = Arc::new(Recorded::default());
    let h = Harness::with_settings(
        at(2025, 6, 1, 0, 0, 0),
        AlertSettings::default(),
        Some(notes.clone()),
        RunSettings {
            instance_id: "test:1".into(),
            heartbeat_interval: Duration::from_secs(10),
            max_duration: Some(Duration::from_secs(60)),
            cancel_overlong: true,
            ..RunSettings::default()
        },
    );
    let (job, _release) = blocking("feed");
    let handle = h
        .start(job.clone(), None, settings(MisfirePolicy::Skip))
        .await;
    let run = handle
        .trigger(Some(&job.name), TriggeredBy::Manual)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(90)).await;
    let e = h.store.get(&run.id).await.unwrap().unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(
        e.last_error.as_deref(),
        Some("cancelled: ran longer than the maximum duration of 1m (IMPORT_MAX_RUN_DURATION)")
    );
    assert_eq!(e.counts, counts(4, 3, 0, 1), "counts so far are kept");
    let alerts = notes.0.lock().unwrap().clone();
    assert!(
        matches!(
            alerts.as_slice(),
            [Alert::Overlong {
                max_seconds: 60,
                cancelled: true,
                ..
            }]
        ),
        "{alerts:?}"
    );
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_forced_exit_records_the_running_run() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let (job, _release) = blocking("feed");
    let handle = h
        .start(job.clone(), None, settings(MisfirePolicy::Skip))
        .await;
    let run = handle
        .trigger(Some(&job.name), TriggeredBy::Manual)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(handle.record_forced_exit().await, 1);
    let e = h.store.get(&run.id).await.unwrap().unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(e.last_error.as_deref(), Some(FORCED_SHUTDOWN));
    assert_eq!(e.counts, counts(4, 3, 0, 1));
}

#[tokio::test(start_paused = true)]
async fn a_trigger_blocked_by_a_dead_instances_run_recovers_it_and_starts() {
    let t0 = at(2025, 6, 1, 0, 0, 0);
    let h = Harness::new(t0);
    let job = TestJob::new("feed", Behaviour::Report(counts(1, 1, 0, 0)));
    let handle = h
        .start(job.clone(), None, settings(MisfirePolicy::Skip))
        .await;
    // Written after start-up's recovery, long silent: only the trigger's own recovery sees it.
    let dead = h
        .store
        .create_running(NewExecution {
            id: ExecutionId::new(),
            job_name: job.name.clone(),
            triggered_by: TriggeredBy::Cron,
            started_at: t0 - chrono::Duration::minutes(5),
            scheduled_for: None,
            attempt: 1,
            instance_id: Some("gone:7".into()),
        })
        .await
        .unwrap();
    let run = handle
        .trigger(Some(&job.name), TriggeredBy::Manual)
        .await
        .unwrap();
    assert_ne!(run.id, dead.id);
    let dead = h.store.get(&dead.id).await.unwrap().unwrap();
    assert_eq!(dead.status, ExecutionStatus::Failed);
    assert_eq!(dead.completed_at, Some(dead.started_at), "it never beat");
    handle.shutdown(Duration::from_secs(1)).await;
}
