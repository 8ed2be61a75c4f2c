//! The source catalog on the real binary: sources seeded from the file once, created, changed,
//! disabled and deleted through the API of one replica and followed by the other within
//! seconds, every tick run once; credentials write-only and sealed; bad requests answered
//! 4xx naming the field; every change audited; the `config` mode read-only; the command line.
//!
//! Two replicas on PostgreSQL are in `replicas.rs`, one process on SQLite and the command line
//! in `sqlite.rs`; the helpers they share are here.

mod replicas;
mod sqlite;

use std::time::{Duration, Instant};

use serde_json::Value;

use super::support::{Service, TOKEN, workspace_root};

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const SOURCES: &str = "/api/v1/admin/sources";

/// A request with the admin token, an optional `If-Match` and JSON body: status, `ETag` and
/// JSON answer.
async fn call(
    method: reqwest::Method,
    service: &Service,
    path: &str,
    if_match: Option<&str>,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut req = client
        .request(method, format!("{}{path}", service.base))
        .bearer_auth(TOKEN);
    if let Some(version) = if_match {
        req = req.header("If-Match", version);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let answer = req.send().await.unwrap();
    let status = answer.status().as_u16();
    let etag = answer
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = answer.text().await.unwrap();
    (
        status,
        etag,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The job names `/status` lists.
async fn jobs(service: &Service) -> Vec<String> {
    let (code, body) = service.get("/api/v1/admin/import-jobs/status").await;
    assert_eq!(code, 200, "{body}");
    body["data"]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["jobName"].as_str().unwrap().to_owned())
        .collect()
}

async fn until_jobs(service: &Service, has: &str, present: bool) {
    let started = Instant::now();
    while jobs(service).await.iter().any(|j| j == has) != present {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{has} present={present} not within 10 s: {:?}\n{}",
            jobs(service).await,
            service.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn sources_file(dir: &std::path::Path, name: &str) -> String {
    let feed = workspace_root().join("examples/feeds/north-macedonia.ndjson");
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(
        &file,
        format!(
            "[[sources]]\nname = \"{name}\"\nurl = \"{}\"\nformat = \"json\"\n",
            feed.display()
        ),
    )
    .unwrap();
    file.display().to_string()
}
