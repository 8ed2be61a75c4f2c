//! `POST /trigger`: one job, every job, conflicts, the rate limit and the audit rows.

use std::sync::Arc;

use propimport_domain::ExecutionStore;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{JOBS, TRIGGER, call, client, error_code};
use crate::testing::{TOKEN, TestServer};

/// 400 for an unknown job, 202 with the seed's body, then 409 naming the running execution;
/// each audited.
pub async fn trigger_conflict_and_audit(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store, JOBS, false).await;
    let trigger = TRIGGER;
    let (status, body) = call(
        &server,
        Method::POST,
        trigger,
        Some(json!({"jobName": "nope"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown job: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("jobName") && m.contains("demo-costa-blanca")),
        "{body}"
    );
    let (status, body) = call(
        &server,
        Method::POST,
        trigger,
        Some(json!({"jobName": "demo-costa-blanca"})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "Property import job started");
    assert!(
        body["note"]
            .as_str()
            .is_some_and(|n| n.contains("/api/v1/admin/import-jobs/last"))
    );
    let id = body["executionId"].as_str().unwrap_or_default().to_owned();
    let (status, body) = call(
        &server,
        Method::POST,
        &format!("{trigger}?jobName=demo-costa-blanca"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "ALREADY_RUNNING");
    assert_eq!(body["error"]["executionId"], id.as_str());
    let (_, running) = call(
        &server,
        Method::GET,
        &format!("/api/v1/admin/import-jobs/{id}"),
        None,
    )
    .await;
    assert_eq!(running["data"]["status"], "RUNNING");
    assert_eq!(running["data"]["triggeredBy"], "api");
    let (status, audit) = call(&server, Method::GET, "/api/v1/admin/audit-log", None).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let entries = audit["data"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let outcomes: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["outcome"].as_str())
        .collect();
    assert_eq!(
        outcomes,
        ["refused", "accepted", "refused"],
        "newest first: {audit}"
    );
    assert!(
        entries
            .iter()
            .all(|e| e["actor"] == "token:admin" && e["action"] == "trigger")
    );
    assert!(entries.iter().all(|e| {
        e["remoteAddr"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1"))
    }));
    assert_eq!(entries[1]["executionId"], id.as_str());
    assert_eq!(entries[0]["executionId"], id.as_str());
    server.stop().await;
}

/// The default limit, per caller and job, counting only triggers that started a run: a
/// second trigger of the job within 60 s is 429 with Retry-After (audited); a 409, or a 400
/// for an unknown job, takes nothing; another job, or another caller, may start at once.
pub async fn trigger_rate_limit(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store.clone(), &["only-job"], true).await;
    let (status, _) = call(&server, Method::POST, TRIGGER, None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let response = client()
        .post(server.url(TRIGGER))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let body: Value = response.json().await.unwrap_or_default();
    assert_eq!(error_code(&body), "RATE_LIMITED");
    let (_, audit) = call(
        &server,
        Method::GET,
        "/api/v1/admin/audit-log?limit=1",
        None,
    )
    .await;
    assert_eq!(audit["data"]["entries"][0]["outcome"], "rate_limited");
    assert_eq!(audit["data"]["pagination"]["total"], 2);
    server.stop().await;

    let server = TestServer::start(store, JOBS, true).await;
    let [a, b] = JOBS else { return };
    // A run of `a` found running (started elsewhere): 409, and the allowance stays.
    let elsewhere = start_elsewhere(&server, a).await;
    let named = |job: &str| Some(json!({"jobName": job}));
    let (status, body) = call(&server, Method::POST, TRIGGER, named(a)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = call(&server, Method::POST, TRIGGER, named("no-such-job")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    finish(&server, &elsewhere).await;
    let (status, body) = call(&server, Method::POST, TRIGGER, named(a)).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "the 409 and 400 took nothing: {body}"
    );
    let (status, body) = call(&server, Method::POST, TRIGGER, named(b)).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "Run now on a second job: {body}"
    );
    let (status, body) = call(&server, Method::POST, TRIGGER, named(a)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(a)),
        "{body}"
    );
    let other = super::jwt(json!({
        "sub": "another-admin",
        "exp": chrono::Utc::now().timestamp() + 300,
        "app_metadata": {"role": "admin"}
    }));
    let (status, body) =
        super::call_as(&server, Method::POST, TRIGGER, named(a), Some(&other)).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "another caller is not limited by the first one's triggers: {body}"
    );
    server.stop().await;
}

/// Creates a RUNNING execution of `job` as another replica would.
async fn start_elsewhere(server: &TestServer, job: &str) -> propimport_domain::Execution {
    server
        .store
        .create_running(propimport_domain::NewExecution {
            id: propimport_domain::ExecutionId::new(),
            job_name: propimport_domain::JobName::parse(job)
                .unwrap_or_else(|e| panic!("{job}: {e}")),
            triggered_by: propimport_domain::TriggeredBy::Cron,
            started_at: chrono::Utc::now(),
            scheduled_for: None,
            attempt: 1,
            instance_id: Some("another-replica".into()),
        })
        .await
        .unwrap_or_else(|e| panic!("start {job} elsewhere: {e}"))
}

/// Finishes `run` SUCCESS.
async fn finish(server: &TestServer, run: &propimport_domain::Execution) {
    server
        .store
        .finish(
            &run.id,
            propimport_domain::FinishExecution {
                status: propimport_domain::ExecutionStatus::Success,
                completed_at: chrono::Utc::now(),
                counts: propimport_domain::RunCounts::default(),
                errors: propimport_domain::ErrorLog::default(),
                last_error: None,
                details: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("finish {}: {e}", run.id));
}

/// `POST /trigger` naming no job starts every configured job that is not running: 202 with
/// the runs started and the jobs refused (with their running execution), the seed's fields
/// describing the first run started, one audit row per job; 409 when none could start.
pub async fn trigger_every_job(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store.clone(), JOBS, false).await;
    let [a, b] = JOBS else { return };
    let running_b = start_elsewhere(&server, b).await;
    let (status, body) = call(&server, Method::POST, TRIGGER, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "Property import job started");
    assert_eq!(body["jobName"], *a);
    let id_a = body["executionId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        body["executions"],
        json!([{"jobName": a, "executionId": id_a}])
    );
    let refused = &body["refused"];
    assert_eq!(refused.as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(refused[0]["jobName"], *b);
    assert_eq!(refused[0]["code"], "ALREADY_RUNNING");
    assert_eq!(refused[0]["executionId"], running_b.id.to_string());

    let (_, audit) = call(&server, Method::GET, "/api/v1/admin/audit-log", None).await;
    let entries = audit["data"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let rows: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["jobName"].as_str().unwrap_or(""),
                e["outcome"].as_str().unwrap_or(""),
                e["executionId"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let id_b = running_b.id.to_string();
    assert_eq!(
        rows,
        [
            (*b, "refused", id_b.as_str()),
            (*a, "accepted", id_a.as_str())
        ],
        "newest first: {audit}"
    );

    let (status, body) = call(&server, Method::POST, &format!("{TRIGGER}?unused=1"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "every job runs: {body}");
    assert_eq!(error_code(&body), "ALREADY_RUNNING");
    assert_eq!(body["error"]["executionId"], id_a.as_str());
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&id_a) && message.contains(&id_b),
        "{message}"
    );
    let (_, audit) = call(
        &server,
        Method::GET,
        "/api/v1/admin/audit-log?limit=1",
        None,
    )
    .await;
    assert_eq!(audit["data"]["pagination"]["total"], 4);
    server.stop().await;

    // With one job configured, as before: 202, then 409.
    let server = TestServer::start(store, &["only-job"], false).await;
    let (status, body) = call(&server, Method::POST, TRIGGER, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["jobName"], "only-job");
    let (status, body) = call(&server, Method::POST, TRIGGER, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    server.stop().await;
}

/// 50 simultaneous triggers of one job: exactly one 202, 49 × 409.
pub async fn concurrent_triggers_one_wins(store: Arc<dyn ExecutionStore>) {
    let server = Arc::new(TestServer::start(store, &["only-job"], false).await);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            call(&server, Method::POST, TRIGGER, None).await.0
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    }
    let accepted = statuses
        .iter()
        .filter(|s| **s == StatusCode::ACCEPTED)
        .count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((accepted, conflicts), (1, 49), "{statuses:?}");
    let (_, audit) = call(&server, Method::GET, "/api/v1/admin/audit-log", None).await;
    assert_eq!(audit["data"]["pagination"]["total"], 50);
}
