//! The OpenAPI document declares the constraints the API enforces, and the API enforces them.

use std::sync::Arc;

use propimport_domain::{
    ExecutionStatus, ExecutionStore, JobName, JobPageLimit, PageLimit, WindowDays,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{JOBS, TRIGGER, call, call_as, error_code};
use crate::testing::{OpenApiChecker, TestServer};

/// The schema of parameter `name` of `method path`, its `$ref` resolved.
fn parameter<'a>(doc: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    let params = doc["paths"][path][method]["parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("{method} {path} has no parameters"));
    let schema = params
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| &p["schema"])
        .unwrap_or_else(|| panic!("{method} {path} does not document {name}"));
    resolve(doc, schema)
}

/// `schema`, or what its `$ref` (or the non-null branch of a `oneOf`) points to.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(r) = schema["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        return doc.pointer(r).unwrap_or(&Value::Null);
    }
    if let Some(branch) = schema["oneOf"]
        .as_array()
        .and_then(|o| o.iter().find(|s| s["type"] != "null"))
    {
        return resolve(doc, branch);
    }
    schema
}

fn assert_job_name(what: &str, schema: &Value) {
    assert_eq!(schema["pattern"], r"^[A-Za-z0-9_.:-]+$", "{what}: {schema}");
    assert_eq!(schema["minLength"], 1, "{what}");
    assert_eq!(schema["maxLength"], JobName::MAX_LEN, "{what}");
    let pattern = |c: char| c.is_ascii_alphanumeric() || "_.:-".contains(c);
    assert!(JobName::parse("a.b:c-d_E9").is_ok() && "a.b:c-d_E9".chars().all(pattern));
    assert!(JobName::parse("a b").is_err() && !"a b".chars().all(pattern));
    assert!(JobName::parse(&"a".repeat(JobName::MAX_LEN + 1)).is_err());
}

/// Every enforced constraint is in the document: page sizes and offsets, the statistics
/// window, job names, execution ids, the `/trigger` body, the status and trigger enums, 413.
pub async fn openapi_declares_constraints(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store, JOBS, false).await;
    let (_, doc) = call_as(&server, Method::GET, "/api/v1/openapi.json", None, None).await;
    let history = "/api/v1/admin/import-jobs/history";
    for path in [history, "/api/v1/admin/audit-log"] {
        let limit = parameter(&doc, path, "get", "limit");
        assert_eq!(
            (limit["minimum"].clone(), limit["maximum"].clone()),
            (json!(1), json!(PageLimit::MAX)),
            "{path} limit: {limit}"
        );
        assert_eq!(
            parameter(&doc, path, "get", "offset")["minimum"],
            0,
            "{path}"
        );
    }
    let status = "/api/v1/admin/import-jobs/status";
    let limit = parameter(&doc, status, "get", "limit");
    assert_eq!(
        (limit["minimum"].clone(), limit["maximum"].clone()),
        (json!(1), json!(JobPageLimit::MAX)),
        "/status limit: {limit}"
    );
    assert_eq!(parameter(&doc, status, "get", "offset")["minimum"], 0);
    let q = parameter(&doc, status, "get", "q");
    assert_eq!(
        (q["minLength"].clone(), q["maxLength"].clone()),
        (json!(1), json!(JobName::MAX_LEN)),
        "/status q: {q}"
    );
    for flag in ["failing", "late", "paused", "running"] {
        assert_eq!(
            parameter(&doc, status, "get", flag)["type"],
            "boolean",
            "{flag}"
        );
    }
    let days = parameter(&doc, "/api/v1/admin/import-jobs/statistics", "get", "days");
    assert_eq!(
        (days["minimum"].clone(), days["maximum"].clone()),
        (json!(1), json!(WindowDays::MAX))
    );
    let statuses: Vec<&str> = ExecutionStatus::ALL.iter().map(|s| s.as_str()).collect();
    for path in [history, status] {
        assert_eq!(
            parameter(&doc, path, "get", "status")["enum"],
            json!(statuses),
            "{path}"
        );
    }
    assert_eq!(
        parameter(&doc, history, "get", "triggeredBy")["enum"],
        json!(["cron", "manual", "api"])
    );
    for bound in ["from", "to"] {
        assert_eq!(
            parameter(&doc, history, "get", bound)["format"],
            "date-time"
        );
    }
    for (path, method) in [
        (history, "get"),
        ("/api/v1/admin/import-jobs/statistics", "get"),
        ("/api/v1/admin/import-jobs/last", "get"),
        (TRIGGER, "post"),
    ] {
        assert_job_name(path, parameter(&doc, path, method, "jobName"));
    }
    let id = parameter(
        &doc,
        "/api/v1/admin/import-jobs/{executionId}",
        "get",
        "executionId",
    );
    assert_eq!(id["format"], "uuid");
    let trigger = &doc["paths"][TRIGGER]["post"];
    let body = resolve(
        &doc,
        &trigger["requestBody"]["content"]["application/json"]["schema"],
    );
    assert_job_name(
        "the trigger body",
        resolve(&doc, &body["properties"]["jobName"]),
    );
    assert!(trigger["responses"]["413"].is_object(), "413 is documented");
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ExecutionSummary"]["properties"]["id"]["format"],
        "uuid"
    );
    assert_eq!(
        resolve(&doc, &schemas["ExecutionSummary"]["properties"]["status"])["enum"],
        json!(statuses)
    );
    for (schema, field) in [
        ("StartedRun", "executionId"),
        ("TriggerAccepted", "executionId"),
        ("AuditEntryView", "executionId"),
    ] {
        let f = &schemas[schema]["properties"][field];
        assert_eq!(f["format"], "uuid", "{schema}.{field}: {f}");
    }
    assert_eq!(
        schemas["StatusView"]["properties"]["schedulerRunning"]["type"],
        "boolean"
    );
    OpenApiChecker::new(doc).check_document();
    server.stop().await;
}

