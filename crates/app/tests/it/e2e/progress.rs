//! Live progress on the real binary: `/status` shows a running run's counts from the memory
//! of the instance running it long before its next heartbeat, and `propimport import` off a
//! terminal prints whole progress lines that no log line shares.

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::support::{Service, SlowFeed, command};

const JOB: &str = "slow-feed";

fn slow_env(feed: &SlowFeed) -> Vec<(&'static str, String)> {
    vec![
        ("IMPORT_SOURCE_NAME", JOB.to_owned()),
        ("IMPORT_SOURCE_URL", feed.url.clone()),
        ("IMPORT_SOURCE_FORMAT", "json".to_owned()),
    ]
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// With a heartbeat of a minute, the record of a 3-second run has no counts until it ends;
/// `/status` on the instance running it shows them, live, with a rate and the bytes read.
#[test]
fn status_shows_live_counts_before_any_heartbeat() {
    let rt = super::super::rt();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("progress.db").display());
    let feed = rt.block_on(SlowFeed::start(Duration::from_millis(150)));
    let mut env = slow_env(&feed);
    env.push(("IMPORT_HEARTBEAT_INTERVAL", "60s".to_owned()));
    env.push(("IMPORT_LEASE", "5m".to_owned()));
    let service = Service::start(dir.path(), &url, &borrowed(&env));
    rt.block_on(async {
        service.wait_ready().await;
        let id = service.trigger(JOB).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        let running = loop {
            let (_, status) = service.get("/api/v1/admin/import-jobs/status").await;
            let running = status["data"]["jobs"][0]["runningExecution"].clone();
            if running["progress"]["processed"].as_i64().unwrap_or(0) > 0 {
                break running;
            }
            assert!(Instant::now() < deadline, "no live counts: {status}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(running["id"], id.as_str());
        let progress = &running["progress"];
        assert_eq!(progress["live"], true, "{running}");
        assert!(
            progress["ratePerSecond"].as_f64().unwrap() > 0.0,
            "{running}"
        );
        assert!(progress["bytesRead"].as_u64().unwrap() > 0, "{running}");
        assert!(
            progress["bytesTotal"].is_null(),
            "the feed sends no Content-Length"
        );
        assert_eq!(running["totalProperties"], progress["processed"]);
        let (_, record) = service
            .get(&format!("/api/v1/admin/import-jobs/{id}"))
            .await;
        if record["data"]["status"] == "RUNNING" {
            assert_eq!(record["data"]["totalProperties"], 0, "no heartbeat yet");
            assert_eq!(record["data"]["progress"]["live"], false, "{record}");
        }
        let done = service.wait_finished(&id, Duration::from_secs(60)).await;
        assert_eq!(done["status"], "SUCCESS", "{done}");
        assert!(done["progress"].is_null(), "{done}");
    });
}

/// Off a terminal, `propimport import` prints a progress line every `--progress-every`: each
/// a whole line of its own, never sharing one with a log line.
#[test]
fn import_prints_plain_progress_lines_off_a_terminal() {
    let rt = super::super::rt();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("import.db").display());
    let feed = rt.block_on(SlowFeed::start(Duration::from_millis(150)));
    let env = slow_env(&feed);
    let child = command(dir.path(), &url, &borrowed(&env))
        .args(["import", "--progress-every", "500ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with(&format!("{JOB}: ")))
        .collect();
    assert!(progress.len() >= 2, "progress lines: {stderr}");
    for line in &progress {
        assert!(
            line.contains(" records · ") && line.contains("/s") && line.ends_with(" elapsed)"),
            "{line}"
        );
        assert!(!line.contains("INFO") && !line.contains("\x1b"), "{line}");
    }
    // The summary on stdout says how the run ended; the runner's "run finished" log line
    // would say it a second time.
    assert!(!stderr.contains("run finished"), "{stderr}");
    assert!(
        stdout.starts_with(&format!("{JOB}  SUCCESS  (in ")),
        "{stdout}"
    );
    for word in ["new", "updated", "unchanged", "failed", "withdrawn"] {
        assert!(stdout.contains(&format!("  {word} ")), "{word}: {stdout}");
    }
}

#[test]
fn a_failed_import_says_why_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("failed.db").display());
    let missing = dir.path().join("no-such-feed.json");
    let env = [
        ("IMPORT_SOURCE_NAME", JOB),
        ("IMPORT_SOURCE_URL", missing.to_str().unwrap()),
        ("IMPORT_SOURCE_FORMAT", "json"),
    ];
    let out = command(dir.path(), &url, &env)
        .arg("import")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("FAILED"), "{stdout}");
    let said = format!("{stdout}{stderr}")
        .matches("no-such-feed.json")
        .count();
    assert_eq!(said, 1, "the reason once:\n{stdout}\n{stderr}");
}
