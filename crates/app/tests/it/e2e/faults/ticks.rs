//! Every-second ticks across a ~5 s PostgreSQL outage: the ticks that cannot be recorded are
//! missed (counted in `/status` and `propimport_missed_ticks_total`), and once the database
//! answers the latest is run once at most (a newer tick supersedes an older one): no burst,
//! no tick run twice, never more runs than seconds.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use propimport_domain::ExecutionStatus;
use propimport_persistence::testing::TestDatabase;

use super::super::proxy::Proxy;
use super::super::records::{all_executions, assert_no_overlap};
use super::super::support::{Service, url_of};
use super::{DATABASE_TIMEOUT, Env, demo_feed, figures, metric, ms};

const JOB: &str = "every-second";
const OUTAGE: Duration = Duration::from_secs(5);

#[test]
fn postgres_outage_ticks_are_missed_then_not_run_in_a_burst() {
    let rt = super::super::super::rt();
    let Some(db) = rt.block_on(TestDatabase::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (proxy, through) = rt.block_on(Proxy::for_url(&url_of(&db)));
    let env = Env::base()
        .source(JOB, &demo_feed())
        .set("IMPORT_CRON_SCHEDULE", "* * * * * *")
        .set("IMPORT_MISFIRE_POLICY", "run_once")
        .set("IMPORT_MISFIRE_GRACE", "1h")
        .set(
            "DATABASE_TIMEOUT",
            &format!("{}s", DATABASE_TIMEOUT.as_secs()),
        );
    let began = Utc::now();
    let mut service = Service::start(dir.path(), &through, &env.pairs());
    let (cut_at, restored_at, status) = rt.block_on(async {
        service.wait_ready().await;
        wait_runs(&db, 2, None).await;
        between_runs(&db).await;
        proxy.cut();
        let cut_at = Utc::now();
        // The outage itself: its length is what is tested, not a state to wait for.
        tokio::time::sleep(OUTAGE).await;
        proxy.restore();
        let restored_at = Utc::now();
        wait_runs(&db, 3, Some(restored_at)).await;
        let started = Instant::now();
        let status = loop {
            let (code, body) = service.get("/api/v1/admin/import-jobs/status").await;
            let job = body["data"]["jobs"][0].clone();
            if code == 200 && job["pendingTick"].is_null() {
                break job;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no missed tick is left pending after the restore: {body}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let sample = format!("propimport_missed_ticks_total{{job_name=\"{JOB}\"}}");
        let counted = metric(&service.base, &sample).await;
        (cut_at, restored_at, (status, counted))
    });
    let (status, counted) = status;
    let (exit, _) = service.terminate(Duration::from_secs(30));
    assert!(exit.success(), "{}", service.stderr());
    let ended = Utc::now();
    let runs = rt.block_on(all_executions(db.executions()));

    let missed = status["missedTicks"].as_u64().unwrap_or(0);
    let seconds = (ended - began).num_seconds() + 1;
    let in_outage = runs
        .iter()
        .filter(|e| {
            e.scheduled_for
                .is_some_and(|t| t >= cut_at && t < restored_at)
        })
        .count();
    figures::record(
        "outage_every_second_ticks",
        &[
            ("outage_ms", ms(OUTAGE)),
            ("missed_ticks", missed),
            ("runs_of_ticks_in_outage", in_outage as u64),
            ("runs", runs.len() as u64),
            ("seconds", u64::try_from(seconds).unwrap_or(0)),
        ],
    );
    let log = service.stderr();
    assert!(missed > 0, "missed ticks are counted: {status}\n{log}");
    assert!(
        status["lastMissedTick"].is_string(),
        "the latest missed tick is shown: {status}"
    );
    assert_eq!(status["late"], false, "{status}");
    assert_eq!(
        counted,
        Some(missed as f64),
        "propimport_missed_ticks_total agrees with /status"
    );
    let mut ticks: Vec<DateTime<Utc>> = runs.iter().filter_map(|e| e.scheduled_for).collect();
    assert_eq!(ticks.len(), runs.len(), "every run is a scheduled tick");
    ticks.sort();
    let distinct = ticks.len();
    ticks.dedup();
    assert_eq!(distinct, ticks.len(), "no tick ran twice: {runs:#?}");
    assert!(
        ticks.iter().all(|t| t.timestamp_subsec_millis() == 0),
        "ticks are whole seconds: {ticks:?}"
    );
    assert!(
        i64::try_from(runs.len()).unwrap() <= seconds,
        "{} runs in {seconds} s",
        runs.len()
    );
    assert!(
        in_outage <= 2,
        "at most one missed tick is run after the outage (and one that beat the cut): \
         {in_outage} runs of ticks in [{cut_at}, {restored_at})\n{log}"
    );
    let mut starts: Vec<DateTime<Utc>> = runs.iter().map(|e| e.started_at).collect();
    starts.sort();
    for window in starts.windows(3) {
        assert!(
            window[2] - window[0] >= chrono::Duration::seconds(1),
            "three runs started within a second (a burst): {window:?}"
        );
    }
    assert!(
        runs.iter().all(|e| e.status != ExecutionStatus::Running),
        "nothing left RUNNING"
    );
    assert_no_overlap(&runs, JOB);
}

/// Waits until `n` runs of ticks after `after` (or any) have finished.
async fn wait_runs(db: &TestDatabase, n: usize, after: Option<DateTime<Utc>>) {
    let started = Instant::now();
    loop {
        let runs = all_executions(db.executions()).await;
        let done = runs
            .iter()
            .filter(|e| e.status != ExecutionStatus::Running)
            .filter(|e| after.is_none_or(|a| e.scheduled_for.is_some_and(|t| t > a)))
            .count();
        if done >= n {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "only {done} of {n} runs: {runs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Returns half a second after a tick, once no run is in progress: the outage then starts
/// between runs, so its ticks are missed rather than skipped behind a run that waits to
/// record its end.
async fn between_runs(db: &TestDatabase) {
    let started = Instant::now();
    loop {
        let now = Utc::now();
        let past = u64::from(now.timestamp_subsec_millis());
        let wait = (1500 - past) % 1000;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let running = propimport_domain::ExecutionStore::running(db.executions(), None)
            .await
            .unwrap();
        if running.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "a run is always in progress: {running:#?}"
        );
    }
}

/// A tick every ten seconds, and the database away from a second before a tick to a second
/// and a half after it: the tick is missed, and once the database answers it runs once
/// (within `IMPORT_MISFIRE_GRACE`) or not at all (older than the grace).
fn missed_tick_then_misfire_policy(grace: &str, runs_once: bool) {
    let rt = super::super::super::rt();
    let Some(db) = rt.block_on(TestDatabase::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (proxy, through) = rt.block_on(Proxy::for_url(&url_of(&db)));
    let env = Env::base()
        .source(JOB, &demo_feed())
        .set("IMPORT_CRON_SCHEDULE", "*/10 * * * * *")
        .set("IMPORT_MISFIRE_POLICY", "run_once")
        .set("IMPORT_MISFIRE_GRACE", grace)
        .set(
            "DATABASE_TIMEOUT",
            &format!("{}s", DATABASE_TIMEOUT.as_secs()),
        );
    let service = Service::start(dir.path(), &through, &env.pairs());
    let (tick, status, runs) = rt.block_on(async {
        service.wait_ready().await;
        // The next tick at least 2.5 s away.
        let now = Utc::now();
        let mut tick = DateTime::from_timestamp(now.timestamp() - now.timestamp() % 10, 0).unwrap();
        while tick - now < chrono::Duration::milliseconds(2500) {
            tick += chrono::Duration::seconds(10);
        }
        let until = |t: DateTime<Utc>| (t - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(until(tick - chrono::Duration::seconds(1))).await;
        proxy.cut();
        tokio::time::sleep(until(tick + chrono::Duration::milliseconds(1500))).await;
        proxy.restore();
        // The retries come 1 s and then 2 s apart: the second finds the database.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (code, body) = service.get("/api/v1/admin/import-jobs/status").await;
            let job = body["data"]["jobs"][0].clone();
            let runs: Vec<_> = all_executions(db.executions())
                .await
                .into_iter()
                .filter(|e| e.scheduled_for == Some(tick))
                .collect();
            let settled = code == 200
                && job["missedTicks"].as_u64() > Some(0)
                && job["pendingTick"].is_null()
                && Utc::now() > tick + chrono::Duration::milliseconds(4500);
            if settled && (!runs_once || runs.iter().any(|e| e.status != ExecutionStatus::Running))
            {
                break (tick, job, runs);
            }
            assert!(
                Instant::now() < deadline,
                "the missed tick {tick} did not settle: {body}\n{runs:#?}\n{}",
                service.stderr()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let log = service.stderr();
    assert_eq!(status["missedTicks"], 1, "{status}\n{log}");
    assert_eq!(
        status["lastMissedTick"],
        tick.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "{status}"
    );
    if runs_once {
        assert_eq!(runs.len(), 1, "the missed tick runs once: {runs:#?}\n{log}");
        assert_eq!(runs[0].status, ExecutionStatus::Success, "{runs:#?}");
        assert!(
            runs[0].started_at > tick + chrono::Duration::milliseconds(1500),
            "it ran once the database answered: {runs:#?}"
        );
    } else {
        assert!(
            runs.is_empty(),
            "a missed tick older than the grace is not run: {runs:#?}\n{log}"
        );
        assert!(log.contains("older than IMPORT_MISFIRE_GRACE"), "{log}");
    }
    figures::record(
        if runs_once {
            "missed_tick_within_grace"
        } else {
            "missed_tick_past_grace"
        },
        &[
            ("missed_ticks", status["missedTicks"].as_u64().unwrap_or(0)),
            ("runs_of_the_missed_tick", runs.len() as u64),
            (
                "run_after_tick_ms",
                runs.first().map_or(0, |e| {
                    u64::try_from((e.started_at - tick).num_milliseconds()).unwrap_or(0)
                }),
            ),
        ],
    );
}

#[test]
fn postgres_tick_missed_in_an_outage_runs_once_within_the_grace() {
    missed_tick_then_misfire_policy("1h", true);
}

#[test]
fn postgres_tick_missed_in_an_outage_is_skipped_past_the_grace() {
    missed_tick_then_misfire_policy("1s", false);
}
