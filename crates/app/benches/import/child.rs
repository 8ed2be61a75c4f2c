//! One import, run in a process of its own so that its peak resident memory is the importer's
//! alone (not the generator's or the feed server's): the parent re-executes the bench binary
//! with [`CHILD_FLAG`] and a [`ChildSpec`], and reads one [`ChildResult`] line back.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use propimport_domain::{CancelToken, JobName, ListingStore, ProgressHandle};
use propimport_importer::hash::{kept_record, keyed};
use propimport_importer::{FeedFormat, FeedItem, Importer, Location, ReadOptions, SourceConfig};
use propimport_persistence::{Database, DatabaseUrl, PoolOptions, SqlListingStore};
use serde::{Deserialize, Serialize};

/// The argument that makes the bench binary run one import and exit.
pub const CHILD_FLAG: &str = "--import-child";
/// The prefix of the child's result line on stdout.
const RESULT_PREFIX: &str = "BENCH-RESULT ";

/// What the child does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildMode {
    /// A whole import into the database.
    Import,
    /// Only read, map and hash the feed file (no HTTP, no database): the in-process ceiling.
    Read,
}

/// What the child imports, from where, into which database.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildSpec {
    /// Import, or read only.
    pub mode: ChildMode,
    /// The feed file (read mode).
    pub feed_path: std::path::PathBuf,
    /// `postgres://…` or `sqlite://…` of a migrated database (import mode).
    pub database_url: String,
    /// The feed's URL on the local server.
    pub feed_url: String,
    /// `kyero` or `json`.
    pub format: String,
    /// The source name.
    pub source: String,
}

/// What the child measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildResult {
    /// Wall time of `Importer::run` (fetch, parse, map, hash, store, withdraw).
    pub seconds: f64,
    /// CPU time (user + system) of the importing process during the run.
    pub cpu_seconds: f64,
    /// Peak resident set size of the process (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
    /// Resident set size just before the run, in KiB.
    pub rss_before_kib: u64,
    /// Records read.
    pub total: i64,
    /// New listings (read mode: listings mapped).
    pub inserted: i64,
    /// Changed listings.
    pub updated: i64,
    /// Unchanged listings.
    pub unchanged: i64,
    /// Records that failed.
    pub failed: i64,
    /// Listings withdrawn.
    pub withdrawn: i64,
}

/// Runs `spec` in a child process; `Ok(None)` when it ran longer than `timeout` (it is then
/// killed).
pub fn run_in_child(spec: &ChildSpec, timeout: Duration) -> anyhow::Result<Option<ChildResult>> {
    let exe = std::env::current_exe().context("locate the bench binary")?;
    let mut command = Command::new(exe);
    command
        .arg(CHILD_FLAG)
        .arg(serde_json::to_string(spec)?)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    // Feed traffic goes straight to the local server.
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        command.env_remove(var);
    }
    let mut child = command.spawn().context("start the import child")?;
    let started = Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if started.elapsed() > timeout {
            child.kill().context("kill the import child")?;
            child.wait()?;
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!("the import child failed ({})", output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(RESULT_PREFIX))
        .context("the import child printed no result")?;
    Ok(Some(serde_json::from_str(line)?))
}

/// The child's side: imports, then prints its [`ChildResult`].
pub fn child_main(spec_json: &str) -> anyhow::Result<()> {
    let spec: ChildSpec = serde_json::from_str(spec_json).context("child spec")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = match spec.mode {
        ChildMode::Import => runtime.block_on(import(&spec))?,
        ChildMode::Read => runtime.block_on(read(&spec))?,
    };
    println!("{RESULT_PREFIX}{}", serde_json::to_string(&result)?);
    Ok(())
}

async fn import(spec: &ChildSpec) -> anyhow::Result<ChildResult> {
    let url = DatabaseUrl::parse(&spec.database_url)?;
    let db = Database::connect(&url, PoolOptions::default()).await?;
    let store: Arc<dyn ListingStore> = Arc::new(SqlListingStore::new(db.clone()));
    let format = FeedFormat::parse(&spec.format).context("feed format")?;
    let location = Location::parse(&spec.feed_url).map_err(anyhow::Error::msg)?;
    let source = SourceConfig::new(JobName::parse(&spec.source)?, format, location);
    // Images are not downloaded: the importer stores their URLs only.
    let importer = Importer::builder(source, store).build()?;
    let rss_before_kib = proc_status_kib("VmRSS:")?;
    let cpu_before = super::cpu::cpu_seconds()?;
    let started = Instant::now();
    let report = importer
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = super::cpu::cpu_seconds()? - cpu_before;
    let peak_rss_kib = proc_status_kib("VmHWM:")?;
    db.close();
    if let Some(error) = report.errors.items.first() {
        eprintln!(
            "import child: {} record(s) failed, first: {error:?}",
            report.failed
        );
    }
    Ok(ChildResult {
        seconds,
        cpu_seconds,
        peak_rss_kib,
        rss_before_kib,
        total: report.total,
        inserted: report.inserted,
        updated: report.updated,
        unchanged: report.unchanged,
        failed: report.failed,
        withdrawn: report.withdrawn,
    })
}

/// Reads, maps and hashes every record of the feed file, as the import's reader task does.
async fn read(spec: &ChildSpec) -> anyhow::Result<ChildResult> {
    let format = FeedFormat::parse(&spec.format).context("feed format")?;
    // As the importer reads a file source.
    let input = propimport_importer::open_file(&spec.feed_path, &ProgressHandle::new())
        .await
        .with_context(|| format!("open {}", spec.feed_path.display()))?;
    let rss_before_kib = proc_status_kib("VmRSS:")?;
    let cpu_before = super::cpu::cpu_seconds()?;
    let started = Instant::now();
    let (mut total, mut listings, mut failed) = (0i64, 0i64, 0i64);
    // As the importer's reading task does (`pipeline/mod.rs`).
    let mut reader = format.open(input, &ReadOptions::default());
    while let Some(item) = reader.next().await? {
        match item {
            FeedItem::Listing(listing, raw) => {
                let record = kept_record(listing, raw, format.name());
                std::hint::black_box(keyed(record, reader.record_key()));
                listings += 1;
            }
            FeedItem::Failed(_) => failed += 1,
            FeedItem::Gone(_) | FeedItem::Known(_) => {}
        }
        total += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(ChildResult {
        seconds,
        cpu_seconds: super::cpu::cpu_seconds()? - cpu_before,
        peak_rss_kib: proc_status_kib("VmHWM:")?,
        rss_before_kib,
        total,
        inserted: listings,
        updated: 0,
        unchanged: 0,
        failed,
        withdrawn: 0,
    })
}

/// A `kB` field of `/proc/self/status` (`VmHWM:` is the peak resident set size).
fn proc_status_kib(field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status").context("read /proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no {field} in /proc/self/status"))
}
