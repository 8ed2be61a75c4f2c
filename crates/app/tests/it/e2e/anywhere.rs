//! The service started outside the repository, as an installed binary or a container runs
//! it: the demo feeds come from the binary, a generated admin token goes to a file readable
//! by its owner alone (stdout is not a terminal), logs are free of colour codes and library
//! chatter, each schedule is said in words, and the shutdown line names the signal.

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::support::command;

async fn get(url: &str, token: &str) -> (u16, Value) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let response = client.get(url).bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn serves_the_demo_feeds_from_any_folder_and_keeps_the_token_off_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let stderr_path = dir.path().join("serve.stderr");
    let mut cmd = command(dir.path(), "unused", &[]);
    // The default database (./data/propimport.db) in a folder with no examples/ in it.
    cmd.current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("ADMIN_API_TOKEN")
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let started = Instant::now();
    let banner = loop {
        let text = lines.lock().unwrap().join("\n");
        if text.contains("admin token") && text.contains("retention purge") {
            break text;
        }
        if started.elapsed() > Duration::from_secs(60) || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!(
                "no banner: {text}\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let base = banner
        .lines()
        .find_map(|l| l.split("is serving on ").nth(1))
        .unwrap()
        .trim()
        .to_owned();
    assert!(
        banner.contains("job demo-costa-blanca")
            && banner.contains("at 00:00 every day, Europe/Skopje  [0 0 * * *]"),
        "each schedule in words: {banner}"
    );
    assert!(
        banner.contains("at 03:30 every day, Europe/Skopje  [30 3 * * *]"),
        "{banner}"
    );

    let token_file = dir.path().join("data/admin-token");
    assert!(
        banner.contains("admin token written to data/admin-token (readable by its owner only)"),
        "{banner}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let token = std::fs::read_to_string(&token_file)
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(token.len(), 64, "{token}");

    let (code, status) = get(&format!("{base}/api/v1/admin/import-jobs/status"), &token).await;
    assert_eq!(code, 200, "the file's token signs in: {status}");
    let texts: Vec<&str> = status["data"]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["scheduleText"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["at 00:00 every day, Europe/Skopje"; 2]);

    // The embedded demo feed imports although the folder has no examples/.
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let trigger: Value = client
        .post(format!("{base}/api/v1/admin/import-jobs/trigger"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"jobName": "demo-costa-blanca"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = trigger["executionId"].as_str().unwrap().to_owned();
    let started = Instant::now();
    let run = loop {
        let (_, body) = get(&format!("{base}/api/v1/admin/import-jobs/{id}"), &token).await;
        if body["data"]["status"] != "RUNNING" && !body["data"].is_null() {
            break body["data"].clone();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(run["status"], "SUCCESS", "{run}");
    assert_eq!(run["successCount"], 30, "{run}");
    assert!(
        dir.path()
            .join("data/demo-feeds/costa-blanca.kyero.xml")
            .is_file()
    );

    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "no exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    let logs = std::fs::read_to_string(&stderr_path).unwrap();
    let stdout = lines.lock().unwrap().join("\n");
    assert!(
        !logs.contains(&token) && !stdout.contains(&token),
        "the token is in no output"
    );
    assert!(logs.contains("SIGTERM received, shutting down"), "{logs}");
    assert!(
        !logs.contains('\u{1b}'),
        "no colour codes in a file: {logs}"
    );
    assert!(
        !logs.contains("actix_server") && !logs.contains("actix_web"),
        "library internals are not logged at INFO: {logs}"
    );
}
