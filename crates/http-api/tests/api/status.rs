//! `/status` over a real server: reused answers that never hide a change, and a running
//! execution's progress from its heartbeat or, live, from the instance running it.

use std::sync::Arc;

use chrono::{Duration, Utc};
use propimport_domain::testing::InMemoryExecutionStore;
use propimport_domain::{
    ErrorLog, ExecutionId, ExecutionStatus, ExecutionStore, FinishExecution, JobName, LiveProgress,
    NewExecution, Progress, RunCounts, TriggeredBy, format_utc_millis,
};
use reqwest::Method;

use propimport_http_api::testing::{TestServer, call};

const JOBS: &[&str] = &["feed-a", "feed-b"];

async fn status(server: &TestServer) -> serde_json::Value {
    call(
        server,
        Method::GET,
        "/api/v1/admin/import-jobs/status",
        None,
    )
    .await
    .1["data"]
        .clone()
}

/// A reused `/status` answer never hides this process's runs starting, advancing or
/// finishing, nor the scheduler stopping, however soon after it they are asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_every_change_at_once() {
    let store: Arc<dyn ExecutionStore> = Arc::new(InMemoryExecutionStore::new());
    let server = TestServer::start(store.clone(), JOBS, false).await;
    let job = JobName::parse("feed-b").unwrap();
    let first = status(&server).await;
    assert!(first["jobs"][1]["lastExecution"].is_null());
    assert_eq!(status(&server).await, first, "nothing changed");

    let started = Utc::now() - Duration::seconds(5);
    let run = store
        .create_running(NewExecution {
            id: ExecutionId::new(),
            job_name: job.clone(),
            triggered_by: TriggeredBy::Api,
            started_at: started,
            scheduled_for: None,
            attempt: 1,
            instance_id: None,
        })
        .await
        .unwrap();
    let s = status(&server).await;
    assert_eq!(s["runningExecution"]["id"], run.id.to_string());
    assert_eq!(s["isRunning"], true, "a run executes");
    assert_eq!(s["schedulerRunning"], true);
    assert_eq!(s["jobs"][1]["lastExecution"]["status"], "RUNNING");

    let counts = RunCounts {
        total_properties: 7,
        success_count: 7,
        failed_count: 0,
        skipped_count: 0,
    };
    store
        .heartbeat(
            &run.id,
            &Progress {
                counts,
                expected_total: None,
                ..Default::default()
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let s = status(&server).await;
    assert_eq!(s["runningExecution"]["totalProperties"], 7, "{s}");

    store
        .finish(
            &run.id,
            FinishExecution {
                status: ExecutionStatus::Success,
                completed_at: Utc::now(),
                counts,
                errors: ErrorLog::default(),
                last_error: None,
                details: None,
            },
        )
        .await
        .unwrap();
    let s = status(&server).await;
    assert!(s["runningExecution"].is_null());
    assert_eq!(s["isRunning"], false, "idle");
    assert_eq!(s["jobs"][1]["lastExecution"]["status"], "SUCCESS");

    server.control.stop();
    let stopped = status(&server).await;
    assert_eq!(stopped["schedulerRunning"], false);
    assert_eq!(stopped["isRunning"], false);
    server.stop().await;
}

/// A running execution shows its progress: from its last heartbeat (`live: false`) until
/// the instance running it reports newer counts from memory, which then replace the
/// heartbeat's, with the rate, the share done and the time left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_execution_shows_its_progress() {
    let store: Arc<dyn ExecutionStore> = Arc::new(InMemoryExecutionStore::new());
    let server = TestServer::start(store.clone(), JOBS, false).await;
    let started = Utc::now() - Duration::seconds(10);
    let run = store
        .create_running(NewExecution {
            id: ExecutionId::new(),
            job_name: JobName::parse("feed-a").unwrap(),
            triggered_by: TriggeredBy::Api,
            started_at: started,
            scheduled_for: None,
            attempt: 1,
            instance_id: None,
        })
        .await
        .unwrap();
    let counts = |total, success, skipped| RunCounts {
        total_properties: total,
        success_count: success,
        failed_count: 0,
        skipped_count: skipped,
    };
    let beat = started + Duration::seconds(5);
    let stored = Progress {
        counts: counts(100, 100, 0),
        ..Progress::default()
    };
    store.heartbeat(&run.id, &stored, beat).await.unwrap();
    let p = status(&server).await["jobs"][0]["runningExecution"]["progress"].clone();
    assert_eq!(p["live"], false, "{p}");
    assert_eq!(p["processed"], 100);
    assert_eq!(
        p["ratePerSecond"], 20.0,
        "100 records in the 5 s to the heartbeat"
    );
    assert_eq!(p["asOf"], format_utc_millis(&beat));
    assert!(p["percent"].is_null() && p["etaSeconds"].is_null() && p["bytesRead"].is_null());

    let now = started + Duration::seconds(10);
    let live = Progress {
        counts: counts(400, 300, 100),
        bytes_read: Some(4_000),
        bytes_total: Some(10_000),
        ..Progress::default()
    };
    server.control.set_live(
        run.id,
        LiveProgress {
            progress: live,
            as_of: now,
        },
    );
    // A `/status` answer is reused for 100 ms at most while the store is unchanged.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let job = loop {
        let job = status(&server).await["jobs"][0].clone();
        if job["runningExecution"]["progress"]["live"] == true {
            break job;
        }
        assert!(std::time::Instant::now() < deadline, "never live: {job}");
    };
    let e = &job["runningExecution"];
    assert_eq!(
        (
            &e["totalProperties"],
            &e["successCount"],
            &e["skippedCount"]
        ),
        (&400.into(), &300.into(), &100.into())
    );
    let p = &e["progress"];
    assert_eq!(
        (&p["processed"], &p["bytesRead"], &p["bytesTotal"]),
        (&400.into(), &4000.into(), &10000.into())
    );
    assert_eq!(
        (&p["percent"], &p["ratePerSecond"]),
        (&40.0.into(), &40.0.into())
    );
    assert_eq!(p["etaSeconds"], 15, "40 % in 10 s: 60 % in 15 s more");
    assert_eq!(p["asOf"], format_utc_millis(&now));
    assert_eq!(
        job["lastExecution"]["progress"]["live"], true,
        "the same run"
    );

    // Other answers show the record's progress; an ended run has none.
    let (_, history) = call(
        &server,
        Method::GET,
        "/api/v1/admin/import-jobs/history",
        None,
    )
    .await;
    assert_eq!(
        history["data"]["executions"][0]["progress"]["live"], false,
        "{history}"
    );
    let finish = FinishExecution {
        status: ExecutionStatus::Success,
        completed_at: Utc::now(),
        counts: counts(1000, 900, 100),
        errors: ErrorLog::default(),
        last_error: None,
        details: None,
    };
    store.finish(&run.id, finish).await.unwrap();
    let job = status(&server).await["jobs"][0].clone();
    assert!(job["runningExecution"].is_null());
    assert!(job["lastExecution"]["progress"].is_null(), "{job}");
    server.stop().await;
}
