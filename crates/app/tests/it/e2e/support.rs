//! Running the real `propimport` binary as a child process, a slow feed server, and an HTTP
//! client for its API.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The admin token the services under test are started with.
pub const TOKEN: &str = "e2e-admin-token-0123456789abcdef";

/// The workspace root (the demo feeds are found relative to it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A `propimport serve` child process.
pub struct Service {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Everything it printed on stdout so far.
    pub stdout: Arc<Mutex<Vec<String>>>,
    stderr_path: PathBuf,
}

/// The environment every service under test gets, before the test's own variables. Missed
/// ticks are skipped: under the default daily schedule, a service started within the hour
/// after its midnight would otherwise start every job at once (the misfire grace).
fn base_env(dir: &Path, database_url: &str) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", database_url.to_owned()),
        ("PORT", "0".to_owned()),
        ("HOST", "127.0.0.1".to_owned()),
        ("ADMIN_API_TOKEN", TOKEN.to_owned()),
        ("ADMIN_TRIGGER_INTERVAL", "0".to_owned()),
        ("IMAGE_STORE_URL", dir.join("images").display().to_string()),
        ("IMPORT_TEST_SKIP_IMAGES", "true".to_owned()),
        ("IMPORT_MISFIRE_POLICY", "skip".to_owned()),
        ("RUST_LOG", "info".to_owned()),
        ("LOG_FORMAT", "text".to_owned()),
        ("NO_COLOR", "1".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The binary under test, with a clean environment of its own variables.
pub fn command(dir: &Path, database_url: &str, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_propimport"));
    cmd.current_dir(workspace_root());
    for (k, _) in std::env::vars() {
        if k.starts_with("IMPORT_")
            || k.starts_with("ADMIN_")
            || k.starts_with("RETENTION_")
            || k == "TZ"
        {
            cmd.env_remove(k);
        }
    }
    for (k, v) in base_env(dir, database_url) {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

impl Service {
    /// Starts `propimport serve` and waits for its banner (which names the port).
    pub fn start(dir: &Path, database_url: &str, env: &[(&str, &str)]) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let stderr_path = dir.join(format!("service-{n}.stderr"));
        let stderr = std::fs::File::create(&stderr_path).unwrap();
        let mut child = command(dir, database_url, env)
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("is serving on ").nth(1) {
                    let _ = tx.send(rest.trim().to_owned());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the service printed no banner; stderr:\n{}",
                    std::fs::read_to_string(&stderr_path).unwrap_or_default()
                );
            }
        };
        Self {
            child,
            base,
            stdout: lines,
            stderr_path,
        }
    }

    /// Its stdout once a line containing `needle` was printed (the banner is read by a
    /// thread, line by line).
    pub fn stdout_until(&self, needle: &str) -> String {
        let started = Instant::now();
        loop {
            let text = self.stdout.lock().unwrap().join("\n");
            if text.contains(needle) || started.elapsed() > Duration::from_secs(10) {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What it logged.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Sends SIGTERM and waits up to `within` for the exit.
    pub fn terminate(&mut self, within: Duration) -> (ExitStatus, Duration) {
        let started = Instant::now();
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, started.elapsed());
            }
            assert!(
                started.elapsed() < within,
                "no exit within {within:?} of SIGTERM; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL, as a crash.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Its process id (the `instance_id` of its runs ends with `:<pid>`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`TERM`, `INT`, …) and returns at once.
    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success(), "kill -{signal}");
    }

    /// Waits up to `within` for the process to exit.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if started.elapsed() >= within {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `GET path` with the token: status and JSON.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        request(reqwest::Method::GET, &format!("{}{path}", self.base), None).await
    }

    /// `POST path` with the token and a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        request(
            reqwest::Method::POST,
            &format!("{}{path}", self.base),
            Some(body),
        )
        .await
    }

    /// Waits until `/readyz` answers 200.
    pub async fn wait_ready(&self) {
        let started = Instant::now();
        loop {
            if self.get("/readyz").await.0 == 200 {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "never ready: {}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Triggers `job` and returns the new execution's id.
    pub async fn trigger(&self, job: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/admin/import-jobs/trigger",
                serde_json::json!({"jobName": job}),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        body["executionId"].as_str().unwrap().to_owned()
    }

    /// Waits until execution `id` is RUNNING with at least `at_least` records counted (live
    /// counts are written by its heartbeat) and returns it.
    pub async fn wait_progress(&self, id: &str, at_least: i64) -> Value {
        let started = Instant::now();
        loop {
            let (_, body) = self.get(&format!("/api/v1/admin/import-jobs/{id}")).await;
            if body["data"]["status"] == "RUNNING"
                && body["data"]["totalProperties"].as_i64().unwrap_or(0) >= at_least
            {
                return body["data"].clone();
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no progress: {body}\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until execution `id` is finished and returns it.
    pub async fn wait_finished(&self, id: &str, within: Duration) -> Value {
        let started = Instant::now();
        loop {
            let (status, body) = self.get(&format!("/api/v1/admin/import-jobs/{id}")).await;
            if status == 200 && body["data"]["status"] != "RUNNING" {
                return body["data"].clone();
            }
            assert!(
                started.elapsed() < within,
                "{id} not finished: {body}\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request with the admin token.
pub async fn request(method: reqwest::Method, url: &str, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut req = client.request(method, url).bearer_auth(TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            (
                status,
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
            )
        }
        Err(e) => (0, Value::String(e.to_string())),
    }
}

/// A feed server on 127.0.0.1 that sends the demo NDJSON feed one line per `delay`.
pub struct SlowFeed {
    /// The feed's URL.
    pub url: String,
    delay_ms: Arc<AtomicU64>,
}

impl SlowFeed {
    /// Starts serving with `delay` between records.
    pub async fn start(delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let delay_ms = Arc::new(AtomicU64::new(u64::try_from(delay.as_millis()).unwrap()));
        let lines: Vec<String> =
            std::fs::read_to_string(workspace_root().join("examples/feeds/north-macedonia.ndjson"))
                .unwrap()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect();
        let delay = delay_ms.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let lines = lines.clone();
                let delay = delay.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n";
                    if socket.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    for line in lines {
                        let ms = delay.load(Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        if socket
                            .write_all(format!("{line}\n").as_bytes())
                            .await
                            .is_err()
                        {
                            return;
                        }
                        let _ = socket.flush().await;
                    }
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}/feed.ndjson"),
            delay_ms,
        }
    }

    /// Changes the delay between records.
    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms
            .store(u64::try_from(delay.as_millis()).unwrap(), Ordering::SeqCst);
    }

    /// The number of records the feed sends.
    pub fn records() -> usize {
        20
    }
}

/// The URL the binary is given for a test database.
pub fn url_of(db: &propimport_persistence::testing::TestDatabase) -> String {
    match db.database().url() {
        propimport_persistence::DatabaseUrl::Postgres(url) => url.clone(),
        propimport_persistence::DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
    }
}
