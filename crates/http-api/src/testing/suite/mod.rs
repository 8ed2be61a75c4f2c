//! The endpoint suite: each case starts its own server over a fresh store, seeds it, and
//! checks answers through real HTTP requests.

mod alerts;
mod auth;
mod constraints;
mod control;
mod http;
mod job_lists;
mod reads;
mod routes;
mod trigger;

use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

pub use alerts::*;
pub use auth::*;
pub use constraints::*;
pub use control::*;
pub use http::*;
pub use job_lists::*;
pub use reads::*;
pub use routes::*;
pub use trigger::*;

use super::{JWT_SECRET, TOKEN, TestServer};

const JOBS: &[&str] = &["demo-costa-blanca", "demo-north-macedonia"];
const TRIGGER: &str = "/api/v1/admin/import-jobs/trigger";

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

/// Sends `method path` with `token` (none when `None`); asserts that an HTML answer cannot be
/// framed.
pub async fn call_as(
    server: &TestServer,
    method: Method,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let (status, _, value) = exchange(server, method, path, body, token).await;
    (status, value)
}

/// Like [`call_as`], with the answer's headers.
pub async fn exchange(
    server: &TestServer,
    method: Method,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (StatusCode, HeaderMap, Value) {
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
    let headers = response.headers().clone();
    assert_framing_protected(path, &headers);
    let text = response.text().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, value)
}

/// Asserts that an HTML answer carries `X-Frame-Options: DENY` and a policy with
/// `frame-ancestors 'none'`.
pub fn assert_framing_protected(path: &str, headers: &HeaderMap) {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    if text("content-type").starts_with("text/html") {
        assert_eq!(text("x-frame-options"), "DENY", "{path}");
        assert!(
            text("content-security-policy").contains("frame-ancestors 'none'"),
            "{path}: {}",
            text("content-security-policy")
        );
    }
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

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}
