//! `/alerts`: the alert history, newest first, paged, filtered by job and kind, as documented.

use std::sync::Arc;

use chrono::{Duration, Utc};
use propimport_domain::{
    Alert, AlertClaim, AlertDelivery, AlertKind, AlertStore, DeliveryOutcome, ExecutionId,
    ExecutionStore, JobName, SystemClock,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{JOBS, call, call_as, error_code};
use crate::testing::{OpenApiChecker, TestServer};

const ALERTS: &str = "/api/v1/admin/alerts";

fn job(name: &str) -> JobName {
    JobName::parse(name).unwrap_or_else(|e| panic!("job {name}: {e}"))
}

/// Stores, oldest first: a failure alert of the first job, its delivery by email and its failed
/// delivery by webhook, a late alert of the second job, and the first job's recovery.
async fn seed_alerts(alerts: &dyn AlertStore) -> ExecutionId {
    let now = Utc::now();
    let run = ExecutionId::new();
    let raised = alerts
        .claim(&AlertClaim {
            alert: Alert::FailureThreshold {
                job_name: job(JOBS[0]),
                consecutive_failures: 3,
                threshold: 3,
                last_error: Some("feed unreachable".into()),
                execution_id: run,
            },
            at: now - Duration::minutes(10),
            cooldown: Duration::hours(6),
            fresh: true,
        })
        .await
        .unwrap_or_else(|e| panic!("claim: {e}"));
    for (channel, outcome) in [
        ("email", DeliveryOutcome::Delivered),
        (
            "webhook",
            DeliveryOutcome::Failed {
                reason: "after 3 attempts: HTTP status 503 Service Unavailable".into(),
            },
        ),
    ] {
        let delivery = AlertDelivery {
            alert_id: raised.event_id,
            job_name: job(JOBS[0]),
            kind: AlertKind::FailureThreshold,
            execution_id: Some(run),
            channel: channel.into(),
            at: now - Duration::minutes(9),
            outcome,
        };
        alerts
            .record_delivery(&delivery)
            .await
            .unwrap_or_else(|e| panic!("delivery: {e}"));
    }
    let late = AlertClaim {
        alert: Alert::Late {
            job_name: job(JOBS[1]),
            tick: now - Duration::minutes(8),
            grace_seconds: 300,
        },
        at: now - Duration::minutes(3),
        cooldown: Duration::hours(6),
        fresh: false,
    };
    alerts
        .claim(&late)
        .await
        .unwrap_or_else(|e| panic!("claim: {e}"));
    let recovered = Alert::Recovered {
        job_name: job(JOBS[0]),
        after_failures: 3,
        execution_id: ExecutionId::new(),
    };
    alerts
        .recover(&recovered, now - Duration::minutes(1))
        .await
        .unwrap_or_else(|e| panic!("recover: {e}"));
    run
}

fn events(body: &Value) -> Vec<(String, String, String)> {
    body["data"]["events"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (text("jobName"), text("kind"), text("event"))
        })
        .collect()
}

/// `GET /alerts`: newest first with every field, paged, filtered by job and by kind (any case),
/// bad values answered 400 naming the parameter, a token required; answers and parameters as
/// the OpenAPI document says.
pub async fn alert_history_pages_and_filters(
    store: Arc<dyn ExecutionStore>,
    alerts: Arc<dyn AlertStore>,
) {
    let run = seed_alerts(alerts.as_ref()).await;
    let server =
        TestServer::start_with_alerts(store, JOBS, false, Arc::new(SystemClock), Some(alerts))
            .await;
    let (_, doc) = call_as(&server, Method::GET, "/api/v1/openapi.json", None, None).await;
    let checker = OpenApiChecker::new(doc.clone());
    let (status, body) = call(&server, Method::GET, ALERTS, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    checker.check_response("GET", ALERTS, 200, &body);
    let (a, b) = (JOBS[0].to_owned(), JOBS[1].to_owned());
    let owned = |j: &str, k: &str, e: &str| (j.to_owned(), k.to_owned(), e.to_owned());
    assert_eq!(
        events(&body),
        [
            owned(&a, "recovered", "recovered"),
            owned(&b, "late", "raised"),
            owned(&a, "failure_threshold", "failed"),
            owned(&a, "failure_threshold", "delivered"),
            owned(&a, "failure_threshold", "raised"),
        ],
        "newest first"
    );
    assert_eq!(
        body["data"]["pagination"],
        json!({"total": 5, "limit": 50, "offset": 0, "hasMore": false})
    );
    let rows = &body["data"]["events"];
    let raised = &rows[4];
    assert_eq!(raised["executionId"], run.to_string());
    assert!(
        raised["message"]
            .as_str()
            .is_some_and(|m| m.contains("feed unreachable")),
        "{raised}"
    );
    assert_eq!(rows[2]["channel"], "webhook");
    assert_eq!(rows[2]["alertId"], raised["id"]);
    assert_eq!(
        rows[2]["message"],
        "after 3 attempts: HTTP status 503 Service Unavailable"
    );
    assert_eq!(
        rows[1]["executionId"],
        Value::Null,
        "a late tick has no run"
    );
    for (query, expected) in [
        (format!("?jobName={b}"), 1),
        ("?kind=LATE".to_owned(), 1),
        ("?kind=failure_threshold".to_owned(), 3),
        (format!("?jobName={a}&kind=recovered"), 1),
        ("?limit=2&offset=4".to_owned(), 1),
    ] {
        let (status, body) = call(&server, Method::GET, &format!("{ALERTS}{query}"), None).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        checker.check_response("GET", ALERTS, 200, &body);
        assert_eq!(events(&body).len(), expected, "{query}: {body}");
    }
    let (_, page) = call(&server, Method::GET, &format!("{ALERTS}?limit=2"), None).await;
    assert_eq!(page["data"]["pagination"]["hasMore"], true);
    for (query, parameter) in [
        ("?kind=loud", "kind"),
        ("?kind=", "kind"),
        ("?limit=0", "limit"),
        ("?jobName=a%20b", "jobName"),
    ] {
        let (status, body) = call(&server, Method::GET, &format!("{ALERTS}{query}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(error_code(&body), "INVALID_PARAMETER", "{query}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(parameter), "{query}: {message}");
        checker.check_response("GET", ALERTS, 400, &body);
    }
    let (status, body) = call_as(&server, Method::GET, ALERTS, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let kinds = doc["paths"][ALERTS]["get"]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "kind")
        .map(|p| p["schema"].clone())
        .unwrap_or_default();
    let kinds = match kinds["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).cloned().unwrap_or_default(),
        None => kinds,
    };
    let expected: Vec<&str> = AlertKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(kinds["enum"], json!(expected), "{kinds}");
    server.stop().await;
}
