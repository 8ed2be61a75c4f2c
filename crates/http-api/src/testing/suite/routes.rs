//! Methods and pages: 405 with `Allow` for another method on an existing path, and the
//! framing protection and policies of the HTML pages.

use std::sync::Arc;

use propimport_domain::ExecutionStore;
use reqwest::{Method, StatusCode};

use super::{JOBS, call, call_as, exchange};
use crate::testing::{OpenApiChecker, TOKEN, TestServer};

/// Another method on an existing path is 405 with `Allow` and the JSON error shape (not 404),
/// before any authentication; an unknown path is still a JSON 404.
pub async fn method_not_allowed_with_allow(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store, JOBS, false).await;
    let (_, doc) = call_as(&server, Method::GET, "/api/v1/openapi.json", None, None).await;
    let checker = OpenApiChecker::new(doc);
    let cases: &[(Method, &str, &str)] = &[
        (Method::DELETE, "/api/v1/admin/import-jobs/history", "GET"),
        (Method::POST, "/api/v1/admin/import-jobs/status", "GET"),
        (Method::PUT, "/api/v1/admin/import-jobs/statistics", "GET"),
        (Method::POST, "/api/v1/admin/import-jobs/last", "GET"),
        (Method::GET, "/api/v1/admin/import-jobs/trigger", "POST"),
        (Method::DELETE, "/api/v1/admin/import-jobs/trigger", "POST"),
        (
            Method::DELETE,
            "/api/v1/admin/import-jobs/0190f5c2-7b7e-7cc0-8f3a-2d1c9e0b6a41",
            "GET",
        ),
        (Method::POST, "/api/v1/admin/audit-log", "GET"),
        (Method::POST, "/healthz", "GET"),
        (Method::PUT, "/readyz", "GET"),
        (Method::POST, "/metrics", "GET"),
        (Method::POST, "/api/v1/openapi.json", "GET"),
        (Method::POST, "/docs/", "GET"),
        (Method::POST, "/dashboard/", "GET"),
        (Method::DELETE, "/dashboard/app.js", "GET"),
        (Method::POST, "/", "GET"),
    ];
    for (method, path, allowed) in cases {
        for token in [Some(TOKEN), None] {
            let (status, headers, body) =
                exchange(&server, method.clone(), path, None, token).await;
            assert_eq!(
                status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}: {body}"
            );
            let allow = headers
                .get("allow")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            assert_eq!(allow, *allowed, "{method} {path}");
            assert_eq!(body["error"]["code"], "METHOD_NOT_ALLOWED", "{body}");
            checker.check_schema("ErrorBody", &body);
        }
    }
    let (status, body) = call(&server, Method::DELETE, "/api/v1/admin/nothing-here", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    checker.check_schema("ErrorBody", &body);
    server.stop().await;
}

/// Every HTML page carries framing protection; the docs UI also a policy that lets Swagger UI
/// run from this server alone (its scripts, no inline script, requests to this origin).
pub async fn pages_cannot_be_framed(store: Arc<dyn ExecutionStore>) {
    let server = TestServer::start(store, JOBS, false).await;
    let mut pages = 0;
    for path in [
        "/dashboard/",
        "/dashboard/index.html",
        "/docs/",
        "/docs/index.html",
        "/docs/oauth2-redirect.html",
        "/docs/swagger-initializer.js",
    ] {
        let (status, headers, _) = exchange(&server, Method::GET, path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        pages += usize::from(header("content-type").starts_with("text/html"));
        let policy = header("content-security-policy");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        if path.starts_with("/docs/") {
            assert_eq!(policy, crate::DOCS_CONTENT_SECURITY_POLICY, "{path}");
            assert_eq!(header("x-frame-options"), "DENY", "{path}");
            let script = policy
                .split(';')
                .map(str::trim)
                .find(|d| d.starts_with("script-src"))
                .unwrap_or_default();
            assert_eq!(script, "script-src 'self'", "no inline or foreign script");
            assert!(
                policy.contains("connect-src 'self'") && policy.contains("img-src 'self' data:")
            );
        }
    }
    assert_eq!(pages, 5, "five HTML pages checked");
    let (_, _, initializer) = exchange(
        &server,
        Method::GET,
        "/docs/swagger-initializer.js",
        None,
        None,
    )
    .await;
    let initializer = initializer.as_str().unwrap_or_default();
    assert!(
        initializer.contains("\"validatorUrl\": \"none\""),
        "the online validator (another origin) is off: {initializer}"
    );
    server.stop().await;
}
