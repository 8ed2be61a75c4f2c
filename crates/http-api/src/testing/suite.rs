//! The endpoint suite: each case starts its own server over a fresh store, seeds it, and
//! checks answers through real HTTP requests.

use std::sync::Arc;

use chrono::Utc;
use propimport_domain::{ExecutionStatus, ExecutionStore};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use super::{JWT_SECRET, OpenApiChecker, TOKEN, TestServer, seed};

const JOBS: &[&str] = &["demo-costa-blanca", "demo-north-macedonia"];

fn client() -> Client {
    Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|e| panic!("http client: {e}"))
}

/// Sends `method path` with the admin token and returns the status and JSON body.
pub async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call_as(server, method, path, body, Some(TOKEN)).await
}

/// Sends `method path` with `token` (none when `None`).
pub async fn call_as(
    server: &TestServer,
    method: Method,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = client().request(method, server.url(path));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(b) = body {
        request = request.json(&b);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("request {path}: {e}"));
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn jwt(claims: Value) -> String {
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET),
    )
    .unwrap_or_default()
}

/// `/history`: the seed's shape, newest first, filters, pagination and totals.
pub async fn history_shapes_filters_and_pages(store: Arc<dyn ExecutionStore>) {
    let seeded = seed(store.as_ref(), JOBS, 36).await;
    let server = TestServer::start(store, JOBS, false).await;
    let (status, body) = call(
        &server,
        Method::GET,
        "/api/v1/admin/import-jobs/history",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true);
    let data = &body["data"];
    let rows = data["executions"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 36);
    assert_eq!(
        data["pagination"],
        json!({"total": 36, "limit": 50, "offset": 0, "hasMore": false})
    );
    let newest = seeded
        .newest()
        .map(|e| e.id.to_string())
        .unwrap_or_default();
    assert_eq!(rows[0]["id"], newest.as_str(), "newest first");
    for key in [
        "id",
        "jobName",
        "status",
        "startedAt",
        "completedAt",
        "durationMs",
        "totalProperties",
        "successCount",
        "failedCount",
        "skippedCount",
        "triggeredBy",
        "consecutiveFailures",
        "lastError",
    ] {
        assert!(
            rows[0].get(key).is_some(),
            "history rows carry {key}: {}",
            rows[0]
        );
    }
    assert!(
        rows[0].get("errors").is_none(),
        "history rows omit the error list"
    );
    let total_processed: i64 = seeded
        .executions
        .iter()
        .map(|e| e.counts.total_properties)
        .sum();
    assert_eq!(
        data["statistics"]["totalPropertiesProcessed"],
        total_processed
    );
    assert_eq!(
        data["statistics"]["totalFailed"],
        seeded
            .executions
            .iter()
            .map(|e| e.counts.failed_count)
            .sum::<i64>()
    );

    let (_, failed) = call(
        &server,
        Method::GET,
        "/api/v1/admin/import-jobs/history?status=failed",
        None,
    )
    .await;
    let failed_rows = failed["data"]["executions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(failed_rows.len(), seeded.count(ExecutionStatus::Failed));
    assert!(failed_rows.iter().all(|r| r["status"] == "FAILED"));

    let (_, page) = call(
        &server,
        Method::GET,
        "/api/v1/admin/import-jobs/history?limit=10&offset=30&jobName=demo-costa-blanca",
        None,
    )
    .await;
    assert_eq!(
        page["data"]["pagination"],
        json!({"total": 18, "limit": 10, "offset": 30, "hasMore": false})
    );
    assert_eq!(page["data"]["executions"].as_array().map(Vec::len), Some(0));

    let (_, by) = call(
        &server,
        Method::GET,
        "/api/v1/admin/import-jobs/history?triggeredBy=api&limit=5",
        None,
    )
    .await;
    assert_eq!(by["data"]["pagination"]["total"], 12);
    assert_eq!(by["data"]["pagination"]["hasMore"], true);
    assert!(
        by["data"]["executions"]
            .as_array()
            .is_some_and(|r| r.iter().all(|e| e["triggeredBy"] == "api"))
    );

    let from = (Utc::now() - chrono::Duration::hours(11 * 5 + 1)).to_rfc3339();
    let (_, recent) = call(
        &server,
        Method::GET,
        &format!(
            "/api/v1/admin/import-jobs/history?from={}",
            urlencode(&from)
        ),
        None,
    )
    .await;
    assert_eq!(recent["data"]["pagination"]["total"], 5);
    server.stop().await;
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

/// `/statistics`: counts, success rate, a dense timeline, and parameter checks.
pub async fn statistics_window(store: Arc<dyn ExecutionStore>) {
    let seeded = seed(store.as_ref(), JOBS, 36).await;
    let server = TestServer::start(store, JOBS, false).await;
    let (status, body) = call(
        &server,
        Method::GET,
        "/api/v1/admin/import-jobs/statistics",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["days"], 30);
    assert_eq!(data["totalExecutions"], 36);
    assert_eq!(data["failedCount"], seeded.count(ExecutionStatus::Failed));
    assert_eq!(data["partialCount"], seeded.count(ExecutionStatus::Partial));
    let timeline = data["timeline"].as_array().cloned().unwrap_or_default();
    assert!(
        (30..=31).contains(&timeline.len()),
        "dense timeline: {}",
        timeline.len()
    );
    let per_day: i64 = timeline.iter().filter_map(|d| d["total"].as_i64()).sum();
    assert_eq!(per_day, 36);
    let rate = data["successRate"].as_f64().unwrap_or(-1.0);
    let expected = 100.0 * seeded.count(ExecutionStatus::Success) as f64 / 36.0;
    assert!((rate - expected).abs() < 0.01, "{rate} vs {expected}");

    let (_, week) = call(
        &server,
        Method::GET,
        "/api/v1/admin/import-jobs/statistics?days=7&jobName=demo-north-macedonia",
        None,
    )
    .await;
    assert_eq!(week["data"]["days"], 7);
    assert!(
        week["data"]["totalExecutions"]
            .as_i64()
            .is_some_and(|n| n > 0 && n < 36)
    );

    for bad in ["days=0", "days=366", "days=x", "jobName=%20bad%20name"] {
        let (status, body) = call(
            &server,
            Method::GET,
            &format!("/api/v1/admin/import-jobs/statistics?{bad}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(error_code(&body), "INVALID_PARAMETER");
    }
    server.stop().await;
}

/// `/last`: the newest execution, per job, and 404 on an empty store.
pub async fn last_and_not_found(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store.clone(), JOBS, false).await;
    let (status, body) = call(&server, Method::GET, "/api/v1/admin/import-jobs/last", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(error_code(&body), "NOT_FOUND");
    let seeded = seed(store.as_ref(), JOBS, 6).await;
    let (status, body) = call(&server, Method::GET, "/api/v1/admin/import-jobs/last", None).await;
    assert_eq!(status, StatusCode::OK);
    let newest = seeded
        .newest()
        .map(|e| e.id.to_string())
        .unwrap_or_default();
    assert_eq!(body["data"]["id"], newest.as_str());
    let (_, body) = call(
        &server,
        Method::GET,
        "/api/v1/admin/import-jobs/last?jobName=demo-costa-blanca",
        None,
    )
    .await;
    assert_eq!(body["data"]["jobName"], "demo-costa-blanca");
    server.stop().await;
}

/// `/{id}`: the full record with errors; 400 for a malformed id, 404 for an unknown one.
pub async fn execution_detail(store: Arc<dyn ExecutionStore>) {
    let seeded = seed(store.as_ref(), JOBS, 6).await;
    let server = TestServer::start(store, JOBS, false).await;
    let failed = seeded
        .executions
        .iter()
        .find(|e| e.status == ExecutionStatus::Failed)
        .map(|e| e.id.to_string())
        .unwrap_or_default();
    let (status, body) = call(
        &server,
        Method::GET,
        &format!("/api/v1/admin/import-jobs/{failed}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "FAILED");
    assert_eq!(body["data"]["errors"].as_array().map(Vec::len), Some(3));
    assert_eq!(body["data"]["errors"][0]["stage"], "map");
    let (status, body) = call(
        &server,
        Method::GET,
        "/api/v1/admin/import-jobs/not-a-uuid",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("executionId"))
    );
    let (status, _) = call(
        &server,
        Method::GET,
        "/api/v1/admin/import-jobs/0190f5c2-7b7e-7cc0-8f3a-2d1c9e0b6a41",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.stop().await;
}

/// 401 without or with a wrong token, expired or malformed JWTs; 403 for a JWT without the role.
pub async fn authentication(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store, JOBS, false).await;
    let path = "/api/v1/admin/import-jobs/history";
    let exp = Utc::now().timestamp() + 300;
    let cases: Vec<(Option<String>, StatusCode)> = vec![
        (None, StatusCode::UNAUTHORIZED),
        (Some("wrong-token".into()), StatusCode::UNAUTHORIZED),
        (Some(format!("{TOKEN}x")), StatusCode::UNAUTHORIZED),
        (Some("a.b.c".into()), StatusCode::UNAUTHORIZED),
        (
            Some(jwt(
                json!({"sub": "u", "exp": exp - 900, "app_metadata": {"role": "admin"}}),
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some(jwt(
                json!({"sub": "u", "exp": exp, "app_metadata": {"role": "editor"}}),
            )),
            StatusCode::FORBIDDEN,
        ),
        (
            Some(jwt(
                json!({"sub": "u", "exp": exp, "app_metadata": {"role": "admin"}}),
            )),
            StatusCode::OK,
        ),
        (Some(TOKEN.into()), StatusCode::OK),
    ];
    for (token, expected) in cases {
        for method_path in [
            (Method::GET, path),
            (
                Method::POST,
                "/api/v1/admin/import-jobs/trigger?jobName=nope",
            ),
        ] {
            let (status, body) = call_as(
                &server,
                method_path.0.clone(),
                method_path.1,
                None,
                token.as_deref(),
            )
            .await;
            let expected = if method_path.0 == Method::POST && expected == StatusCode::OK {
                StatusCode::BAD_REQUEST
            } else {
                expected
            };
            assert_eq!(status, expected, "{method_path:?} with {token:?}: {body}");
            assert_eq!(
                body["success"],
                if expected == StatusCode::OK {
                    json!(true)
                } else {
                    json!(false)
                }
            );
        }
    }
    let response = client()
        .get(server.url(path))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
    server.stop().await;
}

/// 202 with the seed's body, then 409 naming the running execution; both audited.
pub async fn trigger_conflict_and_audit(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store, JOBS, false).await;
    let trigger = "/api/v1/admin/import-jobs/trigger";
    let (status, body) = call(&server, Method::POST, trigger, None).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "several jobs need a name: {body}"
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

/// The default limit: a second trigger within 60 s is 429 with Retry-After, and audited.
pub async fn trigger_rate_limit(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store, &["only-job"], true).await;
    let trigger = "/api/v1/admin/import-jobs/trigger";
    let (status, _) = call(&server, Method::POST, trigger, None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let response = client()
        .post(server.url(trigger))
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
}

/// 50 simultaneous triggers of one job: exactly one 202, 49 × 409.
pub async fn concurrent_triggers_one_wins(store: Arc<dyn ExecutionStore>) {
    let server = Arc::new(TestServer::start(store, &["only-job"], false).await);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            call(
                &server,
                Method::POST,
                "/api/v1/admin/import-jobs/trigger",
                None,
            )
            .await
            .0
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

/// `/status`: the seed's top-level fields plus every job with next runs and last execution.
pub async fn status_shape(store: Arc<dyn ExecutionStore>) {
    seed(store.as_ref(), JOBS, 4).await;
    let server = TestServer::start(store, JOBS, false).await;
    call(
        &server,
        Method::POST,
        "/api/v1/admin/import-jobs/trigger",
        Some(json!({"jobName": "demo-north-macedonia"})),
    )
    .await;
    let (status, body) = call(
        &server,
        Method::GET,
        "/api/v1/admin/import-jobs/status",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["isRunning"], true);
    assert_eq!(data["isScheduled"], true);
    assert_eq!(data["schedule"], "0 0 * * *");
    assert_eq!(data["timezone"], "Europe/Skopje");
    assert_eq!(data["alertThreshold"], 3);
    let next = &data["nextRuns"][0];
    assert!(next["utc"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(
        next["local"]
            .as_str()
            .is_some_and(|t| t.ends_with("+01:00") || t.ends_with("+02:00"))
    );
    assert_eq!(data["runningExecution"]["jobName"], "demo-north-macedonia");
    let jobs = data["jobs"].as_array().cloned().unwrap_or_default();
    assert_eq!(jobs.len(), 2);
    assert!(jobs[0]["runningExecution"].is_null());
    assert_eq!(jobs[1]["runningExecution"]["status"], "RUNNING");
    assert_eq!(jobs[0]["lastExecution"]["jobName"], "demo-costa-blanca");
    server.stop().await;
}

/// `/healthz`, `/readyz` (ready, then not ready with a stopped scheduler), `/metrics`.
pub async fn operations_endpoints(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store, JOBS, false).await;
    let (status, body) = call_as(&server, Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (status, body["status"].clone()),
        (StatusCode::OK, json!("ok"))
    );
    let (status, body) = call_as(&server, Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["checks"]["database"]["status"], "ok");
    server.control.stop();
    let (status, body) = call_as(&server, Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["checks"]["scheduler"]["status"], "failed");
    call(
        &server,
        Method::GET,
        "/api/v1/admin/import-jobs/history",
        None,
    )
    .await;
    let (status, text) = call_as(&server, Method::GET, "/metrics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().unwrap_or_default();
    assert!(
        text.contains("propimport_http_requests_total{method=\"GET\",route=\"/api/v1/admin/import-jobs/history\",status=\"200\"}"),
        "{text}"
    );
    assert!(text.contains("propimport_http_request_duration_seconds"));
    server.stop().await;
}

/// The OpenAPI document is 3.1, documents every route, and every answer of the suite's
/// requests matches its documented status and schema.
pub async fn openapi_matches_responses(store: Arc<dyn ExecutionStore>) {
    let seeded = seed(store.as_ref(), JOBS, 8).await;
    let server = TestServer::start(store, JOBS, false).await;
    let (status, doc) = call_as(&server, Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let checker = OpenApiChecker::new(doc);
    checker.check_document();
    let id = seeded
        .newest()
        .map(|e| e.id.to_string())
        .unwrap_or_default();
    let requests: Vec<(Method, String, Option<Value>, Option<&str>)> = vec![
        (
            Method::GET,
            "/api/v1/admin/import-jobs/history?limit=3".into(),
            None,
            Some(TOKEN),
        ),
        (
            Method::GET,
            "/api/v1/admin/import-jobs/history?limit=500".into(),
            None,
            Some(TOKEN),
        ),
        (
            Method::GET,
            "/api/v1/admin/import-jobs/history".into(),
            None,
            None,
        ),
        (
            Method::GET,
            "/api/v1/admin/import-jobs/statistics?days=7".into(),
            None,
            Some(TOKEN),
        ),
        (
            Method::GET,
            "/api/v1/admin/import-jobs/last".into(),
            None,
            Some(TOKEN),
        ),
        (
            Method::GET,
            "/api/v1/admin/import-jobs/status".into(),
            None,
            Some(TOKEN),
        ),
        (
            Method::GET,
            format!("/api/v1/admin/import-jobs/{id}"),
            None,
            Some(TOKEN),
        ),
        (
            Method::GET,
            "/api/v1/admin/import-jobs/0190f5c2-7b7e-7cc0-8f3a-2d1c9e0b6a41".into(),
            None,
            Some(TOKEN),
        ),
        (
            Method::POST,
            "/api/v1/admin/import-jobs/trigger".into(),
            Some(json!({"jobName": "demo-costa-blanca"})),
            Some(TOKEN),
        ),
        (
            Method::POST,
            "/api/v1/admin/import-jobs/trigger".into(),
            Some(json!({"jobName": "demo-costa-blanca"})),
            Some(TOKEN),
        ),
        (
            Method::GET,
            "/api/v1/admin/audit-log".into(),
            None,
            Some(TOKEN),
        ),
        (Method::GET, "/healthz".into(), None, None),
        (Method::GET, "/readyz".into(), None, None),
    ];
    for (method, path, body, token) in requests {
        let (status, answer) = call_as(&server, method.clone(), &path, body, token).await;
        checker.check_response(method.as_str(), &path, status.as_u16(), &answer);
    }
    let docs = client()
        .get(server.url("/docs/"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(docs.status(), StatusCode::OK);
    let page = docs.text().await.unwrap_or_default();
    assert!(
        page.contains("swagger-ui"),
        "the docs UI is served by the app"
    );
    assert!(
        !page.contains("https://"),
        "the docs page loads nothing from the internet"
    );
    server.stop().await;
}

/// Odd requests get 4xx JSON answers, never a 500.
pub async fn bad_input_is_never_a_500(store: Arc<dyn ExecutionStore>) {
    seed(store.as_ref(), JOBS, 3).await;
    let server = TestServer::start(store, JOBS, false).await;
    let paths = [
        "/api/v1/admin/import-jobs/history?limit=-1",
        "/api/v1/admin/import-jobs/history?limit=99999999999999999999",
        "/api/v1/admin/import-jobs/history?offset=abc",
        "/api/v1/admin/import-jobs/history?status=%FF",
        "/api/v1/admin/import-jobs/history?from=2025-13-45T00:00:00Z",
        "/api/v1/admin/import-jobs/history?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z",
        "/api/v1/admin/import-jobs/history?jobName=%00",
        "/api/v1/admin/import-jobs/statistics?days=1e3",
        "/api/v1/admin/import-jobs/%F0%9F%92%A9",
        "/api/v1/admin/import-jobs/history/extra",
        "/api/v1/admin/nothing-here",
    ];
    for path in paths {
        let (status, body) = call(&server, Method::GET, path, None).await;
        assert!(status.is_client_error(), "{path}: {status} {body}");
        assert_eq!(body["success"], false, "{path}: {body}");
    }
    let bodies: [&[u8]; 4] = [b"{", b"[]", b"{\"jobName\": 5}", &[0xFF, 0xFE]];
    for body in bodies {
        let response = client()
            .post(server.url("/api/v1/admin/import-jobs/trigger"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body:?}");
    }
    let big = vec![b' '; 64 * 1024];
    let response = client()
        .post(server.url("/api/v1/admin/import-jobs/trigger"))
        .bearer_auth(TOKEN)
        .body(big)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    server.stop().await;
}
