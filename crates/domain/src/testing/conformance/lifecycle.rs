//! Creating, claiming, advancing and finishing executions (reading them back is in
//! [`reads`](super::reads)).

use super::*;

/// A created execution reads back as it was written.
pub async fn create_and_get(store: &dyn ExecutionStore) {
    let j = job("property_import");
    let mut new = new_run(&j, t0(), TriggeredBy::Cron);
    new.scheduled_for = Some(t0());
    let created = store.create_running(new.clone()).await.expect("create");
    assert_eq!(created, Execution::start(&new));
    let read = store.get(&new.id).await.expect("get").expect("found");
    assert_eq!(read, created);
    assert_eq!(read.status, ExecutionStatus::Running);
    assert_eq!(read.triggered_by, TriggeredBy::Cron);
    assert_eq!(read.instance_id.as_deref(), Some("test-instance"));
    assert_eq!(store.get(&ExecutionId::new()).await.expect("get"), None);
    store.ping().await.expect("ping");
}

/// A second run of a running job is refused with the running one's id; other jobs may run.
pub async fn one_running_per_job(store: &dyn ExecutionStore) {
    let j = job("a");
    let first = store
        .create_running(new_run(&j, t0(), TriggeredBy::Cron))
        .await
        .expect("first");
    let second = store
        .create_running(new_run(&j, t0(), TriggeredBy::Api))
        .await;
    assert_eq!(
        second,
        Err(Error::AlreadyRunning {
            job_name: j.clone(),
            execution_id: first.id
        })
    );
    store
        .create_running(new_run(&job("b"), t0(), TriggeredBy::Api))
        .await
        .expect("other job");
    store
        .finish(
            &first.id,
            finish_with(ExecutionStatus::Success, t0(), RunCounts::default()),
        )
        .await
        .expect("finish");
    store
        .create_running(new_run(&j, t0() + Duration::seconds(1), TriggeredBy::Api))
        .await
        .expect("after finish");
}

/// Twenty creators racing for one job: exactly one wins, the others learn its id.
pub async fn concurrent_creators_one_wins(store: &dyn ExecutionStore) {
    let j = job("race");
    let attempts = (0..20).map(|i| {
        store.create_running(new_run(
            &j,
            t0() + Duration::milliseconds(i),
            TriggeredBy::Api,
        ))
    });
    let results = futures::future::join_all(attempts).await;
    let winners: Vec<&Execution> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one creator wins: {results:?}");
    let winner = winners[0].id;
    for r in results.iter().filter(|r| r.is_err()) {
        assert_eq!(
            r,
            &Err(Error::AlreadyRunning {
                job_name: j.clone(),
                execution_id: winner
            })
        );
    }
    assert_eq!(store.running(Some(&j)).await.expect("running").len(), 1);
}

/// A tick has at most one execution, even after the first finished.
pub async fn tick_is_claimed_once(store: &dyn ExecutionStore) {
    let j = job("ticks");
    let tick = t0();
    assert!(!store.tick_claimed(&j, tick).await.expect("claimed?"));
    let mut new = new_run(&j, tick, TriggeredBy::Cron);
    new.scheduled_for = Some(tick);
    let first = store.create_running(new).await.expect("claim");
    let mut same_tick = new_run(&j, tick, TriggeredBy::Cron);
    same_tick.scheduled_for = Some(tick);
    assert_eq!(
        store.create_running(same_tick).await,
        Err(Error::TickAlreadyClaimed {
            job_name: j.clone(),
            scheduled_for: tick
        }),
        "a claimed tick is reported as such even while its run is in progress"
    );
    store
        .finish(
            &first.id,
            finish_with(ExecutionStatus::Success, tick, RunCounts::default()),
        )
        .await
        .expect("finish");
    assert!(store.tick_claimed(&j, tick).await.expect("claimed?"));
    let mut again = new_run(&j, tick + Duration::seconds(1), TriggeredBy::Cron);
    again.scheduled_for = Some(tick);
    assert_eq!(
        store.create_running(again).await,
        Err(Error::TickAlreadyClaimed {
            job_name: j.clone(),
            scheduled_for: tick
        })
    );
    let mut next = new_run(&j, tick + Duration::minutes(1), TriggeredBy::Cron);
    next.scheduled_for = Some(tick + Duration::minutes(1));
    store.create_running(next).await.expect("next tick");
    assert!(
        !store
            .tick_claimed(&job("other"), tick)
            .await
            .expect("claimed?")
    );
}

