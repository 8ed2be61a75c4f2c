//! `kill -9` during an import, on SQLite and PostgreSQL, and an immediate restart: the dead
//! run is recorded FAILED "abandoned" within the lease plus the sweep interval of its last
//! heartbeat (never before the lease has passed), it ends at that heartbeat, and no other run
//! of the job starts meanwhile (nothing ticks: the schedule is daily, twelve hours away).

use std::time::{Duration, Instant};

use chrono::Utc;
use propimport_persistence::testing::TestDatabase;

use super::super::support::{Service, SlowFeed, url_of};
use super::{Env, LEASE, SLACK, figures, ms, recovery_bound, sweep_interval, utc};

const JOB: &str = "slow-feed";

fn kill_9_mid_import(backend: &str, url: &str) {
    let rt = super::super::super::rt();
    let dir = tempfile::tempdir().unwrap();
    let feed = rt.block_on(SlowFeed::start(Duration::from_millis(300)));
    let env = Env::base().source(JOB, &feed.url);
    let mut service = Service::start(dir.path(), url, &env.pairs());
    let (id, before) = rt.block_on(async {
        service.wait_ready().await;
        let id = service.trigger(JOB).await;
        (id.clone(), service.wait_progress(&id, 2).await)
    });
    let seen_heartbeat = utc(&before["heartbeatAt"]);
    let killed = Instant::now();
    service.kill();
    let dead_at = Utc::now();
    let log = service.stderr();

    let service = Service::start(dir.path(), url, &env.pairs());
    let (run, recovered_after, observed_at) = rt.block_on(async {
        service.wait_ready().await;
        loop {
            let (status, body) = service
                .get(&format!("/api/v1/admin/import-jobs/history?jobName={JOB}"))
                .await;
            assert_eq!(status, 200, "{body}");
            let runs = body["data"]["executions"].as_array().unwrap().clone();
            assert!(
                runs.len() == 1 && runs[0]["id"] == id.as_str(),
                "no other run of the job starts meanwhile: {body}"
            );
            if runs[0]["status"] != "RUNNING" {
                break (runs[0].clone(), killed.elapsed(), Utc::now());
            }
            assert!(
                killed.elapsed() < recovery_bound() + SLACK * 4,
                "the dead run is still RUNNING {:?} after the kill: {body}\n{}",
                killed.elapsed(),
                service.stderr()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let bound = recovery_bound() + SLACK;
    figures::record(
        &format!("kill_9.{backend}"),
        &[
            ("recovery_after_kill_ms", ms(recovered_after)),
            (
                "recovery_after_last_heartbeat_ms",
                u64::try_from((observed_at - utc(&run["completedAt"])).num_milliseconds())
                    .unwrap_or(0),
            ),
            ("bound_ms", ms(recovery_bound())),
            ("lease_ms", ms(LEASE)),
            ("sweep_interval_ms", ms(sweep_interval())),
        ],
    );
    assert_eq!(run["status"], "FAILED", "{run}");
    let error = run["lastError"].as_str().unwrap_or_default();
    let since = error
        .strip_prefix("abandoned: no heartbeat since ")
        .unwrap_or_else(|| panic!("an abandoned run: {run}"));
    let since = since.split_whitespace().next().unwrap();
    let completed = utc(&run["completedAt"]);
    assert_eq!(
        completed,
        utc(&serde_json::json!(since)),
        "it ends at its last heartbeat: {run}"
    );
    assert!(
        completed >= seen_heartbeat && completed <= dead_at,
        "last heartbeat {completed} is between the one seen before the kill \
         ({seen_heartbeat}) and the kill ({dead_at}): {run}\n{log}"
    );
    let started = utc(&run["startedAt"]);
    let duration = run["durationMs"].as_i64().unwrap_or(-1);
    assert!(
        (duration - (completed - started).num_milliseconds()).abs() <= 1,
        "duration = last heartbeat - start (to the millisecond the API shows): {run}"
    );
    assert!(
        run["totalProperties"].as_i64().unwrap_or(0) >= 2,
        "counts so far are kept: {run}"
    );
    assert!(
        observed_at - completed >= chrono::Duration::from_std(LEASE).unwrap(),
        "not abandoned before its lease lapsed: recorded by {observed_at}, last heartbeat \
         {completed}"
    );
    assert!(
        recovered_after <= bound,
        "FAILED {recovered_after:?} after the kill; bound: lease + sweep interval + slack = \
         {bound:?}\n{}",
        service.stderr()
    );
}

#[test]
fn sqlite_kill_9_mid_import_is_abandoned_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("kill.db").display());
    kill_9_mid_import("sqlite", &url);
}

#[test]
fn postgres_kill_9_mid_import_is_abandoned_within_the_bound() {
    let rt = super::super::super::rt();
    let Some(db) = rt.block_on(TestDatabase::postgres()) else {
        return;
    };
    kill_9_mid_import("postgres", &url_of(&db));
}
