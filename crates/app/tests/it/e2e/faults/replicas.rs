//! Two replicas on one PostgreSQL. One is killed (`kill -9`) while it runs a tick of an
//! every-second schedule: every scheduled second of the window has exactly one execution,
//! except the seconds the killed replica's run held the job, and that run is recorded FAILED
//! "abandoned" within the bound. And 50 concurrent manual triggers of one job, 25 on each
//! replica: one 202, 49 × 409 `ALREADY_RUNNING`, one RUNNING row. (`serve.rs` has the
//! replicas without faults.)

use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound as _, Utc};
use propimport_domain::{ExecutionStatus, ExecutionStore};
use propimport_persistence::testing::TestDatabase;
use serde_json::json;

use super::super::records::{all_executions, assert_no_overlap, executions_per_tick};
use super::super::support::{Service, SlowFeed, url_of};
use super::{Env, SLACK, figures, ms, recovery_bound, timed};

const JOB: &str = "tick-feed";

#[test]
fn postgres_replica_killed_mid_tick_every_second_runs_once() {
    let rt = super::super::super::rt();
    let Some(db) = rt.block_on(TestDatabase::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = url_of(&db);
    // A feed per replica, so the test can stall only the one it kills.
    let (feed_a, feed_b) = rt.block_on(async {
        (
            SlowFeed::start(Duration::ZERO).await,
            SlowFeed::start(Duration::ZERO).await,
        )
    });
    // Each replica reads its own configured feed (the catalog would give both the first's).
    let env = |feed: &SlowFeed| {
        Env::base()
            .source(JOB, &feed.url)
            .set("IMPORT_CRON_SCHEDULE", "* * * * * *")
            .set("IMPORT_SOURCES_MODE", "config")
    };
    let (env_a, env_b) = (env(&feed_a), env(&feed_b));
    let mut a = Service::start(dir.path(), &url, &env_a.pairs());
    let mut b = Service::start(dir.path(), &url, &env_b.pairs());
    let store = db.executions();
    let (window_start, dead, killed_at, recovered) = rt.block_on(async {
        a.wait_ready().await;
        b.wait_ready().await;
        let window_start = Utc::now();
        wait_finished_ticks(store, 3, window_start).await;
        // A's next run stalls (a record a second): catch it in flight and kill A.
        feed_a.set_delay(Duration::from_secs(1));
        let a_instance = format!(":{}", a.pid());
        let started = Instant::now();
        let dead = loop {
            let running = store.running(None).await.unwrap();
            if let Some(e) = running.iter().find(|e| {
                e.instance_id
                    .as_deref()
                    .is_some_and(|i| i.ends_with(&a_instance))
                    && Utc::now() - e.started_at > chrono::Duration::milliseconds(300)
            }) {
                break e.clone();
            }
            assert!(
                started.elapsed() < Duration::from_secs(40),
                "replica A never ran a tick: {:#?}",
                all_executions(store).await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let killed = Instant::now();
        a.kill();
        let killed_at = Utc::now();
        let recovered = loop {
            let e = store.get(&dead.id).await.unwrap().unwrap();
            if e.status != ExecutionStatus::Running {
                break (e, killed.elapsed(), Utc::now());
            }
            assert!(
                killed.elapsed() < recovery_bound() + SLACK * 4,
                "the killed replica's run is still RUNNING: {e:?}\n{}",
                b.stderr()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        wait_finished_ticks(store, 3, recovered.2).await;
        (window_start, dead, killed_at, recovered)
    });
    let window_end = Utc::now();
    let (exit, _) = b.terminate(Duration::from_secs(30));
    assert!(exit.success(), "{}", b.stderr());
    let (recovered_run, recovered_after, recovered_at) = recovered;
    let executions = rt.block_on(all_executions(store));

    // Whole seconds strictly inside the window (both replicas up, until B is told to stop).
    let second = chrono::Duration::seconds(1);
    let first_tick = window_start.duration_trunc(second).unwrap() + second * 2;
    let last_tick = window_end.duration_trunc(second).unwrap() - second;
    let dead_tick = dead.scheduled_for.expect("a tick");
    let per_tick = executions_per_tick(&executions);
    let mut gaps = Vec::new();
    let mut missing = Vec::new();
    let mut tick = first_tick;
    while tick <= last_tick {
        let n = per_tick.get(&(JOB.to_owned(), tick)).copied().unwrap_or(0);
        let held = tick > dead_tick && tick <= recovered_at;
        match n {
            1 => {}
            0 if held => gaps.push(tick),
            _ => missing.push((tick, n)),
        }
        tick += second;
    }
    figures::record(
        "replica_kill_9",
        &[
            ("recovery_after_kill_ms", ms(recovered_after)),
            ("bound_ms", ms(recovery_bound())),
            ("ticks", per_tick.len() as u64),
            ("held_ticks_skipped", gaps.len() as u64),
        ],
    );
    assert!(
        per_tick.values().all(|n| *n == 1),
        "a tick ran twice: {per_tick:?}"
    );
    assert!(
        missing.is_empty(),
        "ticks of the window without exactly one execution (other than the {} held by the \
         killed replica's run, ticks {dead_tick}..{recovered_at}): {missing:?}\n{}",
        gaps.len(),
        b.stderr()
    );
    assert_eq!(
        recovered_run.status,
        ExecutionStatus::Failed,
        "{recovered_run:?}"
    );
    let error = recovered_run.last_error.clone().unwrap_or_default();
    assert!(
        error.starts_with("abandoned: no heartbeat since "),
        "{error}"
    );
    let completed = recovered_run.completed_at.unwrap();
    assert!(
        completed >= dead.started_at && completed <= killed_at,
        "it ends at its last heartbeat, before the kill: {recovered_run:?}"
    );
    assert!(
        recovered_after <= recovery_bound() + SLACK,
        "FAILED {recovered_after:?} after the kill; bound {:?} + slack {SLACK:?}",
        recovery_bound()
    );
    for e in &executions {
        assert_ne!(e.status, ExecutionStatus::Running, "left RUNNING: {e:?}");
        if e.id != dead.id {
            assert_ne!(e.status, ExecutionStatus::Failed, "{e:?}");
        }
    }
    assert_no_overlap(&executions, JOB);
}

/// Waits until `n` ticks after `after` have finished runs.
async fn wait_finished_ticks(store: &dyn ExecutionStore, n: usize, after: DateTime<Utc>) {
    let started = Instant::now();
    loop {
        let runs = all_executions(store).await;
        let done = runs
            .iter()
            .filter(|e| e.status != ExecutionStatus::Running)
            .filter(|e| e.scheduled_for.is_some_and(|t| t > after))
            .count();
        if done >= n {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "only {done} of {n} ticks ran: {runs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[test]
fn postgres_50_concurrent_triggers_on_two_replicas_start_one_run() {
    let rt = super::super::super::rt();
    let Some(db) = rt.block_on(TestDatabase::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = url_of(&db);
    let feed = rt.block_on(SlowFeed::start(Duration::from_millis(300)));
    let env = Env::base().source(JOB, &feed.url);
    let a = Service::start(dir.path(), &url, &env.pairs());
    let b = Service::start(dir.path(), &url, &env.pairs());
    rt.block_on(async {
        a.wait_ready().await;
        b.wait_ready().await;
        let calls = (0..50).map(|i| {
            let base = if i % 2 == 0 { &a.base } else { &b.base };
            let url = format!("{base}/api/v1/admin/import-jobs/trigger");
            async move { timed(reqwest::Method::POST, &url, Some(json!({"jobName": JOB}))).await }
        });
        let answers = futures::future::join_all(calls).await;
        let slowest = answers.iter().map(|(_, _, t)| *t).max().unwrap_or_default();
        let accepted: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 202).collect();
        let refused: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 409).collect();
        figures::record(
            "concurrent_triggers",
            &[
                ("triggers", 50),
                ("accepted", accepted.len() as u64),
                ("already_running", refused.len() as u64),
                ("slowest_answer_ms", ms(slowest)),
            ],
        );
        let statuses: Vec<_> = answers.iter().map(|(s, _, _)| *s).collect();
        assert_eq!(accepted.len(), 1, "one 202: {statuses:?}\n{answers:#?}");
        assert_eq!(refused.len(), 49, "49 × 409: {statuses:?}\n{answers:#?}");
        let id = accepted[0].1["executionId"].as_str().unwrap().to_owned();
        for (_, body, _) in &refused {
            assert_eq!(body["error"]["code"], "ALREADY_RUNNING", "{body}");
            assert_eq!(
                body["error"]["executionId"],
                id.as_str(),
                "the 409 names the running execution: {body}"
            );
        }
        let running = db.executions().running(None).await.unwrap();
        assert_eq!(running.len(), 1, "one RUNNING row: {running:#?}");
        assert_eq!(running[0].id.to_string(), id);
        let all = all_executions(db.executions()).await;
        assert_eq!(all.len(), 1, "no other row: {all:#?}");
        feed.set_delay(Duration::ZERO);
        let run = a.wait_finished(&id, Duration::from_secs(60)).await;
        assert_eq!(run["status"], "SUCCESS", "{run}");
    });
}
