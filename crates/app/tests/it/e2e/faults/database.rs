//! PostgreSQL goes away (connections refused and cut) or freezes (connections accepted and
//! kept, nothing answered) under a service with a run in progress, through the test's proxy.
//! Meanwhile every admin endpoint answers 503 `UNAVAILABLE` within `DATABASE_TIMEOUT` + 1 s
//! (never 500, never a hang) and `/healthz` stays 200; once the database is back the service
//! works without a restart, and the run in progress ends recorded with the real cause, never
//! as abandoned by its own instance.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use propimport_persistence::testing::TestDatabase;
use reqwest::Method;
use serde_json::{Value, json};

use super::super::proxy::Proxy;
use super::super::support::{Service, SlowFeed, url_of};
use super::{DATABASE_TIMEOUT, Env, demo_feed, figures, ms, quiet_schedule, sources_file, timed};

const SLOW: &str = "slow-feed";
const IDLE: &str = "idle-feed";
/// How long the database stays failed while the endpoints are probed.
const FAULT: Duration = Duration::from_secs(6);
/// How soon every admin endpoint must answer while the database is away.
const BOUND: Duration = Duration::from_secs(DATABASE_TIMEOUT.as_secs() + 1);

#[derive(Debug, Clone, Copy)]
enum Fault {
    /// New connections refused, open ones cut.
    Down,
    /// Everything accepted, nothing answered.
    Frozen,
}

/// What one endpoint answered during the fault.
#[derive(Debug, Default)]
struct Answers {
    statuses: BTreeMap<u16, usize>,
    codes: BTreeMap<String, usize>,
    slowest: Duration,
    example: Option<Value>,
}

