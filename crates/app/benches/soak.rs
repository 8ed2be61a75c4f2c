//! The soak benchmark (`just bench-soak`, or `cargo bench -p propimport --bench soak`).
//!
//! Repeated bursts of runs: N sources (default 1,000), each a 3-listing NDJSON file, all on
//! one six-field schedule every S seconds (default 30), so that every S seconds N runs start
//! at once and queue for the database pool. The release `propimport` binary runs `serve` on a
//! fresh PostgreSQL database; the service's resident memory (`VmRSS`) is sampled through each
//! burst, and read once more just before the next tick, when the burst's runs are over.
//!
//! What a burst leaves behind shows there: memory still held once its runs are over. The
//! verdict compares the RSS after each later burst with the RSS after the warm-up bursts
//! (default 3: the pool, the caches and the allocator's arenas filled): "flat within 10 %
//! once warm" when none is more than 10 % above it. A table per burst goes to stdout and,
//! as JSON with the settings, to `target/bench-soak.json`; `--strict` exits non-zero on a
//! miss (or when no run finished at all).
//!
//! The service's runtime gets 8 worker threads (`TOKIO_WORKER_THREADS`) by default, as on an
//! 8-core server whatever this machine has: glibc gives each thread that allocates an arena
//! of its own (up to 8 per core), and the more arenas a burst's allocations are spread over,
//! the more of the burst's peak each keeps. `--malloc-arena-max=2` sets `MALLOC_ARENA_MAX`
//! for the service, to tell allocator fragmentation from live memory.
//!
//! Settings (arguments override variables):
//!
//! | argument | variable | default |
//! | --- | --- | --- |
//! | `--quick` | `BENCH_QUICK=1` | 300 sources, every 15 s, 8 bursts, 3 of warm-up |
//! | `--sources=N` | `BENCH_SOURCES` | 1,000 |
//! | `--every=SECONDS` | `BENCH_EVERY` | 30 (a divisor of 60) |
//! | `--bursts=N` | `BENCH_BURSTS` | 12 |
//! | `--warmup=N` | `BENCH_WARMUP` | 3 |
//! | `--workers=N` | `BENCH_WORKERS` | 8 (`0`: the service's own default, one per core) |
//! | `--malloc-arena-max=N` | `BENCH_MALLOC_ARENA_MAX` | unset |
//! | `--strict` | `BENCH_STRICT=1` | off |
//! | `--binary=PATH` | `BENCH_BINARY` | the release binary built with the benchmark (another build, to compare) |
//! | | `TEST_DATABASE_URL` | `postgres://postgres@127.0.0.1:5432/postgres` |
//! | | `BENCH_KEEP=1` | keep the database (`propimport_bench_soak`) and the feeds |

#[path = "soak/config.rs"]
mod config;
#[path = "shared/postgres.rs"]
mod postgres;
#[path = "shared/process.rs"]
mod process;
#[path = "soak/report.rs"]
mod report;
#[path = "soak/service.rs"]
mod service;
#[path = "shared/settings.rs"]
mod settings;
#[path = "shared/mod.rs"]
mod shared;

use postgres::{Admin, connect};

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use config::Config;
use report::{Burst, table, verdict};
use tokio_postgres::Client;

const DATABASE: &str = "propimport_bench_soak";
/// Listings per feed.
const LISTINGS_PER_FEED: usize = 3;
/// How far above the warm RSS a later burst may leave the service and still be "flat".
const FLAT_WITHIN: f64 = 0.10;
/// How often the RSS is sampled during a burst.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);
/// How long before the next tick the quiet RSS is read.
const QUIET_BEFORE_TICK: Duration = Duration::from_millis(1500);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match Config::read(&args).and_then(|config| run(&config)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak benchmark failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: &Config) -> anyhow::Result<bool> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(soak(config))
}

async fn soak(config: &Config) -> anyhow::Result<bool> {
    let dir = tempfile::Builder::new()
        .prefix("propimport-bench-soak-")
        .tempdir()
        .context("temporary directory")?;
    let sources_file = write_sources(dir.path(), config.sources)?;
    let admin = Admin::connect(&config.pg_url)
        .await
        .context("PostgreSQL is required (TEST_DATABASE_URL)")?;
    let database_url = admin.create_empty(DATABASE).await?;
    let schedule = config.schedule();
    eprintln!(
        "soak benchmark: {} sources of {LISTINGS_PER_FEED} listings on \"{schedule}\", {} bursts ({} of warm-up), service workers: {}, MALLOC_ARENA_MAX: {}",
        config.sources,
        config.bursts,
        config.warmup,
        config
            .workers
            .map_or_else(|| "one per core".to_owned(), |n| n.to_string()),
        config
            .malloc_arena_max
            .map_or_else(|| "unset".to_owned(), |n| n.to_string()),
    );
    let load_before = shared::load_average();
    let mut service = service::Service::start(&service::Launch {
        dir: dir.path(),
        database_url: &database_url,
        sources_file: &sources_file,
        schedule: &schedule,
        workers: config.workers,
        malloc_arena_max: config.malloc_arena_max,
        binary: config.binary.as_deref(),
        env: &[],
    })
    .await?;
    let started_rss = service.memory().map_or(0.0, |m| mb(m.rss_kib));
    eprintln!(
        "service at {} ({started_rss:.1} MB); following the next {} ticks",
        service.base, config.bursts
    );
    let db = connect(&database_url).await?;
    let bursts = measure(config, &mut service, &db).await;
    let warnings = service.warnings();
    let log_tail = service.log_tail();
    service.stop();
    drop(db);
    let load_after = shared::load_average();
    let bursts = bursts.with_context(|| format!("the service's last lines:\n{log_tail}"))?;
    let verdict = verdict(config, &bursts);
    println!("{}", table(config, started_rss, &bursts, &verdict));
    println!("warnings and errors logged by the service: {warnings}");
    println!("load average before: {load_before}; after: {load_after}");
    let expected = i64::try_from(config.sources * config.bursts).unwrap_or(i64::MAX);
    let finished = bursts.last().map_or(0, |b| b.runs_finished);
    if finished < expected * 9 / 10 {
        println!(
            "note: {finished} runs finished of {expected} ticked: bursts overlapped (runs longer than the interval skip their next tick) or ticks were missed"
        );
    }
    let path = shared::report_path("bench-soak.json");
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let json = serde_json::json!({
        "config": config,
        "machine": {
            "cpus": std::thread::available_parallelism().map(usize::from).unwrap_or(1),
            "load_average_before": load_before,
            "load_average_after": load_after,
        },
        "started_rss_mb": started_rss,
        "bursts": bursts,
        "verdict": verdict,
        "warnings_logged": warnings,
    });
    std::fs::write(&path, serde_json::to_string_pretty(&json)?)
        .with_context(|| format!("write {}", path.display()))?;
    println!("written to {}", path.display());
    if config.keep {
        println!(
            "kept: database {database_url}, feeds in {}",
            dir.keep().display()
        );
    } else {
        admin.drop(DATABASE).await?;
    }
    if !config.strict {
        return Ok(true);
    }
    if finished == 0 {
        eprintln!("--strict: no run finished; the soak measured nothing");
        return Ok(false);
    }
    if !verdict.flat {
        eprintln!(
            "--strict: RSS grew {:.1} % after the warm-up (more than {:.0} %)",
            verdict.growth_percent,
            FLAT_WITHIN * 100.0
        );
    }
    Ok(verdict.flat)
}

