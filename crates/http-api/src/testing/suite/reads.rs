//! The read endpoints: history, statistics, last, one execution, status.

use std::sync::Arc;

use chrono::Utc;
use propimport_domain::{ExecutionStatus, ExecutionStore};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{JOBS, call, error_code, urlencode};
use crate::testing::{TestServer, seed};

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

/// `/status`: the seed's top-level fields (`isRunning` while any run executes) plus
/// `schedulerRunning` and every job with next runs and last execution.
pub async fn status_shape(store: Arc<dyn ExecutionStore>) {
    seed(store.as_ref(), JOBS, 4).await;
    let server = TestServer::start(store, JOBS, false).await;
    let path = "/api/v1/admin/import-jobs/status";
    let (_, idle) = call(&server, Method::GET, path, None).await;
    assert_eq!(idle["data"]["isRunning"], false, "no run executes: {idle}");
    assert_eq!(idle["data"]["schedulerRunning"], true);
    assert!(idle["data"]["runningExecution"].is_null());
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
    assert_eq!(data["isRunning"], true, "a run executes");
    assert_eq!(data["schedulerRunning"], true);
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
    server.control.stop();
    let (_, stopped) = call(&server, Method::GET, path, None).await;
    assert_eq!(stopped["data"]["schedulerRunning"], false);
    assert_eq!(
        stopped["data"]["isRunning"], true,
        "the run still executes: {stopped}"
    );
    server.stop().await;
}