fn database_fault(fault: Fault) {
    let rt = super::super::super::rt();
    let Some(db) = rt.block_on(TestDatabase::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ((proxy, through), feed) = rt.block_on(async {
        (
            Proxy::for_url(&url_of(&db)).await,
            SlowFeed::start(Duration::from_millis(300)).await,
        )
    });
    let demo = demo_feed();
    let quiet = quiet_schedule();
    let sources = sources_file(
        dir.path(),
        &[(SLOW, &feed.url, &quiet), (IDLE, &demo, &quiet)],
    );
    let env = Env::base()
        .set("IMPORT_SOURCES_FILE", &sources)
        .set(
            "DATABASE_TIMEOUT",
            &format!("{}s", DATABASE_TIMEOUT.as_secs()),
        )
        .set("IMPORT_SHUTDOWN_GRACE_SECONDS", "2");
    let service = Service::start(dir.path(), &through, &env.pairs());
    let base = service.base.clone();
    let api = format!("{base}/api/v1/admin/import-jobs");
    rt.block_on(async {
        service.wait_ready().await;
        let first = service.trigger(IDLE).await;
        service.wait_finished(&first, Duration::from_secs(30)).await;
        let id = service.trigger(SLOW).await;
        service.wait_progress(&id, 2).await;

        match fault {
            Fault::Down => proxy.cut(),
            Fault::Frozen => proxy.black_hole(),
        }
        // The rest of the feed at once: the import writes while the database is away.
        feed.set_delay(Duration::ZERO);
        let faulted = Instant::now();
        // Let the 100 ms read caches lapse.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let probes: Vec<(&str, Method, String, Option<Value>)> = vec![
            ("status", Method::GET, format!("{api}/status"), None),
            ("history", Method::GET, format!("{api}/history"), None),
            ("statistics", Method::GET, format!("{api}/statistics"), None),
            ("last", Method::GET, format!("{api}/last"), None),
            ("execution", Method::GET, format!("{api}/{id}"), None),
            (
                "trigger",
                Method::POST,
                format!("{api}/trigger"),
                Some(json!({"jobName": IDLE})),
            ),
        ];
        // Each endpoint probed in a loop of its own, so a slow one does not thin the others.
        let loops = probes.iter().map(|(name, method, url, body)| async move {
            let mut a = Answers::default();
            while faulted.elapsed() < FAULT {
                let (status, answer, took) = timed(method.clone(), url, body.clone()).await;
                *a.statuses.entry(status).or_default() += 1;
                let code = answer["error"]["code"].as_str().unwrap_or("-").to_owned();
                *a.codes.entry(code).or_default() += 1;
                if took >= a.slowest || status != 503 {
                    a.slowest = a.slowest.max(took);
                    a.example = Some(answer);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            (*name, a)
        });
        let healthz = async {
            let mut health = Vec::new();
            while faulted.elapsed() < FAULT {
                let (status, _, took) = timed(Method::GET, &format!("{base}/healthz"), None).await;
                health.push((status, took));
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            health
        };
        let (answers, health) = tokio::join!(futures::future::join_all(loops), healthz);
        let answers: BTreeMap<&str, Answers> = answers.into_iter().collect();
        proxy.restore();
        let restored = Instant::now();

        let slowest = answers.values().map(|a| a.slowest).max().unwrap_or_default();
        let (scenario, key) = match fault {
            Fault::Down => ("database_down", "down_db_slowest_503_ms"),
            Fault::Frozen => ("database_frozen", "frozen_db_slowest_503_ms"),
        };
        let mut figures: Vec<(String, u64)> = vec![
            (key.to_owned(), ms(slowest)),
            ("timeout_ms".to_owned(), ms(DATABASE_TIMEOUT)),
            ("bound_ms".to_owned(), ms(BOUND)),
        ];
        figures.extend(
            answers
                .iter()
                .map(|(name, a)| (format!("{name}_slowest_ms"), ms(a.slowest))),
        );
        let pairs: Vec<(&str, u64)> = figures.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        figures::record(scenario, &pairs);
        for (name, a) in &answers {
            eprintln!(
                "{scenario}: {name}: {:?} {:?}, slowest {:?}",
                a.statuses, a.codes, a.slowest
            );
        }
        // Checked once the recovery is checked too, so one failure does not hide another.
        let mut problems = Vec::new();
        for (name, a) in &answers {
            if !(a.statuses.keys().all(|s| *s == 503) && a.codes.keys().all(|c| c == "UNAVAILABLE")) {
                problems.push(format!(
                    "{name} answered other than 503 UNAVAILABLE: {:?} {:?}",
                    a.statuses, a.example
                ));
            }
            if a.slowest > BOUND {
                problems.push(format!(
                    "{name} took {:?} to answer 503 (DATABASE_TIMEOUT = {DATABASE_TIMEOUT:?}; bound \
                     {BOUND:?})",
                    a.slowest
                ));
            }
        }
        if !health
            .iter()
            .all(|(s, took)| *s == 200 && *took < Duration::from_secs(1))
        {
            problems.push(format!("/healthz stays 200 at once: {health:?}"));
        }

        // Back: the run in progress is recorded with what happened to it, and everything works.
        let run = service.wait_finished(&id, Duration::from_secs(60)).await;
        let error = run["lastError"].as_str().unwrap_or_default().to_owned();
        eprintln!(
            "{scenario}: the run in progress ended {} after the restore: {} {error:?}",
            humantime::format_duration(Duration::from_millis(ms(restored.elapsed()))),
            run["status"]
        );
        assert!(
            !error.contains("abandoned"),
            "{scenario}: a run of a live instance is never abandoned by itself: {run}"
        );
        if run["status"] == "FAILED" {
            let lower = error.to_lowercase();
            assert!(
                ["database", "unavailable", "connect", "timeout", "did not answer"]
                    .iter()
                    .any(|w| lower.contains(w)),
                "{scenario}: the run's lastError names the database's failure: {run}"
            );
        } else {
            assert_eq!(run["status"], "SUCCESS", "{scenario}: {run}");
        }
        for (name, method, url, _) in &probes {
            if *name == "trigger" {
                continue;
            }
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let (status, body, _) = timed(method.clone(), url, None).await;
                if status == 200 {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{scenario}: {name} after the restore: {status} {body}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        let again = service.trigger(IDLE).await;
        let run = service.wait_finished(&again, Duration::from_secs(60)).await;
        assert_eq!(run["status"], "SUCCESS", "{scenario}: works again: {run}");
        let log = service.stderr();
        let warnings: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .collect();
        assert!(
            problems.is_empty(),
            "{scenario}: while the database was away:\n  {}\nthe service's warnings:\n{}",
            problems.join("\n  "),
            warnings.join("\n")
        );
    });
    drop(service);
    assert!(proxy.accepted() > 0);
}

#[test]
fn postgres_down_every_endpoint_is_503_and_the_service_recovers() {
    database_fault(Fault::Down);
}

#[test]
fn postgres_frozen_every_endpoint_is_503_within_the_timeout_and_the_service_recovers() {
    database_fault(Fault::Frozen);
}
