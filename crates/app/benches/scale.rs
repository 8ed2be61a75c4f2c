//! The scale benchmark (`just bench-scale`, or `cargo bench -p propimport --bench scale`).
//!
//! A thousand partner feeds: N sources (default 1,000), each a 3-listing NDJSON feed served
//! over HTTP by the benchmark itself, every one on `* * * * *`, run by two replicas of the
//! release binary on one fresh PostgreSQL database with `IMPORT_MAX_CONCURRENT_RUNS` (default
//! 16), for M minutes (default 5) after a minute of warm-up. Every second it samples the runs
//! in progress (the database's RUNNING executions), each replica's resident memory, the
//! database connections in use and one `/status` (the default page, from each replica in
//! turn); at the end the dashboard's first render (headless Chromium, when installed).
//!
//! It reports and judges: every due tick of the window run exactly once; never more than the
//! limit at once; start lateness p99 ≤ 2 s beyond the wait the limit imposes (from the later
//! of the tick and the last end of another run before the start); `/status` p99 ≤ 50 ms;
//! the dashboard's first render ≤ 1 s; each replica's memory flat (its average over the last
//! minute within 10 % of the second minute's); and the connections used. Figures also in
//! `target/bench-scale.json`; `--strict` exits non-zero on a miss.
//!
//! | argument | variable | default |
//! | --- | --- | --- |
//! | `--sources=N` | `BENCH_SOURCES` | 1,000 |
//! | `--minutes=N` | `BENCH_MINUTES` | 5 |
//! | `--limit=N` | `BENCH_LIMIT` | 16 |
//! | `--quick` | `BENCH_QUICK=1` | 200 sources, 2 minutes |
//! | `--strict` | `BENCH_STRICT=1` | off |
//! | | `TEST_DATABASE_URL` | `postgres://postgres@127.0.0.1:5432/postgres` |

#[path = "scale/analysis.rs"]
mod analysis;
#[path = "scale/config.rs"]
mod config;
#[path = "scale/dashboard.rs"]
mod dashboard;
#[path = "scale/feeds.rs"]
mod feeds;
#[path = "shared/postgres.rs"]
mod postgres;
#[path = "shared/process.rs"]
mod process;
#[path = "scale/sampling.rs"]
mod sampling;
#[path = "soak/service.rs"]
mod service;
#[path = "shared/settings.rs"]
mod settings;
#[path = "shared/mod.rs"]
mod shared;

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use analysis::{Run, Spread};
use anyhow::Context as _;
use chrono::{DateTime, DurationRound as _, Utc};
use config::Config;

