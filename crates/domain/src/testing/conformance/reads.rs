//! Reading executions back: the newest, the running ones, the newest of each job and what
//! each job's executions say.

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

/// `job_outcomes` sums up each job's executions: the newest one's status, the newest finished
/// one's status and failures in a row (a job failing before its run in progress stays
/// failing), and the end of its last SUCCESS or PARTIAL run; in the order asked, once per job,
/// without the jobs that never ran.
pub async fn job_outcomes_sum_up_each_job(store: &dyn ExecutionStore) {
    use ExecutionStatus::{Failed, Partial, Success};
    let (a, b, c, d, e, none) = (
        job("a"),
        job("b"),
        job("c"),
        job("d"),
        job("e"),
        job("none"),
    );
    assert!(
        store
            .job_outcomes(std::slice::from_ref(&a))
            .await
            .expect("empty")
            .is_empty()
    );
    let mut ended = std::collections::HashMap::new();
    for (j, hours, status) in [
        (&a, 0, Success),
        (&a, 3, Partial),
        (&b, 1, Success),
        (&b, 2, Failed),
        (&b, 3, Failed),
        (&c, 1, Failed),
        (&e, 1, Success),
        (&e, 2, Partial),
        (&e, 3, Failed),
    ] {
        let done = run(
            store,
            j,
            t0() + Duration::hours(hours),
            status,
            counts(3, 2, 1, 0),
            TriggeredBy::Cron,
        )
        .await;
        ended.insert((j.to_string(), hours), done.completed_at);
    }
    for j in [&c, &d] {
        store
            .create_running(new_run(j, t0() + Duration::hours(5), TriggeredBy::Api))
            .await
            .expect("running");
    }
    let asked = [
        e.clone(),
        none,
        d.clone(),
        c.clone(),
        b.clone(),
        a.clone(),
        a.clone(),
    ];
    let found = store.job_outcomes(&asked).await.expect("outcomes");
    let seen: Vec<_> = found
        .iter()
        .map(|o| {
            (
                o.job_name.to_string(),
                o.last_status,
                o.last_finished,
                o.consecutive_failures,
                o.last_success_at,
                o.is_failing(),
            )
        })
        .collect();
    let at = |j: &JobName, h: i64| ended[&(j.to_string(), h)];
    assert_eq!(
        seen,
        vec![
            ("e".into(), Failed, Some(Failed), 1, at(&e, 2), true),
            ("d".into(), ExecutionStatus::Running, None, 0, None, false),
            (
                "c".into(),
                ExecutionStatus::Running,
                Some(Failed),
                1,
                None,
                true
            ),
            ("b".into(), Failed, Some(Failed), 2, at(&b, 1), true),
            ("a".into(), Partial, Some(Partial), 0, at(&a, 3), false),
        ]
    );
}

/// `last_of_jobs` and `job_outcomes` answer for more jobs than one statement of some databases
/// may name (SQLite allows 500 terms in a compound SELECT).
pub async fn many_jobs_in_one_read(store: &dyn ExecutionStore) {
    let jobs: Vec<JobName> = (0..520).map(|i| job(&format!("feed-{i:04}"))).collect();
    for (i, j) in jobs.iter().enumerate() {
        let status = if i % 5 == 0 {
            ExecutionStatus::Failed
        } else {
            ExecutionStatus::Success
        };
        let minutes = i64::try_from(i).unwrap_or(0);
        run(
            store,
            j,
            t0() + Duration::minutes(minutes),
            status,
            RunCounts::default(),
            TriggeredBy::Cron,
        )
        .await;
    }
    let mut asked = jobs.clone();
    asked.reverse();
    let last = store.last_of_jobs(&asked).await.expect("last of jobs");
    let names: Vec<&JobName> = last.iter().map(|e| &e.job_name).collect();
    assert_eq!(names, asked.iter().collect::<Vec<_>>());
    let outcomes = store.job_outcomes(&asked).await.expect("outcomes");
    assert_eq!(outcomes.len(), jobs.len());
    assert_eq!(outcomes[0].job_name, asked[0]);
    let failing = outcomes.iter().filter(|o| o.is_failing()).count();
    assert_eq!(failing, 104, "every fifth of 520 failed");
}
