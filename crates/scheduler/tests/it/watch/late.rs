//! Late jobs, overlong runs, and the forced exit of a second signal.

use super::*;

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
    // At a glance: late, its run still going, the next fire time the next minute.
    let glance = handle.overview().await.unwrap();
    assert_eq!(
        (glance[0].late, glance[0].running, glance[0].paused),
        (true, true, false)
    );
    assert_eq!(glance[0].next_run, Some(at(2025, 6, 1, 0, 7, 0)));
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
    assert!(!handle.overview().await.unwrap()[0].late);
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
