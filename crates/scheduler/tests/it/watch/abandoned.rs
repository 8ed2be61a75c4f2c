//! Abandoned runs: a dead instance's run swept within the lease and ended at its last
//! heartbeat, or recovered by a trigger it blocks; a live run never abandoned by its own
//! instance through an outage, and a bounded retry of its end giving up on the clock.

use super::*;

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
        matches!(result, Err(propimport_domain::Error::Unavailable { .. })),
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
