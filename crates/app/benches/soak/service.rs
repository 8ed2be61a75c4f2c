//! The service under soak: the release `propimport` binary running `serve` on a database of
//! its own, on a free port of 127.0.0.1, with one import job per generated source, all on the
//! soak's schedule, in a temporary working directory. Stopped with SIGTERM (SIGKILL if it
//! lingers) when dropped.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// How the service is started.
pub struct Launch<'a> {
    /// Its working directory (the log goes there).
    pub dir: &'a Path,
    /// `postgres://…` of its (empty) database; the service migrates it.
    pub database_url: &'a str,
    /// The `[[sources]]` file.
    pub sources_file: &'a Path,
    /// `IMPORT_CRON_SCHEDULE` (every source uses it).
    pub schedule: &'a str,
    /// `TOKIO_WORKER_THREADS`, when set.
    pub workers: Option<usize>,
    /// `MALLOC_ARENA_MAX`, when set.
    pub malloc_arena_max: Option<usize>,
    /// The binary to run; `None`: the one cargo built with the benchmark.
    pub binary: Option<&'a Path>,
    /// More variables for the service.
    pub env: &'a [(&'a str, String)],
}

/// A running service.
pub struct Service {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    log: PathBuf,
}

/// The UTC hour twelve hours from now: the retention purge is set there, out of the way.
fn quiet_hour() -> u32 {
    use chrono::Timelike as _;
    (chrono::Utc::now().hour() + 12) % 24
}

impl Service {
    /// Starts the service and waits until `/healthz` answers.
    pub async fn start(launch: &Launch<'_>) -> anyhow::Result<Self> {
        let port = crate::process::free_port()?;
        let log = launch.dir.join("service.log");
        let out = File::create(&log).context("create service.log")?;
        let mut command = Command::new(
            launch
                .binary
                .unwrap_or_else(|| Path::new(env!("CARGO_BIN_EXE_propimport"))),
        );
        command
            .arg("serve")
            .current_dir(launch.dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", launch.database_url)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("ADMIN_API_TOKEN", "bench-soak-token-0123456789abcdef")
            .env("IMPORT_SOURCES_FILE", launch.sources_file)
            .env("IMPORT_CRON_SCHEDULE", launch.schedule)
            // No burst at start-up for the tick before it: every burst is one of the soak's.
            .env("IMPORT_MISFIRE_POLICY", "skip")
            // The feeds' image URLs are recorded, never requested.
            .env("IMPORT_TEST_SKIP_IMAGES", "true")
            .env("IMAGE_STORE_URL", "memory://")
            .env(
                "RETENTION_CRON_SCHEDULE",
                format!("30 {} * * *", quiet_hour()),
            )
            .env("TZ", "UTC")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        for (name, value) in launch.env {
            command.env(name, value);
        }
        if let Some(workers) = launch.workers {
            command.env("TOKIO_WORKER_THREADS", workers.to_string());
        }
        if let Some(arenas) = launch.malloc_arena_max {
            command.env("MALLOC_ARENA_MAX", arenas.to_string());
        }
        let child = command.spawn().context("start propimport serve")?;
        let mut service = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        service.wait_healthy().await?;
        Ok(service)
    }

    async fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::builder().no_proxy().build()?;
        let url = format!("{}/healthz", self.base);
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the service exited ({status}):\n{}", self.log_tail());
            }
            if let Ok(resp) = client.get(&url).send().await
                && resp.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the service did not answer {url} within 120 s:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the service is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The last lines the service logged.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// How many lines of the log are warnings or errors.
    pub fn warnings(&self) -> usize {
        self.warning_lines(usize::MAX).len()
    }

    /// The first `n` lines of the log that are warnings or errors.
    pub fn warning_lines(&self, n: usize) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .take(n)
            .map(str::to_owned)
            .collect()
    }

    /// The service's resident memory and thread count now (Linux `/proc/<pid>/status`).
    pub fn memory(&self) -> Option<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let field = |name: &str| -> Option<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        };
        Some(Memory {
            rss_kib: field("VmRSS:")?,
            threads: field("Threads:")?,
        })
    }

    /// Stops the service: SIGTERM, then SIGKILL after fifteen seconds.
    pub fn stop(&mut self) {
        crate::process::stop(&mut self.child, Duration::from_secs(15));
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One reading of the service's memory.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// `VmRSS`, KiB.
    pub rss_kib: u64,
    /// `Threads`.
    pub threads: u64,
}