/// Heartbeats write live counts; a finished execution refuses them.
pub async fn heartbeat_writes_progress(store: &dyn ExecutionStore) {
    let j = job("beat");
    let e = store
        .create_running(new_run(&j, t0(), TriggeredBy::Cron))
        .await
        .expect("create");
    let progress = Progress {
        counts: counts(40, 30, 2, 8),
        expected_total: Some(100),
        ..Default::default()
    };
    let at = t0() + Duration::seconds(10);
    store.heartbeat(&e.id, &progress, at).await.expect("beat");
    let read = store.get(&e.id).await.expect("get").expect("found");
    assert_eq!(read.counts, progress.counts);
    assert_eq!(read.expected_total, Some(100));
    assert_eq!(read.heartbeat_at, Some(at));
    assert_eq!(read.updated_at, at);
    store
        .finish(
            &e.id,
            finish_with(ExecutionStatus::Success, at, progress.counts),
        )
        .await
        .expect("finish");
    assert_eq!(
        store.heartbeat(&e.id, &progress, at).await,
        Err(Error::NotRunning {
            execution_id: e.id,
            status: ExecutionStatus::Success
        })
    );
    assert_eq!(
        store
            .heartbeat(&ExecutionId::new(), &progress, at)
            .await
            .map_err(|e| matches!(e, Error::NotFound(_))),
        Err(true)
    );
}

/// Finishing records status, counts, duration and errors, once.
pub async fn finish_records_the_outcome(store: &dyn ExecutionStore) {
    let j = job("finish");
    let e = store
        .create_running(new_run(&j, t0(), TriggeredBy::Manual))
        .await
        .expect("create");
    let done_at = t0() + Duration::milliseconds(272_123);
    let finish = finish_with(ExecutionStatus::Partial, done_at, counts(50, 46, 2, 2));
    let finished = store.finish(&e.id, finish.clone()).await.expect("finish");
    assert_eq!(finished.previous_consecutive_failures, 0);
    let read = store.get(&e.id).await.expect("get").expect("found");
    assert_eq!(read, finished.execution);
    assert_eq!(read.status, ExecutionStatus::Partial);
    assert_eq!(read.completed_at, Some(done_at));
    assert_eq!(read.duration_ms, Some(272_123));
    assert_eq!(read.counts, counts(50, 46, 2, 2));
    assert_eq!(read.errors, finish.errors.items);
    assert_eq!(read.last_error.as_deref(), Some("PARTIAL run"));
    assert_eq!(read.details, Some(serde_json::json!({"inserted": 46})));
    assert_eq!(
        store.finish(&e.id, finish.clone()).await,
        Err(Error::NotRunning {
            execution_id: e.id,
            status: ExecutionStatus::Partial
        })
    );
    let unknown = ExecutionId::new();
    assert_eq!(
        store.finish(&unknown, finish).await,
        Err(Error::NotFound(unknown))
    );
}

/// FAILED adds one to the previous run's count; SUCCESS and PARTIAL reset it; jobs count apart.
pub async fn consecutive_failures_per_job(store: &dyn ExecutionStore) {
    use ExecutionStatus::{Failed, Partial, Success};
    let (a, b) = (job("a"), job("b"));
    let mut t = t0();
    let mut seen = Vec::new();
    for (j, status) in [
        (&a, Failed),
        (&b, Failed),
        (&a, Failed),
        (&a, Partial),
        (&a, Failed),
        (&b, Failed),
        (&a, Failed),
        (&a, Success),
        (&b, Success),
        (&a, Failed),
    ] {
        t += Duration::minutes(1);
        let e = run(store, j, t, status, RunCounts::default(), TriggeredBy::Cron).await;
        seen.push((j.as_str().to_owned(), e.consecutive_failures));
    }
    let expected = [
        ("a", 1),
        ("b", 1),
        ("a", 2),
        ("a", 0),
        ("a", 1),
        ("b", 2),
        ("a", 2),
        ("a", 0),
        ("b", 0),
        ("a", 1),
    ];
    let expected: Vec<(String, i32)> = expected
        .iter()
        .map(|(j, n)| ((*j).to_owned(), *n))
        .collect();
    assert_eq!(seen, expected);
    let e = store
        .create_running(new_run(&b, t + Duration::minutes(1), TriggeredBy::Cron))
        .await
        .expect("create");
    let f = store
        .finish(
            &e.id,
            finish_with(Failed, t + Duration::minutes(2), RunCounts::default()),
        )
        .await
        .expect("finish");
    assert_eq!(
        (
            f.previous_consecutive_failures,
            f.execution.consecutive_failures
        ),
        (0, 1)
    );
}
