//! `serve` on SQLite and PostgreSQL: ready, trigger imports the demo feed, a second trigger
//! skips everything, `/metrics` counts both; two replicas on one PostgreSQL.

use std::time::Duration;

use propimport_domain::ExecutionStatus;
use propimport_persistence::testing::TestDatabase;

use super::records::{all_executions, assert_no_overlap, executions_per_tick};
use super::support::Service;

const JOB: &str = "demo-costa-blanca";

async fn import_twice(service: &Service) {
    service.wait_ready().await;
    let first = service.trigger(JOB).await;
    let run = service.wait_finished(&first, Duration::from_secs(60)).await;
    assert_eq!(run["status"], "SUCCESS", "{run}");
    assert_eq!(run["totalProperties"], 30);
    assert_eq!(run["successCount"], 30);
    assert_eq!(run["details"]["inserted"], 30);
    let (_, last) = service
        .get(&format!("/api/v1/admin/import-jobs/last?jobName={JOB}"))
        .await;
    assert_eq!(last["data"]["id"], first.as_str());

    let second = service.trigger(JOB).await;
    let run = service
        .wait_finished(&second, Duration::from_secs(60))
        .await;
    assert_eq!(run["status"], "SUCCESS", "{run}");
    assert_eq!(
        run["skippedCount"], 30,
        "a second identical import skips all: {run}"
    );
    assert_eq!(run["successCount"], 0);

    let (status, metrics) = super::support::request(
        reqwest::Method::GET,
        &format!("{}/metrics", service.base),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let text = metrics.as_str().unwrap_or_default();
    assert!(
        text.contains(&format!(
            "propimport_runs_total{{job_name=\"{JOB}\",status=\"success\"}} 2"
        )),
        "{text}"
    );
    assert!(text.contains("propimport_http_requests_total"), "{text}");
    assert!(
        text.contains(&format!(
            "propimport_properties_total{{job_name=\"{JOB}\",outcome=\"skipped\"}} 30"
        )),
        "{text}"
    );
}

#[test]
fn sqlite_serve_trigger_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("e2e.db").display());
    let mut service = Service::start(dir.path(), &url, &[]);
    let banner = service.stdout_until("admin API");
    assert!(banner.contains("/dashboard/"), "{banner}");
    assert!(banner.contains("job demo-costa-blanca"), "{banner}");
    super::super::rt().block_on(import_twice(&service));
    let (status, took) = service.terminate(Duration::from_secs(20));
    assert!(status.success(), "exit {status:?}: {}", service.stderr());
    assert!(took < Duration::from_secs(10));
    assert!(service.stderr().contains("received, shutting down"));
}

#[test]
fn postgres_serve_trigger_and_metrics() {
    let rt = super::super::rt();
    let Some(db) = rt.block_on(TestDatabase::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = super::support::url_of(&db);
    let mut service = Service::start(dir.path(), &url, &[]);
    rt.block_on(import_twice(&service));
    let (status, _) = service.terminate(Duration::from_secs(20));
    assert!(status.success(), "{}", service.stderr());
}

/// Two `serve` processes on one database, every second, until each has run a tick and twelve
/// ticks of each job finished: each tick has exactly one execution, and runs of a job never overlap. (`faults::replicas` kills one of two replicas
/// mid-way with the same checks.)
#[test]
fn postgres_two_replicas_every_second() {
    let rt = super::super::rt();
    let Some(db) = rt.block_on(TestDatabase::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = super::support::url_of(&db);
    let env = [
        ("IMPORT_CRON_SCHEDULE", "* * * * * *"),
        ("IMPORT_MISFIRE_POLICY", "skip"),
        ("RETENTION_CRON_SCHEDULE", "0 3 * * *"),
    ];
    let mut a = Service::start(dir.path(), &url, &env);
    let mut b = Service::start(dir.path(), &url, &env);
    // Wait for the runs rather than for a time: twelve finished ticks of each job, and a tick
    // run by each replica, within a deadline generous for a loaded machine.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let executions = rt.block_on(all_executions(db.executions()));
        let finished: Vec<_> = executions
            .into_iter()
            .filter(|e| e.status != ExecutionStatus::Running)
            .collect();
        let ticks = executions_per_tick(&finished).len();
        let instances: std::collections::HashSet<_> = finished
            .iter()
            .filter_map(|e| e.instance_id.clone())
            .collect();
        if ticks >= 2 * 12 && instances.len() == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "within 120 s: {ticks} ticks finished, by {instances:?}\n{}\n{}",
            a.stderr(),
            b.stderr()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(
        a.terminate(Duration::from_secs(30)).0.success(),
        "{}",
        a.stderr()
    );
    assert!(
        b.terminate(Duration::from_secs(30)).0.success(),
        "{}",
        b.stderr()
    );
    let executions = rt.block_on(all_executions(db.executions()));
    for e in &executions {
        assert_ne!(e.status, ExecutionStatus::Running, "left RUNNING: {e:?}");
    }
    let per_tick = executions_per_tick(&executions);
    assert!(
        per_tick.len() >= 2 * 12,
        "too few ticks ran: {}",
        per_tick.len()
    );
    assert!(
        per_tick.values().all(|n| *n == 1),
        "a tick ran twice: {per_tick:?}"
    );
    let instances: std::collections::HashSet<_> = executions
        .iter()
        .filter_map(|e| e.instance_id.clone())
        .collect();
    assert_eq!(instances.len(), 2, "both replicas ran ticks: {instances:?}");
    for job in ["demo-costa-blanca", "demo-north-macedonia"] {
        assert_no_overlap(&executions, job);
    }
}
