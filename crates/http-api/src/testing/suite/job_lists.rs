//! `/status` over many jobs: search, filters and pages of the jobs, the summary of every job
//! whatever they are, and a thousand jobs answered a page at a time.

use std::sync::Arc;

use chrono::{Duration, Utc};
use propimport_domain::{
    ErrorLog, ExecutionId, ExecutionStatus, ExecutionStore, FinishExecution, JobName, NewExecution,
    RunCounts, TriggeredBy,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{call, call_as, error_code};
use crate::testing::{OpenApiChecker, StoreControl, TestServer};

const STATUS: &str = "/api/v1/admin/import-jobs/status";

/// Starts a run of `job` `minutes` ago and, unless `status` is RUNNING, ends it a second later.
async fn run(store: &dyn ExecutionStore, job: &str, minutes: i64, status: ExecutionStatus) {
    let started = Utc::now() - Duration::minutes(minutes);
    let created = store
        .create_running(NewExecution {
            id: ExecutionId::new(),
            job_name: JobName::parse(job).unwrap_or_else(|_| JobName::default_import()),
            triggered_by: TriggeredBy::Cron,
            started_at: started,
            scheduled_for: None,
            attempt: 1,
            instance_id: Some("seed".into()),
        })
        .await
        .unwrap_or_else(|e| panic!("start a run of {job}: {e}"));
    if status.is_finished() {
        let end = FinishExecution {
            status,
            completed_at: started + Duration::seconds(1),
            counts: RunCounts::default(),
            errors: ErrorLog::default(),
            last_error: (status == ExecutionStatus::Failed).then(|| "fetch: 503".to_owned()),
            details: None,
        };
        store
            .finish(&created.id, end)
            .await
            .unwrap_or_else(|e| panic!("finish a run of {job}: {e}"));
    }
}

fn names(data: &Value) -> Vec<String> {
    data["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|j| j["jobName"].as_str().map(str::to_owned))
        .collect()
}

async fn status(server: &TestServer, checker: &OpenApiChecker, query: &str) -> Value {
    let path = format!("{STATUS}{query}");
    let (code, body) = call(server, Method::GET, &path, None).await;
    assert_eq!(code, StatusCode::OK, "{path}: {body}");
    checker.check_response("GET", &path, 200, &body);
    body["data"].clone()
}

/// `/status` searches job names (ignoring case) and filters by the last execution's status,
/// failing, late, paused and running, every condition together, a page at a time; the summary
/// counts every job whatever the filters and the page, and the top-level fields stay the first
/// configured job's.
pub async fn status_searches_filters_and_pages_jobs(store: Arc<dyn ExecutionStore>) {
    let jobs = [
        "kyero-a", "kyero-b", "reso-c", "reso-d", "blm-e", "json-f", "json-g",
    ];
    use ExecutionStatus::{Failed, Partial, Running, Success};
    for (job, minutes, status) in [
        ("kyero-a", 50, Success),
        ("kyero-b", 40, Failed),
        ("reso-c", 30, Failed),
        ("reso-c", 5, Running),
        ("reso-d", 20, Partial),
        ("json-f", 10, Success),
    ] {
        run(store.as_ref(), job, minutes, status).await;
    }
    let parse = |j: &str| JobName::parse(j).unwrap_or_else(|_| JobName::default_import());
    let control = Arc::new(StoreControl::with_late(
        store.clone(),
        jobs.iter().map(|j| parse(j)).collect(),
        vec![parse("blm-e")],
    ));
    let server = TestServer::with_control(store.clone(), control).await;
    let (_, doc) = call_as(&server, Method::GET, "/api/v1/openapi.json", None, None).await;
    let checker = OpenApiChecker::new(doc);
    call(
        &server,
        Method::POST,
        "/api/v1/admin/import-jobs/jobs/reso-d/pause",
        None,
    )
    .await;

    let all = status(&server, &checker, "").await;
    assert_eq!(names(&all), jobs, "every job, in configuration order");
    assert_eq!(
        all["pagination"],
        json!({"total": 7, "limit": 100, "offset": 0, "hasMore": false})
    );
    let summary = json!({"total": 7, "running": 1, "paused": 1, "late": 1, "failing": 2,
        "neverRun": 2, "byLastStatus": {"RUNNING": 1, "SUCCESS": 2, "FAILED": 1, "PARTIAL": 1}});
    assert_eq!(all["summary"], summary, "{all}");
    assert_eq!(all["jobs"][4]["late"], true);
    assert_eq!(all["jobs"][3]["paused"], true);

    for (query, wanted) in [
        ("?q=KYERO", vec!["kyero-a", "kyero-b"]),
        ("?q=o-", vec!["kyero-a", "kyero-b", "reso-c", "reso-d"]),
        ("?failing=true", vec!["kyero-b", "reso-c"]),
        (
            "?failing=false&paused=false",
            vec!["kyero-a", "blm-e", "json-f", "json-g"],
        ),
        ("?status=failed", vec!["kyero-b"]),
        ("?status=RUNNING", vec!["reso-c"]),
        ("?running=true", vec!["reso-c"]),
        ("?late=true", vec!["blm-e"]),
        ("?paused=true", vec!["reso-d"]),
        ("?q=reso&failing=true&running=false", vec![]),
        ("?q=json&status=SUCCESS", vec!["json-f"]),
    ] {
        let data = status(&server, &checker, query).await;
        assert_eq!(names(&data), wanted, "{query}");
        assert_eq!(data["pagination"]["total"], wanted.len(), "{query}");
        assert_eq!(
            data["summary"], summary,
            "{query}: the summary counts every job"
        );
        // The earlier service's top-level fields: the first configured job's, and whether a
        // run of any job executes.
        assert_eq!(data["schedule"], "0 0 * * *", "{query}");
        assert_eq!(data["nextRuns"], all["nextRuns"], "{query}");
        assert_eq!(data["isRunning"], true, "{query}");
        assert_eq!(data["runningExecution"]["jobName"], "reso-c", "{query}");
    }

    let page = status(&server, &checker, "?limit=2&offset=2").await;
    assert_eq!(names(&page), ["reso-c", "reso-d"]);
    assert_eq!(
        page["pagination"],
        json!({"total": 7, "limit": 2, "offset": 2, "hasMore": true})
    );
    let last = status(&server, &checker, "?limit=3&offset=6").await;
    assert_eq!(names(&last), ["json-g"]);
    assert_eq!(last["pagination"]["hasMore"], false);
    let past = status(&server, &checker, "?offset=50").await;
    assert!(names(&past).is_empty());
    assert_eq!(past["pagination"]["total"], 7);
    assert_eq!(past["isScheduled"], true, "the first job's fields stay");

    // A pause shows at once in the summary and the filters (the answers are not reused).
    call(
        &server,
        Method::POST,
        "/api/v1/admin/import-jobs/jobs/reso-d/resume",
        None,
    )
    .await;
    let resumed = status(&server, &checker, "?paused=true").await;
    assert!(names(&resumed).is_empty());
    assert_eq!(resumed["summary"]["paused"], 0);

    for (query, parameter) in [
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?offset=-1", "offset"),
        ("?q=", "q"),
        ("?status=DONE", "status"),
        ("?failing=yes", "failing"),
        ("?late=", "late"),
        ("?paused=1", "paused"),
        ("?running=maybe", "running"),
    ] {
        let path = format!("{STATUS}{query}");
        let (code, body) = call(&server, Method::GET, &path, None).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(error_code(&body), "INVALID_PARAMETER");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(parameter), "{path}: {message}");
        checker.check_response("GET", &path, 400, &body);
    }
    server.stop().await;
}

/// A thousand jobs: `/status` answers a page of 100 by default (at most 500), its size
/// bounded by the page, with the summary of every job; `/metrics` has per-job gauges for the
/// first 100 jobs and one summed-up series for the rest.
pub async fn a_thousand_jobs_are_answered_a_page_at_a_time(store: Arc<dyn ExecutionStore>) {
    let jobs: Vec<String> = (0..1000).map(|i| format!("feed-{i:04}")).collect();
    for (i, job) in jobs.iter().enumerate() {
        let status = match i {
            _ if i % 250 == 7 => ExecutionStatus::Running,
            _ if i % 10 == 0 => ExecutionStatus::Failed,
            _ => ExecutionStatus::Success,
        };
        run(store.as_ref(), job, 60, status).await;
    }
    let names_of: Vec<&str> = jobs.iter().map(String::as_str).collect();
    let server = TestServer::start(store, &names_of, false).await;
    let (_, doc) = call_as(&server, Method::GET, "/api/v1/openapi.json", None, None).await;
    let checker = OpenApiChecker::new(doc);

    let path = STATUS.to_owned();
    let (_, body) = call(&server, Method::GET, &path, None).await;
    checker.check_response("GET", &path, 200, &body);
    let data = &body["data"];
    assert_eq!(names(data), jobs[..100], "the first page of 100");
    assert_eq!(
        data["pagination"],
        json!({"total": 1000, "limit": 100, "offset": 0, "hasMore": true})
    );
    assert_eq!(
        (
            data["summary"]["total"].clone(),
            data["summary"]["failing"].clone(),
            data["summary"]["running"].clone()
        ),
        (json!(1000), json!(100), json!(4))
    );
    let size = body.to_string().len();
    assert!(size < 160_000, "a page of 100 jobs is {size} bytes");

    let small = call(&server, Method::GET, &format!("{STATUS}?limit=10"), None)
        .await
        .1;
    let small_size = small.to_string().len();
    assert!(
        small_size * 5 < size,
        "the answer follows the page: 10 jobs {small_size} bytes, 100 jobs {size} bytes"
    );

    let most = status(&server, &checker, "?limit=500&offset=500").await;
    assert_eq!(names(&most), jobs[500..]);
    let searched = status(&server, &checker, "?q=FEED-09").await;
    assert_eq!(names(&searched), jobs[900..]);
    assert_eq!(searched["pagination"]["total"], 100);
    let failing = status(&server, &checker, "?failing=true&limit=500").await;
    assert_eq!(failing["pagination"]["total"], 100);
    assert!(
        failing["jobs"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|j| j["lastExecution"]["status"] == "FAILED")
    );
    let running = status(&server, &checker, "?running=true").await;
    assert_eq!(
        names(&running),
        ["feed-0007", "feed-0257", "feed-0507", "feed-0757"]
    );

    let (code, text) = call_as(&server, Method::GET, "/metrics", None, None).await;
    assert_eq!(code, StatusCode::OK);
    let text = text.as_str().unwrap_or_default();
    let gauge = |job: &str| format!("propimport_job_running{{job_name=\"{job}\"}} ");
    assert!(
        text.contains(&gauge("feed-0099")),
        "the 100th job has its own series"
    );
    assert!(
        !text.contains(&gauge("feed-0100")),
        "the 101st job has none"
    );
    assert!(
        text.contains("propimport_job_running{job_name=\"(other)\"} 1"),
        "the rest summed up: one of them runs"
    );
    let per_job = text
        .lines()
        .filter(|l| l.starts_with("propimport_job_") || l.starts_with("propimport_consecutive"))
        .count();
    assert!(per_job <= 7 * 101, "{per_job} per-job gauge lines");
    server.stop().await;
}