const DATABASE: &str = "propimport_bench_scale";
const LISTINGS_PER_FEED: usize = 3;
const TOKEN: &str = "bench-soak-token-0123456789abcdef";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let run = Config::read(&args).and_then(|config| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        runtime.block_on(scale(&config))
    });
    match run {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("scale benchmark failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn scale(config: &Config) -> anyhow::Result<bool> {
    let dir = tempfile::Builder::new()
        .prefix("propimport-bench-scale-")
        .tempdir()?;
    let server = feeds::FeedServer::start(feeds::feed_body(LISTINGS_PER_FEED)?).await?;
    let jobs: Vec<String> = (1..=config.sources)
        .map(|i| format!("partner-{i:04}"))
        .collect();
    let sources_file = dir.path().join("sources.toml");
    let mut text = String::new();
    for (i, job) in jobs.iter().enumerate() {
        let _ = write!(
            text,
            "[[sources]]\nname = \"{job}\"\nurl = \"{}/feed/{}.ndjson\"\nformat = \"json\"\n\n",
            server.base,
            i + 1
        );
    }
    std::fs::write(&sources_file, text)?;
    let admin = postgres::Admin::connect(&config.pg_url)
        .await
        .context("PostgreSQL is required (TEST_DATABASE_URL)")?;
    let database_url = admin.create_empty(DATABASE).await?;
    let env = [
        ("IMPORT_MAX_CONCURRENT_RUNS", config.limit.to_string()),
        ("IMAGE_ALLOWED_HOSTS", "127.0.0.1".to_owned()),
    ];
    let (dir_a, dir_b) = (dir.path().join("a"), dir.path().join("b"));
    let launch = |dir| service::Launch {
        dir,
        database_url: &database_url,
        sources_file: &sources_file,
        schedule: "* * * * *",
        workers: None,
        malloc_arena_max: None,
        binary: None,
        env: &env,
    };
    std::fs::create_dir_all(&dir_a)?;
    std::fs::create_dir_all(&dir_b)?;
    eprintln!(
        "scale benchmark: {} sources of {LISTINGS_PER_FEED} listings over HTTP, every minute, 2 replicas, IMPORT_MAX_CONCURRENT_RUNS={}, {} minutes after a minute of warm-up",
        config.sources, config.limit, config.minutes
    );
    let load_before = shared::load_average();
    let mut a = service::Service::start(&launch(dir_a.as_path())).await?;
    let mut b = service::Service::start(&launch(dir_b.as_path())).await?;
    let db = postgres::connect(&database_url).await?;
    // The window: whole minutes, after a minute of warm-up.
    let now = Utc::now();
    let first = now.duration_trunc(chrono::Duration::minutes(1))? + chrono::Duration::minutes(2);
    let end = first + chrono::Duration::minutes(i64::try_from(config.minutes)?);
    eprintln!(
        "replicas at {} and {}; window {first} to {end}",
        a.base, b.base
    );
    let (samples, status_ms) =
        sampling::sample_until(&mut a, &mut b, &db, &server, first, end).await?;
    // Let the window's last runs end.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let dashboard = dashboard::dashboard_render(&a.base);
    let warnings = a.warnings() + b.warnings();
    let warning_lines: Vec<String> = a
        .warning_lines(5)
        .into_iter()
        .chain(b.warning_lines(5))
        .collect();
    a.stop();
    b.stop();
    let rows = db
        .query(
            "SELECT job_name, extract(epoch FROM scheduled_for)::float8, \
                    extract(epoch FROM started_at)::float8, extract(epoch FROM completed_at)::float8 \
             FROM import_job_executions",
            &[],
        )
        .await?;
    let runs: Vec<Run> = rows
        .iter()
        .map(|r| Run {
            job: r.get(0),
            tick: r.get::<_, Option<f64>>(1).and_then(instant),
            started: instant(r.get(2)).unwrap_or_default(),
            completed: r.get::<_, Option<f64>>(3).and_then(instant),
        })
        .collect();
    let in_window: Vec<Run> = runs
        .iter()
        .filter(|r| r.tick.is_some_and(|t| t >= first && t < end))
        .cloned()
        .collect();
    let ticks: Vec<DateTime<Utc>> = (0..config.minutes)
        .map(|m| first + chrono::Duration::minutes(i64::try_from(m).unwrap_or(0)))
        .collect();
    let (missing, twice) = analysis::exactly_once(&in_window, &jobs, &ticks);
    let lateness = analysis::lateness(&in_window);
    let beyond = analysis::beyond_the_limit(&in_window);
    let status = Spread::of(status_ms);
    let most_running = samples.iter().map(|s| s.running).max().unwrap_or(0);
    let most_connections = samples.iter().map(|s| s.connections).max().unwrap_or(0);
    let minute = |m: u64, i: usize| -> f64 {
        let from = samples.first().map_or(0.0, |s| s.second) + m as f64 * 60.0;
        let picked: Vec<f64> = samples
            .iter()
            .filter(|s| s.second >= from && s.second < from + 60.0)
            .map(|s| s.rss_mb[i])
            .collect();
        picked.iter().sum::<f64>() / picked.len().max(1) as f64
    };
    let memory: Vec<(f64, f64, f64)> = (0..2)
        .map(|i| {
            let (second, last) = (minute(1, i), minute(config.minutes - 1, i));
            (second, last, (last - second) / second.max(1.0) * 100.0)
        })
        .collect();
    let verdicts = [
        (
            "every due tick run exactly once",
            missing == 0 && twice == 0,
            format!(
                "{missing} missing, {twice} run twice, of {}",
                ticks.len() * jobs.len()
            ),
        ),
        (
            "never more than the limit at once",
            most_running <= i64::try_from(config.limit)?,
            format!("at most {most_running} (limit {})", config.limit),
        ),
        (
            "start lateness p99 ≤ 2 s beyond the limit's wait",
            beyond.p99 <= 2.0,
            format!(
                "p99 {:.2} s (p50 {:.2} s, max {:.2} s); raw lateness p50 {:.1} s, p99 {:.1} s",
                beyond.p99, beyond.p50, beyond.max, lateness.p50, lateness.p99
            ),
        ),
        (
            "/status p99 ≤ 50 ms",
            status.p99 <= 50.0,
            format!(
                "p99 {:.1} ms (p50 {:.1} ms, max {:.1} ms, {} requests)",
                status.p99, status.p50, status.max, status.count
            ),
        ),
        (
            "dashboard first render ≤ 1 s",
            dashboard.as_ref().is_ok_and(|ms| *ms <= 1000.0),
            match &dashboard {
                Ok(ms) => format!("{ms:.0} ms"),
                Err(e) => format!("not measured: {e}"),
            },
        ),
        (
            "memory flat (last minute within 10 % of the second)",
            memory.iter().all(|m| m.2 <= 10.0),
            memory
                .iter()
                .map(|m| format!("{:.0} → {:.0} MB ({:+.1} %)", m.0, m.1, m.2))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    ];
    println!(
        "\nscale benchmark: {} sources, {} minutes, limit {}",
        config.sources, config.minutes, config.limit
    );
    println!(
        "runs in the window: {}; database connections: at most {most_connections}; warnings logged: {warnings}",
        in_window.len()
    );
    for line in &warning_lines {
        println!("  logged: {line}");
    }
    for (what, met, figure) in &verdicts {
        println!("  {} {what}: {figure}", if *met { "met " } else { "MISS" });
    }
    let load_after = shared::load_average();
    println!("load average before: {load_before}; after: {load_after}");
    let path = shared::report_path("bench-scale.json");
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let json = serde_json::json!({
        "config": config,
        "runs_in_window": in_window.len(),
        "missing": missing,
        "run_twice": twice,
        "lateness_s": lateness,
        "beyond_limit_s": beyond,
        "status_ms": status,
        "most_running": most_running,
        "most_connections": most_connections,
        "memory_mb": memory,
        "dashboard_first_render_ms": dashboard.as_ref().ok(),
        "verdicts": verdicts.iter().map(|(w, m, f)| serde_json::json!({"what": w, "met": m, "figure": f})).collect::<Vec<_>>(),
        "samples": samples,
        "load_average_before": load_before,
        "load_average_after": load_after,
    });
    std::fs::write(&path, serde_json::to_string_pretty(&json)?)?;
    println!("written to {}", path.display());
    drop(db);
    admin.drop(DATABASE).await?;
    Ok(!config.strict || verdicts.iter().all(|v| v.1))
}

/// The instant `epoch` seconds after 1970.
fn instant(epoch: f64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros((epoch * 1e6).round() as i64)
}
