//! Reading executions back: the newest, the running ones, the newest of each job.

use super::*;

/// `last` is the most recently started execution, of one job or of any.
pub async fn last_is_newest(store: &dyn ExecutionStore) {
    assert_eq!(store.last(None).await.expect("last"), None);
    let (a, b) = (job("a"), job("b"));
    run(
        store,
        &a,
        t0(),
        ExecutionStatus::Success,
        RunCounts::default(),
        TriggeredBy::Cron,
    )
    .await;
    let newest_a = run(
        store,
        &a,
        t0() + Duration::hours(2),
        ExecutionStatus::Failed,
        RunCounts::default(),
        TriggeredBy::Cron,
    )
    .await;
    let b_run = store
        .create_running(new_run(&b, t0() + Duration::hours(1), TriggeredBy::Api))
        .await
        .expect("create");
    assert_eq!(
        store.last(None).await.expect("last").map(|e| e.id),
        Some(newest_a.id)
    );
    assert_eq!(
        store.last(Some(&b)).await.expect("last").map(|e| e.id),
        Some(b_run.id)
    );
    assert_eq!(store.last(Some(&job("none"))).await.expect("last"), None);
}

/// `running` lists the RUNNING executions only.
pub async fn running_lists_in_progress(store: &dyn ExecutionStore) {
    let (a, b) = (job("a"), job("b"));
    run(
        store,
        &a,
        t0(),
        ExecutionStatus::Success,
        RunCounts::default(),
        TriggeredBy::Cron,
    )
    .await;
    let ra = store
        .create_running(new_run(&a, t0() + Duration::minutes(1), TriggeredBy::Cron))
        .await
        .expect("a");
    let rb = store
        .create_running(new_run(&b, t0() + Duration::minutes(2), TriggeredBy::Cron))
        .await
        .expect("b");
    let all: Vec<ExecutionId> = store
        .running(None)
        .await
        .expect("running")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(all, vec![ra.id, rb.id]);
    let only_b: Vec<ExecutionId> = store
        .running(Some(&b))
        .await
        .expect("running")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(only_b, vec![rb.id]);
}

/// `last_of_jobs` gives what `last` gives for each job, in the order asked, once per job,
/// leaving out jobs without executions.
pub async fn last_of_jobs_is_last_per_job(store: &dyn ExecutionStore) {
    let (a, b, c, none) = (job("a"), job("b"), job("c"), job("none"));
    assert!(
        store
            .last_of_jobs(&[a.clone(), b.clone()])
            .await
            .expect("empty")
            .is_empty()
    );
    for (j, hours, status) in [
        (&a, 0, ExecutionStatus::Success),
        (&b, 1, ExecutionStatus::Failed),
        (&a, 3, ExecutionStatus::Partial),
        (&b, 2, ExecutionStatus::Success),
    ] {
        run(
            store,
            j,
            t0() + Duration::hours(hours),
            status,
            counts(4, 2, 1, 1),
            TriggeredBy::Cron,
        )
        .await;
    }
    // Two runs of one job starting at the same instant: the greater id is the last.
    let same = t0() + Duration::hours(5);
    run(
        store,
        &c,
        same,
        ExecutionStatus::Success,
        RunCounts::default(),
        TriggeredBy::Cron,
    )
    .await;
    run(
        store,
        &c,
        same,
        ExecutionStatus::Failed,
        RunCounts::default(),
        TriggeredBy::Api,
    )
    .await;
    let running = store
        .create_running(new_run(&b, t0() + Duration::hours(4), TriggeredBy::Api))
        .await
        .expect("running");
    let asked = [c.clone(), none.clone(), a.clone(), b.clone(), a.clone()];
    let found = store.last_of_jobs(&asked).await.expect("last of jobs");
    let mut expected = Vec::new();
    for j in [&c, &a, &b] {
        expected.push(store.last(Some(j)).await.expect("last").expect("found"));
    }
    let ids = |v: &[Execution]| v.iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(&found), ids(&expected));
    assert_eq!(found[2].id, running.id);
    assert_eq!(found[2].status, ExecutionStatus::Running);
    assert_eq!(found[1].status, ExecutionStatus::Partial);
    assert_eq!(found[1].counts, counts(4, 2, 1, 1));
    assert!(store.last_of_jobs(&[none]).await.expect("none").is_empty());
}
