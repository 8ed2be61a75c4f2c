//! Operator control: pausing and resuming a job, cancelling a run; answers, `/status`, the
//! OpenAPI document and the audit rows.

use std::sync::Arc;

use propimport_domain::{
    ErrorLog, Execution, ExecutionId, ExecutionStatus, ExecutionStore, FinishExecution, JobName,
    NewExecution, Progress, RunCounts, TriggeredBy,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{JOBS, TRIGGER, call_as, error_code, jwt};
use crate::testing::{OpenApiChecker, TOKEN, TestServer};

const BASE: &str = "/api/v1/admin/import-jobs";

/// A server and the OpenAPI checker every answer goes through.
struct Checked {
    server: TestServer,
    checker: OpenApiChecker,
}

impl Checked {
    async fn start(store: Arc<dyn ExecutionStore>, rate_limited: bool) -> Self {
        let server = TestServer::start(store, JOBS, rate_limited).await;
        let (_, doc) = call_as(&server, Method::GET, "/api/v1/openapi.json", None, None).await;
        Self {
            server,
            checker: OpenApiChecker::new(doc),
        }
    }

    /// Sends the request as `token` and checks the answer against the document.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let (status, answer) = call_as(&self.server, method.clone(), path, body, token).await;
        self.checker
            .check_response(method.as_str(), path, status.as_u16(), &answer);
        (status, answer)
    }

    async fn post(&self, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.send(Method::POST, path, body, Some(TOKEN)).await
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send(Method::GET, path, None, Some(TOKEN)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body["data"].clone()
    }

    /// The audit rows of `action`, oldest first.
    async fn audit(&self, action: &str) -> Vec<Value> {
        let log = self.get("/api/v1/admin/audit-log?limit=100").await;
        let mut rows: Vec<Value> = log["entries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["action"] == action)
            .cloned()
            .collect();
        rows.reverse();
        rows
    }
}

fn ops_jwt() -> String {
    jwt(json!({
        "sub": "ops",
        "exp": chrono::Utc::now().timestamp() + 300,
        "app_metadata": {"role": "admin"}
    }))
}

fn outcomes(rows: &[Value]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| {
            (
                r["actor"].as_str().unwrap_or("").to_owned(),
                r["outcome"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn pair(actor: &str, outcome: &str) -> (String, String) {
    (actor.to_owned(), outcome.to_owned())
}

/// Pause (with a reason, then again by another admin: the first pause stands), `/status`
/// showing it, a manual trigger of the paused job still starting, resume (twice); 404 for an
/// unknown job, 400 for a bad name or body, 401 without a token; every attempt audited.
pub async fn pause_and_resume_jobs(store: Arc<dyn ExecutionStore>) {
    let api = Checked::start(store, true).await;
    let [a, b] = JOBS else { return };
    let pause = format!("{BASE}/jobs/{a}/pause");
    let resume = format!("{BASE}/jobs/{a}/resume");
    let (status, body) = api
        .post(&pause, Some(json!({"reason": "partner maintenance"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let paused = &body["data"];
    assert_eq!(
        (paused["jobName"].as_str(), paused["paused"].as_bool()),
        (Some(*a), Some(true))
    );
    assert_eq!(paused["pausedBy"], "token:admin");
    assert_eq!(paused["pauseReason"], "partner maintenance");
    let since = paused["pausedAt"].as_str().unwrap_or_default().to_owned();
    assert!(since.ends_with('Z'), "{body}");

    let status_view = api.get(&format!("{BASE}/status")).await;
    let job = |name: &str| {
        status_view["jobs"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|j| j["jobName"] == name)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(job(a)["paused"], true, "{status_view}");
    assert_eq!(job(a)["pausedBy"], "token:admin");
    assert_eq!(job(a)["pausedAt"], since.as_str());
    assert_eq!(job(a)["pauseReason"], "partner maintenance");
    assert_eq!(job(b)["paused"], false);
    assert!(job(b)["pausedBy"].is_null());
    assert!(
        job(b)
            .get("pendingRetry")
            .is_some_and(serde_json::Value::is_null),
        "every job says whether a retry is pending: {status_view}"
    );

    let (status, body) = api.send(Method::POST, &pause, None, Some(&ops_jwt())).await;
    assert_eq!(status, StatusCode::OK, "idempotent: {body}");
    assert_eq!(
        body["data"]["pausedBy"], "token:admin",
        "the first pause stands"
    );
    assert_eq!(body["data"]["pausedAt"], since.as_str());

    let (status, body) = api.post(TRIGGER, Some(json!({"jobName": a}))).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "a paused job runs by hand: {body}"
    );

    let (status, body) = api
        .post(&format!("{BASE}/jobs/no-such-job/pause"), None)
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    let (status, body) = api.post(&format!("{BASE}/jobs/a%20b/pause"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = api.post(&pause, Some(json!({"reason": 7}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let long = "x".repeat(501);
    let (status, body) = api.post(&pause, Some(json!({"reason": long}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = api.send(Method::POST, &pause, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    for _ in 0..2 {
        let (status, body) = api.post(&resume, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["paused"], false);
        assert!(body["data"]["pausedBy"].is_null() && body["data"]["pausedAt"].is_null());
    }
    let (status, body) = api
        .post(&format!("{BASE}/jobs/no-such-job/resume"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        api.get(&format!("{BASE}/status")).await["jobs"][0]["paused"],
        false
    );

    let pauses = api.audit("pause").await;
    assert_eq!(
        outcomes(&pauses),
        [
            pair("token:admin", "accepted"),
            pair("jwt:ops", "accepted"),
            pair("token:admin", "refused"),
            pair("token:admin", "refused"),
            pair("token:admin", "refused"),
            pair("token:admin", "refused"),
            pair("unauthenticated", "refused"),
        ],
        "{pauses:#?}"
    );
    assert_eq!(pauses[0]["jobName"], *a);
    assert!(
        pauses[1]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("already paused by token:admin")),
        "{pauses:#?}"
    );
    let resumes = api.audit("resume").await;
    assert_eq!(
        outcomes(&resumes),
        [
            pair("token:admin", "accepted"),
            pair("token:admin", "accepted"),
            pair("token:admin", "refused"),
        ]
    );
    assert!(
        resumes[1]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not paused"))
    );
    api.server.stop().await;
}

/// Creates a RUNNING execution of `job` as another replica would.
async fn running_elsewhere(store: &dyn ExecutionStore, job: &str) -> Execution {
    store
        .create_running(NewExecution {
            id: ExecutionId::new(),
            job_name: JobName::parse(job).unwrap_or_else(|e| panic!("{job}: {e}")),
            triggered_by: TriggeredBy::Cron,
            started_at: chrono::Utc::now(),
            scheduled_for: None,
            attempt: 1,
            instance_id: Some("another-replica".into()),
        })
        .await
        .unwrap_or_else(|e| panic!("start {job}: {e}"))
}

/// Cancel of a run of another replica: 202 (the request recorded on the run, given back by
/// its next heartbeat; asked again, the first request stands), 409 `NOT_RUNNING` once it has
/// ended, 404 and 400; no rate limit applies; every attempt audited.
pub async fn cancel_running_executions(store: Arc<dyn ExecutionStore>) {
    let api = Checked::start(store.clone(), true).await;
    let run = running_elsewhere(store.as_ref(), JOBS[0]).await;
    let cancel = format!("{BASE}/{}/cancel", run.id);
    let (status, body) = api.post(&cancel, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["executionId"], run.id.to_string());
    assert_eq!(body["jobName"], JOBS[0]);
    assert_eq!(body["cancelRequestedBy"], "token:admin");
    assert!(
        body["note"]
            .as_str()
            .is_some_and(|n| n.contains("heartbeat") && n.contains("cancelled by token:admin")),
        "{body}"
    );
    let detail = api.get(&format!("{BASE}/{}", run.id)).await;
    assert_eq!(detail["status"], "RUNNING");
    assert_eq!(detail["cancelRequestedBy"], "token:admin");
    assert_eq!(detail["cancelRequestedAt"], body["cancelRequestedAt"]);
    let seen = store
        .heartbeat(&run.id, &Progress::default(), chrono::Utc::now())
        .await
        .unwrap_or_else(|e| panic!("heartbeat: {e}"));
    assert_eq!(seen.map(|r| r.by).as_deref(), Some("token:admin"));

    for _ in 0..3 {
        let (status, body) = api
            .send(Method::POST, &cancel, None, Some(&ops_jwt()))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "never rate limited: {body}");
        assert_eq!(body["cancelRequestedBy"], "token:admin", "the first stands");
    }

    // The runner stops it: a FAILED finish naming who cancelled it.
    store
        .finish(
            &run.id,
            FinishExecution {
                status: ExecutionStatus::Failed,
                completed_at: chrono::Utc::now(),
                counts: RunCounts::default(),
                errors: ErrorLog::default(),
                last_error: Some("cancelled by token:admin".into()),
                details: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("finish: {e}"));
    let (status, body) = api.post(&cancel, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "NOT_RUNNING");
    assert_eq!(body["error"]["executionId"], run.id.to_string());
    let unknown = format!("{BASE}/{}/cancel", ExecutionId::new());
    let (status, body) = api.post(&unknown, None).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    let (status, body) = api.post(&format!("{BASE}/not-a-uuid/cancel"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let viewer = jwt(json!({
        "sub": "viewer",
        "exp": chrono::Utc::now().timestamp() + 300,
        "app_metadata": {"role": "viewer"}
    }));
    let (status, _) = api.send(Method::POST, &cancel, None, Some(&viewer)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let rows = api.audit("cancel").await;
    assert_eq!(
        outcomes(&rows),
        [
            pair("token:admin", "accepted"),
            pair("jwt:ops", "accepted"),
            pair("jwt:ops", "accepted"),
            pair("jwt:ops", "accepted"),
            pair("token:admin", "refused"),
            pair("token:admin", "refused"),
            pair("token:admin", "refused"),
            pair("jwt:viewer", "refused"),
        ],
        "{rows:#?}"
    );
    assert_eq!(rows[0]["executionId"], run.id.to_string());
    assert_eq!(rows[0]["jobName"], JOBS[0]);
    assert_eq!(rows[4]["executionId"], run.id.to_string());
    assert_eq!(rows[4]["jobName"], JOBS[0], "a refusal names the job");
    assert!(
        rows[1]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("already requested by token:admin"))
    );
    api.server.stop().await;
}
