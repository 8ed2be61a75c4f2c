//! The service under load: the release `propimport` binary running `serve` on the seeded
//! database, on a free port of 127.0.0.1, with a static admin token and one import job per
//! benchmark job (the demo NDJSON feed, each on a daily schedule twelve hours away, so that
//! nothing runs during the measurement), in a temporary working directory of its own. Stopped
//! with SIGTERM (SIGKILL if it lingers) when dropped.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// A running service.
pub struct Service {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    log: PathBuf,
}

/// The UTC hour twelve hours from now: daily schedules at that hour do not fire during a
/// benchmark.
fn quiet_hour() -> u32 {
    use chrono::Timelike as _;
    (chrono::Utc::now().hour() + 12) % 24
}

impl Service {
    /// Starts the service on `database_url` in `dir` and waits until `/healthz` answers.
    pub async fn start(
        dir: &Path,
        database_url: &str,
        token: &str,
        jobs: &[String],
    ) -> anyhow::Result<Self> {
        let feed = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/feeds/north-macedonia.ndjson")
            .canonicalize()
            .context("the demo feed examples/feeds/north-macedonia.ndjson")?;
        let hour = quiet_hour();
        let mut sources = String::new();
        for (i, job) in jobs.iter().enumerate() {
            let schedule = format!("{} {hour} * * *", (i * 3) % 60);
            sources.push_str(&format!(
                "[[sources]]\nname = {job:?}\nurl = {:?}\nformat = \"json\"\nschedule = {schedule:?}\n\n",
                feed.display().to_string()
            ));
        }
        let sources_file = dir.join("sources.toml");
        std::fs::write(&sources_file, sources).context("write sources.toml")?;
        let port = crate::process::free_port()?;
        let log = dir.join("service.log");
        let out = File::create(&log).context("create service.log")?;
        let child = Command::new(env!("CARGO_BIN_EXE_propimport"))
            .arg("serve")
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", database_url)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("ADMIN_API_TOKEN", token)
            .env("IMPORT_SOURCES_FILE", &sources_file)
            .env("IMPORT_CRON_SCHEDULE", format!("0 {hour} * * *"))
            .env("IMPORT_MISFIRE_POLICY", "skip")
            .env("RETENTION_CRON_SCHEDULE", format!("30 {hour} * * *"))
            .env("RETENTION_SUCCESS_DAYS", "3650")
            .env("RETENTION_FAILED_DAYS", "3650")
            .env("IMAGE_STORE_URL", "memory://")
            .env("TZ", "UTC")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("start propimport serve")?;
        let mut service = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        service.wait_healthy().await?;
        Ok(service)
    }

    async fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let url = format!("{}/healthz", self.base);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the service exited ({status}):\n{}", self.log_text());
            }
            if let Ok(resp) = client.get(&url).send().await
                && resp.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the service did not answer {url} within 60 s:\n{}",
                    self.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What the service logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The service's resident memory now, in MB (Linux).
    pub fn rss_mb(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        Some(kib / 1024.0)
    }

    /// Stops the service: SIGTERM, then SIGKILL after ten seconds.
    pub fn stop(&mut self) {
        crate::process::stop(&mut self.child, Duration::from_secs(10));
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}
