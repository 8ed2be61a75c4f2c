//! The operator's controls on the real binary: `isRunning` as the earlier service meant it, a
//! bare trigger starting both jobs, a cancel that ends a run within a heartbeat, a paused job
//! that does not fire on an every-second schedule, a JWT not yet valid refused, and image URLs
//! at internal addresses never requested.

use std::io::Write as _;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::support::{Service, SlowFeed, workspace_root};

const JWT_SECRET: &str = "e2e-jwt-secret-0123456789abcdef0123";

async fn status(service: &Service) -> Value {
    let (code, body) = service.get("/api/v1/admin/import-jobs/status").await;
    assert_eq!(code, 200, "{body}");
    body["data"].clone()
}

/// The `propimport_paused_ticks_total` of the job `every-second` (0 before the first).
async fn paused_ticks(service: &Service) -> f64 {
    let (code, metrics) = super::support::request(
        reqwest::Method::GET,
        &format!("{}/metrics", service.base),
        None,
    )
    .await;
    assert_eq!(code, 200, "{metrics}");
    metrics
        .as_str()
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("propimport_paused_ticks_total{job_name=\"every-second\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Polls `check` every 50 ms until it holds, for at most `within`.
async fn until<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < within, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An HS256 JWT with the admin role whose `nbf` is `nbf_in` seconds from now.
fn jwt(nbf_in: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "sub": "e2e-operator",
        "iat": now,
        "nbf": now + nbf_in,
        "exp": now + 3600,
        "app_metadata": {"role": "admin"},
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

async fn get_with(service: &Service, token: &str) -> u16 {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{}/api/v1/admin/import-jobs/status", service.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn is_running_bare_trigger_cancel_and_a_future_jwt() {
    let rt = super::super::rt();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("operators.db").display());
    // 20 listings 600 ms apart: the run lasts 12 s, long enough for the steps below on a
    // loaded machine.
    let feed = rt.block_on(SlowFeed::start(Duration::from_millis(600)));
    let sources = dir.path().join("sources.toml");
    std::fs::write(
        &sources,
        format!(
            "[[sources]]\nname = \"slow-feed\"\nformat = \"json\"\nurl = \"{}\"\n\n\
             [[sources]]\nname = \"demo\"\nformat = \"json\"\nurl = \"{}\"\n",
            feed.url,
            workspace_root()
                .join("examples/feeds/north-macedonia.ndjson")
                .display()
        ),
    )
    .unwrap();
    let sources = sources.display().to_string();
    let env = [
        ("IMPORT_SOURCES_FILE", sources.as_str()),
        ("IMPORT_HEARTBEAT_INTERVAL", "1s"),
        ("IMPORT_LEASE", "4s"),
        ("ADMIN_JWT_SECRET", JWT_SECRET),
    ];
    let service = Service::start(dir.path(), &url, &env);
    rt.block_on(async {
        service.wait_ready().await;
        assert_eq!(status(&service).await["isRunning"], false, "idle");
        assert_eq!(status(&service).await["schedulerRunning"], true);

        let (code, started) = service
            .post("/api/v1/admin/import-jobs/trigger", json!({}))
            .await;
        assert_eq!(code, 202, "{started}");
        let runs = started["executions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let jobs: Vec<&str> = runs.iter().filter_map(|e| e["jobName"].as_str()).collect();
        assert_eq!(jobs, ["slow-feed", "demo"], "{started}");
        let slow = runs[0]["executionId"].as_str().unwrap().to_owned();
        let demo = runs[1]["executionId"].as_str().unwrap().to_owned();
        let done = service.wait_finished(&demo, Duration::from_secs(30)).await;
        assert_eq!(done["status"], "SUCCESS", "{done}");
        until(
            "isRunning while slow-feed runs",
            Duration::from_secs(5),
            || async { status(&service).await["isRunning"] == true },
        )
        .await;

        service.wait_progress(&slow, 2).await;
        let asked = Instant::now();
        let (code, body) = service
            .post(
                &format!("/api/v1/admin/import-jobs/{slow}/cancel"),
                json!({}),
            )
            .await;
        assert_eq!(code, 202, "{body}");
        let run = service.wait_finished(&slow, Duration::from_secs(10)).await;
        let took = asked.elapsed();
        assert_eq!(run["status"], "FAILED", "{run}");
        assert_eq!(run["lastError"], "cancelled by token:admin", "{run}");
        // One heartbeat (1 s), plus the request, the 100 ms polling and a loaded machine.
        assert!(
            took <= Duration::from_secs(3),
            "a cancel ends the run within one heartbeat (1 s): took {took:?}"
        );
        until(
            "isRunning false once idle",
            Duration::from_secs(5),
            || async { status(&service).await["isRunning"] == false },
        )
        .await;

        assert_eq!(get_with(&service, &jwt(0)).await, 200, "a valid JWT");
        assert_eq!(get_with(&service, &jwt(600)).await, 401, "nbf 10 min ahead");
    });
}

#[test]
fn a_paused_job_does_not_fire_on_an_every_second_schedule() {
    let rt = super::super::rt();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("paused.db").display());
    let demo = workspace_root()
        .join("examples/feeds/north-macedonia.ndjson")
        .display()
        .to_string();
    let env = [
        ("IMPORT_SOURCE_NAME", "every-second"),
        ("IMPORT_SOURCE_URL", demo.as_str()),
        ("IMPORT_SOURCE_FORMAT", "json"),
        ("IMPORT_CRON_SCHEDULE", "* * * * * *"),
        ("IMPORT_MISFIRE_POLICY", "skip"),
    ];
    let service = Service::start(dir.path(), &url, &env);
    rt.block_on(async {
        service.wait_ready().await;
        let total = || async {
            let (_, body) = service
                .get("/api/v1/admin/import-jobs/history?limit=100")
                .await;
            body["data"]["pagination"]["total"].as_i64().unwrap_or(0)
        };
        until("two ticks run", Duration::from_secs(10), || async {
            total().await >= 2
        })
        .await;
        let (code, paused) = service
            .post(
                "/api/v1/admin/import-jobs/jobs/every-second/pause",
                json!({"reason": "e2e"}),
            )
            .await;
        assert_eq!(code, 200, "{paused}");
        let paused_at =
            chrono::DateTime::parse_from_rfc3339(paused["data"]["pausedAt"].as_str().unwrap())
                .unwrap();
        // Every replica obeys within a second (the pause is read through a 1 s cache): wait
        // until three ticks were skipped as paused, then no tick after that second may have run.
        until(
            "three ticks skipped while paused",
            Duration::from_secs(60),
            || async { paused_ticks(&service).await >= 3.0 },
        )
        .await;
        let (_, history) = service
            .get("/api/v1/admin/import-jobs/history?limit=100")
            .await;
        let runs = history["data"]["executions"].as_array().unwrap();
        assert!(
            runs.len() >= 2 && runs.iter().all(|e| e["scheduledFor"].is_string()),
            "every run has its tick: {runs:#?}"
        );
        let late: Vec<&Value> = runs
            .iter()
            // By tick, not start: a tick decided just before the pause may start a little
            // later on a loaded machine.
            .filter(|e| {
                e["scheduledFor"].as_str().is_some_and(|t| {
                    chrono::DateTime::parse_from_rfc3339(t).unwrap()
                        > paused_at + chrono::Duration::milliseconds(1100)
                })
            })
            .collect();
        assert!(late.is_empty(), "runs after the pause: {late:#?}");
        let job = &status(&service).await["jobs"][0];
        assert_eq!(job["paused"], true, "{job}");

        let before = total().await;
        let (code, _) = service
            .post(
                "/api/v1/admin/import-jobs/jobs/every-second/resume",
                json!({}),
            )
            .await;
        assert_eq!(code, 200);
        until(
            "ticks run again after resume",
            Duration::from_secs(5),
            || async { total().await > before },
        )
        .await;
    });
}

#[test]
fn image_urls_at_internal_addresses_are_never_requested() {
    let rt = super::super::rt();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("images.db").display());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let line =
        std::fs::read_to_string(workspace_root().join("examples/feeds/north-macedonia.ndjson"))
            .unwrap();
    let mut listing: Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    listing["images"] = json!([
        format!("http://127.0.0.1:{port}/a.jpg"),
        format!("http://localhost:{port}/b.jpg"),
    ]);
    let feed = dir.path().join("feed.ndjson");
    writeln!(std::fs::File::create(&feed).unwrap(), "{listing}").unwrap();
    let feed = feed.display().to_string();
    let env = [
        ("IMPORT_SOURCE_NAME", "untrusted"),
        ("IMPORT_SOURCE_URL", feed.as_str()),
        ("IMPORT_SOURCE_FORMAT", "json"),
        ("IMPORT_TEST_SKIP_IMAGES", "false"),
    ];
    let service = Service::start(dir.path(), &url, &env);
    rt.block_on(async {
        service.wait_ready().await;
        let id = service.trigger("untrusted").await;
        let run = service.wait_finished(&id, Duration::from_secs(30)).await;
        assert_eq!(run["status"], "SUCCESS", "the listing is stored: {run}");
        assert_eq!(run["details"]["imagesFailed"], 2, "{run}");
        assert_eq!(run["details"]["imagesStored"], 0, "{run}");
    });
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "no request reached 127.0.0.1 by default"
    );
}