/// An empty value (`?days=`, `?limit=`, `?jobName=`…) is a 400 naming the parameter, never
/// the default; out-of-range values too.
pub async fn empty_values_are_refused(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store, JOBS, false).await;
    let base = "/api/v1/admin/import-jobs";
    let long = "a".repeat(JobName::MAX_LEN + 1);
    let cases: Vec<(Method, String, &str)> = vec![
        (Method::GET, format!("{base}/statistics?days="), "days"),
        (Method::GET, format!("{base}/statistics?days=%20"), "days"),
        (
            Method::GET,
            format!("{base}/statistics?jobName="),
            "jobName",
        ),
        (Method::GET, format!("{base}/history?limit="), "limit"),
        (Method::GET, format!("{base}/history?offset="), "offset"),
        (Method::GET, format!("{base}/history?status="), "status"),
        (
            Method::GET,
            format!("{base}/history?triggeredBy="),
            "triggeredBy",
        ),
        (
            Method::GET,
            format!("{base}/history?triggeredBy=ops"),
            "triggeredBy",
        ),
        (Method::GET, format!("{base}/history?from="), "from"),
        (Method::GET, format!("{base}/history?jobName="), "jobName"),
        (
            Method::GET,
            format!("{base}/history?jobName={long}"),
            "jobName",
        ),
        (Method::GET, format!("{base}/history?limit=0"), "limit"),
        (Method::GET, format!("{base}/history?limit=101"), "limit"),
        (Method::GET, format!("{base}/history?offset=-1"), "offset"),
        (Method::GET, format!("{base}/statistics?days=366"), "days"),
        (Method::GET, format!("{base}/last?jobName="), "jobName"),
        (Method::GET, format!("{base}/status?limit="), "limit"),
        (Method::GET, format!("{base}/status?q=%20"), "q"),
        (Method::GET, format!("{base}/status?failing="), "failing"),
        (Method::GET, format!("{base}/status?status="), "status"),
        (
            Method::GET,
            "/api/v1/admin/audit-log?limit=".to_owned(),
            "limit",
        ),
        (Method::POST, format!("{TRIGGER}?jobName="), "jobName"),
    ];
    for (method, path, name) in cases {
        let (status, body) = call(&server, method.clone(), &path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {body}");
        assert_eq!(error_code(&body), "INVALID_PARAMETER");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(name), "{path}: {message}");
    }
    let (status, body) = call(&server, Method::POST, TRIGGER, Some(json!({"jobName": ""}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("jobName")),
        "{body}"
    );
    let (status, _) = call(
        &server,
        Method::GET,
        &format!("{base}/history?triggeredBy=CRON"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "any case");
    server.stop().await;
}
