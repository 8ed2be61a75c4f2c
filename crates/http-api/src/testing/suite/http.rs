//! Operations endpoints, the OpenAPI document, odd requests, methods and page headers.

use std::sync::Arc;

use propimport_domain::ExecutionStore;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{JOBS, call, call_as, client};
use crate::testing::{OpenApiChecker, TOKEN, TestServer, seed};

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
            Method::POST,
            "/api/v1/admin/import-jobs/trigger".into(),
            None,
            Some(TOKEN),
        ),
        (
            Method::POST,
            "/api/v1/admin/import-jobs/trigger".into(),
            None,
            Some(TOKEN),
        ),
        (
            Method::POST,
            "/api/v1/admin/import-jobs/trigger".into(),
            Some(json!({"jobName": "x".repeat(20_000)})),
            Some(TOKEN),
        ),
        (
            Method::POST,
            "/api/v1/admin/import-jobs/trigger?jobName=".into(),
            None,
            Some(TOKEN),
        ),
        (
            Method::POST,
            "/api/v1/admin/import-jobs/trigger".into(),
            None,
            None,
        ),
        (
            Method::GET,
            "/api/v1/admin/import-jobs/statistics?days=".into(),
            None,
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
    let mut statuses = Vec::new();
    for (method, path, body, token) in requests {
        let (status, answer) = call_as(&server, method.clone(), &path, body, token).await;
        checker.check_response(method.as_str(), &path, status.as_u16(), &answer);
        if method == Method::POST {
            statuses.push(status.as_u16());
        }
    }
    assert_eq!(
        statuses,
        [202, 409, 202, 409, 413, 400, 401],
        "one job, then every job (the other one starts), then odd triggers"
    );
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

/// Odd requests get 4xx JSON answers, never a 500; a body over 16 KiB is a JSON 413.
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
        "/api/v1/admin/import-jobs/status?offset=abc",
        "/api/v1/admin/import-jobs/status?limit=99999999999999999999",
        "/api/v1/admin/import-jobs/status?running=%FF",
        "/api/v1/admin/import-jobs/%F0%9F%92%A9",
        "/api/v1/admin/import-jobs/history/extra",
        "/api/v1/admin/nothing-here",
    ];
    let long_search = format!(
        "/api/v1/admin/import-jobs/status?q={}",
        "%F0%9F%92%A9".repeat(65)
    );
    for path in paths.into_iter().chain([long_search.as_str()]) {
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
    let body: Value = response.json().await.unwrap_or_default();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE", "{body}");
    // The same without a declared length (chunked): the limit holds while reading.
    let (status, body) = raw(
        &server,
        &format!(
            "POST /api/v1/admin/import-jobs/trigger HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        ),
        &[b'{'; 40 * 1024],
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE", "{body}");
    server.stop().await;
}

/// Sends `head` then `body` in chunks of 4 KiB over a raw connection; the status and the JSON
/// body of the answer.
async fn raw(server: &TestServer, head: &str, body: &[u8]) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .unwrap_or_else(|e| panic!("connect {address}: {e}"));
    let _ = stream.write_all(head.as_bytes()).await;
    for chunk in body.chunks(4096) {
        let framed = [
            format!("{:x}\r\n", chunk.len()).as_bytes(),
            chunk,
            b"\r\n".as_slice(),
        ]
        .concat();
        if stream.write_all(&framed).await.is_err() {
            break; // the server answered and closed
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.trim())
        .and_then(|b| b.find('{').map(|i| &b[i..]))
        .and_then(|b| b.rfind('}').map(|j| &b[..=j]))
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}