/// Follows `config.bursts` bursts from the next tick on: samples the RSS through each and
/// reads it, with the runs' counts, just before the next tick.
async fn measure(
    config: &Config,
    service: &mut service::Service,
    db: &Client,
) -> anyhow::Result<Vec<Burst>> {
    let every = Duration::from_secs(config.every_seconds);
    let now = unix_now();
    // The first tick at least a second away, so that the whole burst is seen.
    let first = (now + Duration::from_secs(1))
        .as_secs()
        .div_ceil(config.every_seconds)
        * config.every_seconds;
    let mut bursts = Vec::with_capacity(config.bursts);
    for n in 0..config.bursts {
        let tick = Duration::from_secs(first) + every * u32::try_from(n)?;
        let quiet_at = tick + every - QUIET_BEFORE_TICK;
        sleep_until(tick).await;
        let mut peak_kib = 0;
        while unix_now() < quiet_at {
            if !service.is_running() {
                bail!("the service exited during burst {}", n + 1);
            }
            if let Some(m) = service.memory() {
                peak_kib = peak_kib.max(m.rss_kib);
            }
            tokio::time::sleep(SAMPLE_EVERY).await;
        }
        let memory = service
            .memory()
            .context("cannot read the service's memory")?;
        let row = db
            .query_one(
                "SELECT count(*) FILTER (WHERE status <> 'RUNNING'), \
                        count(*) FILTER (WHERE status = 'FAILED'), \
                        count(*) FILTER (WHERE status = 'RUNNING') \
                 FROM import_job_executions",
                &[],
            )
            .await
            .context("count the runs")?;
        let burst = Burst {
            burst: n + 1,
            tick: chrono::DateTime::from_timestamp(i64::try_from(tick.as_secs())?, 0)
                .map(|t| t.format("%H:%M:%S").to_string())
                .unwrap_or_default(),
            runs_finished: row.get(0),
            runs_failed: row.get(1),
            running_at_end: row.get(2),
            peak_rss_mb: mb(peak_kib.max(memory.rss_kib)),
            rss_mb: mb(memory.rss_kib),
            threads: memory.threads,
        };
        eprintln!(
            "  burst {:>2} at {}: RSS {:>7.1} MB (peak {:>7.1} MB), {:>6} runs finished, {:>5} failed, {:>4} still running",
            burst.burst,
            burst.tick,
            burst.rss_mb,
            burst.peak_rss_mb,
            burst.runs_finished,
            burst.runs_failed,
            burst.running_at_end
        );
        bursts.push(burst);
    }
    Ok(bursts)
}

/// Writes `count` feeds of the first listings of the demo NDJSON feed and the sources file
/// naming them; returns the sources file.
fn write_sources(dir: &Path, count: usize) -> anyhow::Result<std::path::PathBuf> {
    let demo =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/feeds/north-macedonia.ndjson");
    let text = std::fs::read_to_string(&demo)
        .with_context(|| format!("read the demo feed {}", demo.display()))?;
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(LISTINGS_PER_FEED)
        .collect();
    if lines.len() < LISTINGS_PER_FEED {
        bail!("the demo feed has fewer than {LISTINGS_PER_FEED} listings");
    }
    let feed = format!("{}\n", lines.join("\n"));
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(&feeds)?;
    let mut sources = String::new();
    for i in 1..=count {
        let path = feeds.join(format!("soak-{i:04}.ndjson"));
        std::fs::write(&path, &feed).with_context(|| format!("write {}", path.display()))?;
        let _ = write!(
            sources,
            "[[sources]]\nname = \"soak-{i:04}\"\nurl = {:?}\nformat = \"json\"\n\n",
            path.display().to_string()
        );
    }
    let file = dir.join("sources.toml");
    std::fs::write(&file, sources).context("write sources.toml")?;
    Ok(file)
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

async fn sleep_until(at: Duration) {
    let now = unix_now();
    if at > now {
        tokio::time::sleep(at - now).await;
    }
}

fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
