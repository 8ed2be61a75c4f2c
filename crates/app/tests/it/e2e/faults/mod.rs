//! Fault injection on the real binary: a crash (`kill -9`) mid-import, a database that goes
//! away or freezes under a running service, a second shutdown signal, two processes on one
//! SQLite file, a replica killed while ticking every second, and a storm of concurrent manual
//! triggers across replicas.
//!
//! Every test asserts what was recorded (through the admin API or the store), polls for
//! states with generous deadlines, and runs with a short heartbeat and lease
//! ([`HEARTBEAT`], [`LEASE`]) so that recovery happens within seconds. The figures it measures
//! (recovery time after a kill, the slowest 503 while the database is frozen, …) are printed
//! as `fault-figure:` lines and written to `fault-figures.json` in the target directory
//! ([`figures`]).

mod database;
pub mod figures;
mod kill;
mod replicas;
mod signals;
mod sqlite;
mod ticks;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::support::{TOKEN, workspace_root};

/// `IMPORT_HEARTBEAT_INTERVAL` of the services under test.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// `IMPORT_LEASE` of the services under test.
pub const LEASE: Duration = Duration::from_secs(4);
/// `DATABASE_TIMEOUT` of the services under test where the database fails.
pub const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);
/// What a measured time may exceed its bound by on a busy 2-core machine (process start-up,
/// polling, scheduling).
pub const SLACK: Duration = Duration::from_secs(3);

/// How often a service sweeps abandoned runs: half the lease, at most a minute
/// (`SchedulerSettings::sweep_interval`).
pub fn sweep_interval() -> Duration {
    (LEASE / 2).clamp(Duration::from_millis(100), Duration::from_secs(60))
}

/// Within how long of its last heartbeat a dead instance's run is recorded FAILED.
pub fn recovery_bound() -> Duration {
    LEASE + sweep_interval()
}

/// Milliseconds, for figures.
pub fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A service's own variables, owned; [`Env::pairs`] lends them to `Service::start`.
#[derive(Debug, Clone, Default)]
pub struct Env(Vec<(String, String)>);

impl Env {
    /// Heartbeat, lease, UTC, no retention run and no catch-up of missed ticks at start-up.
    pub fn base() -> Self {
        Self::default()
            .set(
                "IMPORT_HEARTBEAT_INTERVAL",
                &format!("{}s", HEARTBEAT.as_secs()),
            )
            .set("IMPORT_LEASE", &format!("{}s", LEASE.as_secs()))
            .set("TZ", "UTC")
            .set("IMPORT_CRON_SCHEDULE", &quiet_schedule())
            .set("RETENTION_CRON_SCHEDULE", &quiet_schedule())
            .set("IMPORT_MISFIRE_POLICY", "skip")
    }

    /// One source: `name`, reading `url` as propimport JSON.
    pub fn source(self, name: &str, url: &str) -> Self {
        self.set("IMPORT_SOURCE_NAME", name)
            .set("IMPORT_SOURCE_URL", url)
            .set("IMPORT_SOURCE_FORMAT", "json")
    }

    /// `name=value`, replacing an earlier value.
    pub fn set(mut self, name: &str, value: &str) -> Self {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The pairs as `Service::start` and `support::command` take them.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

/// A daily schedule (in UTC) twelve hours away: nothing ticks during a test.
pub fn quiet_schedule() -> String {
    let hour = (Utc::now() + chrono::Duration::hours(12)).format("%H");
    format!("0 {hour} * * *")
}

/// The demo NDJSON feed (20 listings) as a file path.
pub fn demo_feed() -> String {
    workspace_root()
        .join("examples/feeds/north-macedonia.ndjson")
        .display()
        .to_string()
}

/// Writes an `IMPORT_SOURCES_FILE` of JSON sources `(name, url, schedule)` and gives its path.
pub fn sources_file(dir: &Path, sources: &[(&str, &str, &str)]) -> String {
    let mut text = String::new();
    for (name, url, schedule) in sources {
        text.push_str(&format!(
            "[[sources]]\nname = {name:?}\nurl = {url:?}\nformat = \"json\"\nschedule = {schedule:?}\n\n"
        ));
    }
    let path = dir.join("sources.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// One admin request with a 20 s client timeout (a hang shows as status 0): status, JSON and
/// how long the answer took.
pub async fn timed(
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> (u16, Value, Duration) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut req = client.request(method, url).bearer_auth(TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let started = Instant::now();
    let (status, value) = match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            (
                status,
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
            )
        }
        Err(e) => (0, Value::String(e.to_string())),
    };
    (status, value, started.elapsed())
}

/// A timestamp of the API (`2025-12-24T00:04:32.123Z`).
pub fn utc(value: &Value) -> DateTime<Utc> {
    let text = value.as_str().unwrap_or_else(|| panic!("no time: {value}"));
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

/// The value of one Prometheus sample (`name{labels}`) on the service's `/metrics`.
pub async fn metric(base: &str, sample: &str) -> Option<f64> {
    let (_, text, _) = timed(reqwest::Method::GET, &format!("{base}/metrics"), None).await;
    text.as_str()?
        .lines()
        .find_map(|l| l.strip_prefix(sample)?.trim().parse().ok())
}
