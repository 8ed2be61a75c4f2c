//! The admin API benchmark (`just bench-api`, or `cargo bench -p propimport --bench api`).
//!
//! Creates a fresh PostgreSQL database, applies the migrations, seeds it with an execution
//! history (default 1,000,000 executions over two years for 20 jobs, see `api/seed.rs`),
//! analyses it, then starts the release `propimport` binary with `serve` on it (on a free
//! port of 127.0.0.1, a static admin token, 20 import jobs that never fire during the run) and
//! loads each endpoint in turn with `wrk` on loopback, two connections per core:
//!
//! - `/healthz`, the reference (no database, no authentication work);
//! - `/history?limit=50`, `/history?status=FAILED&jobName=…`, `/statistics?days=30`, `/last`
//!   and `/status` of `/api/v1/admin/import-jobs`.
//!
//! Each URL gets a warm-up, then a measured run; the table (p50, p99, requests/s) goes to
//! stdout and, as JSON with the settings and the verdicts, to `target/bench-api.json`.
//!
//! Targets: p99 ≤ 20 ms for every admin endpoint; `/last` and `/status` at least half the
//! requests per second of `/healthz`.
//!
//! Settings (arguments override variables):
//!
//! | argument | variable | default |
//! | --- | --- | --- |
//! | `--quick` | `BENCH_QUICK=1` | 100,000 executions, 3 s per URL |
//! | `--executions=N` | `BENCH_EXECUTIONS` | 1,000,000 |
//! | `--duration=SECONDS` | `BENCH_DURATION` | 10 |
//! | `--warmup=SECONDS` | `BENCH_WARMUP` | 2 |
//! | `--threads=N` | `BENCH_THREADS` | the number of cores |
//! | `--connections=N` | `BENCH_CONNECTIONS` | two per core |
//! | | `TEST_DATABASE_URL` | `postgres://postgres@127.0.0.1:5432/postgres` |
//! | | `BENCH_KEEP=1` | keep the database (`propimport_bench_api`) afterwards |
//! | | `BENCH_REUSE=1` | reuse a kept database of the same size instead of seeding |

#[path = "api/config.rs"]
mod config;
#[path = "api/load.rs"]
mod load;
#[path = "shared/postgres.rs"]
mod postgres;
#[path = "shared/process.rs"]
mod process;
#[path = "api/report.rs"]
mod report;
#[path = "api/seed.rs"]
mod seed;
#[path = "api/service.rs"]
mod service;
#[path = "shared/settings.rs"]
mod settings;
#[path = "shared/mod.rs"]
mod shared;

use std::time::Instant;

use anyhow::{Context as _, bail};
use config::Config;
use report::{Row, table, verdicts};

const DATABASE: &str = "propimport_bench_api";
const TOKEN: &str = "bench-api-token-0123456789abcdef";
const ADMIN: &str = "/api/v1/admin/import-jobs";

/// The p99 every admin endpoint must stay under, in milliseconds.
const P99_TARGET_MS: f64 = 20.0;
/// The share of `/healthz`'s requests per second that `/last` and `/status` must reach.
const THROUGHPUT_TARGET: f64 = 0.5;

/// The twenty jobs, one per partner feed.
const JOBS: [&str; 20] = [
    "kyero-costa-blanca",
    "kyero-costa-del-sol",
    "kyero-mallorca",
    "kyero-algarve",
    "resales-online",
    "idealista-partner",
    "fotocasa-feed",
    "own-feed-mk",
    "skopje-agency",
    "ohrid-homes",
    "bitola-realty",
    "thessaloniki-estates",
    "sofia-properties",
    "split-coastal",
    "dubrovnik-villas",
    "tenerife-sun",
    "alicante-homes",
    "murcia-golf",
    "valencia-city",
    "malaga-luxury",
];

/// The job of the filtered history case.
const FILTER_JOB: &str = "own-feed-mk";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = Config::read(&args)?;
    run(&config)
}

/// One loaded URL.
#[derive(Debug, Clone)]
struct Case {
    /// As the table names it.
    name: &'static str,
    /// Path and query.
    path: String,
    /// Whether the p99 target applies (every admin endpoint).
    admin: bool,
}

fn cases() -> Vec<Case> {
    let admin = |name: &'static str, rest: &str| Case {
        name,
        path: format!("{ADMIN}/{rest}"),
        admin: true,
    };
    vec![
        Case {
            name: "/healthz (reference)",
            path: "/healthz".to_owned(),
            admin: false,
        },
        admin("/history?limit=50", "history?limit=50"),
        admin(
            "/history?status=FAILED&jobName=…",
            &format!("history?status=FAILED&jobName={FILTER_JOB}"),
        ),
        admin("/statistics?days=30", "statistics?days=30"),
        admin("/last", "last"),
        admin("/status", "status"),
    ]
}

fn run(config: &Config) -> anyhow::Result<()> {
    let wrk = load::check()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let dir = tempfile::Builder::new()
        .prefix("propimport-bench-api-")
        .tempdir()
        .context("temporary directory")?;
    let jobs: Vec<String> = JOBS.iter().map(|j| (*j).to_owned()).collect();
    if !jobs.iter().any(|j| j == FILTER_JOB) {
        bail!("the filtered case's job {FILTER_JOB} is not one of the jobs");
    }
    let admin = runtime
        .block_on(postgres::Admin::connect(&config.pg_url))
        .context("PostgreSQL is required (TEST_DATABASE_URL)")?;
    let pg_settings = runtime.block_on(admin.settings(&[
        "server_version",
        "shared_buffers",
        "work_mem",
        "jit",
        "effective_cache_size",
        "random_page_cost",
        "max_parallel_workers_per_gather",
    ]))?;
    let (url, seeded, seed_seconds) = runtime.block_on(prepare(config, &admin, &jobs))?;
    eprintln!(
        "api benchmark: {} executions ({} SUCCESS, {} PARTIAL, {} FAILED) of {} jobs from {} to {}, {:.0} MB; {wrk}, -t{} -c{} -d{}s after a {}s warm-up",
        seeded.executions,
        seeded.success,
        seeded.partial,
        seeded.failed,
        seeded.jobs,
        seeded.oldest,
        seeded.newest,
        seeded.table_mb,
        config.load.threads,
        config.load.connections,
        config.load.seconds,
        config.load.warmup_seconds,
    );
    let mut service = runtime.block_on(service::Service::start(dir.path(), &url, TOKEN, &jobs))?;
    runtime
        .block_on(check_totals(&service.base, &url))
        .context("the history's aggregates disagree with the table")?;
    let load_before = shared::load_average();
    let mut rows = Vec::new();
    for case in cases() {
        let target = format!("{}{}", service.base, case.path);
        let body_bytes = runtime
            .block_on(probe(&target))
            .with_context(|| format!("{}: {}", case.name, service.log_text()))?;
        let measured = config.load.run(&target, Some(TOKEN))?;
        eprintln!(
            "  {:<36} p50 {:>8.2} ms  p99 {:>8.2} ms  {:>9.0} req/s",
            case.name, measured.p50_ms, measured.p99_ms, measured.requests_per_s
        );
        if measured.non_2xx > 0 || measured.socket_errors > 0 {
            eprintln!(
                "  {}: {} non-2xx responses and {} socket errors under load",
                case.name, measured.non_2xx, measured.socket_errors
            );
        }
        let row = Row {
            endpoint: case.name,
            url: case.path.clone(),
            measured,
            body_bytes,
        };
        rows.push((case, row));
    }
    let load_after = shared::load_average();
    let rss_mb = service.rss_mb();
    service.stop();
    let verdicts = verdicts(&rows);
    println!("{}", table(config, &seeded, &rows, &verdicts));
    println!("load average before: {load_before}; after: {load_after}");
    let shown: Vec<String> = pg_settings
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    println!("PostgreSQL: {}", shown.join(", "));
    let path = shared::report_path("bench-api.json");
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
        "wrk": wrk,
        "postgres": pg_settings.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
        "seeded": seeded,
        "seed_seconds": seed_seconds,
        "service_rss_mb": rss_mb,
        "results": rows.iter().map(|(_, r)| r).collect::<Vec<_>>(),
        "targets": verdicts,
    });
    std::fs::write(&path, serde_json::to_string_pretty(&json)?)
        .with_context(|| format!("write {}", path.display()))?;
    println!("written to {}", path.display());
    if !config.keep {
        runtime.block_on(admin.drop(DATABASE))?;
    } else {
        println!("database kept: {url}");
    }
    Ok(())
}

/// The seeded database: reused when asked and of the right size, else created and seeded.
async fn prepare(
    config: &Config,
    admin: &postgres::Admin,
    jobs: &[String],
) -> anyhow::Result<(String, seed::Seeded, Option<f64>)> {
    if config.reuse && admin.exists(DATABASE).await? {
        let url = admin.url_of(DATABASE);
        let applied = postgres::migrate(&url).await?;
        let client = postgres::connect(&url).await?;
        let seeded = seed::counted(&client).await?;
        if u64::try_from(seeded.executions).ok() == Some(config.executions) {
            if applied > 0 {
                client
                    .batch_execute("VACUUM ANALYZE")
                    .await
                    .context("analyse")?;
            }
            eprintln!("reusing {DATABASE} ({applied} migrations applied)");
            return Ok((url, seeded, None));
        }
        eprintln!(
            "{DATABASE} holds {} executions, not {}: seeding again",
            seeded.executions, config.executions
        );
    }
    let url = admin.create(DATABASE).await?;
    let started = Instant::now();
    let seeded = seed::seed(
        &url,
        &seed::Plan {
            executions: config.executions,
            jobs: jobs.to_vec(),
            days: config.days,
        },
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("seeded {} executions in {seconds:.1} s", seeded.executions);
    Ok((url, seeded, Some(seconds)))
}

/// Checks that `/history`'s total and sums over the whole history (and over one job's
/// failures) equal what the executions table gives: a fast answer must be a right one.
async fn check_totals(base: &str, url: &str) -> anyhow::Result<()> {
    let client = postgres::connect(url).await?;
    let job: String = client
        .query_one("SELECT min(job_name) FROM import_job_executions", &[])
        .await?
        .get(0);
    for (path, filter) in [
        (
            "/api/v1/admin/import-jobs/history?limit=1".to_owned(),
            "TRUE".to_owned(),
        ),
        (
            format!("/api/v1/admin/import-jobs/history?limit=1&status=FAILED&jobName={job}"),
            format!("status = 'FAILED' AND job_name = '{job}'"),
        ),
    ] {
        let row = client
            .query_one(
                &format!(
                    "SELECT count(*), COALESCE(sum(total_properties), 0)::bigint, \
                            COALESCE(sum(skipped_count), 0)::bigint \
                     FROM import_job_executions WHERE {filter}"
                ),
                &[],
            )
            .await?;
        let expected: (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        let body: serde_json::Value = reqwest::Client::new()
            .get(format!("{base}{path}"))
            .bearer_auth(TOKEN)
            .send()
            .await?
            .json()
            .await?;
        let data = &body["data"];
        let got = (
            data["pagination"]["total"].as_i64().unwrap_or(-1),
            data["statistics"]["totalPropertiesProcessed"]
                .as_i64()
                .unwrap_or(-1),
            data["statistics"]["totalSkipped"].as_i64().unwrap_or(-1),
        );
        if got != expected {
            bail!("{path}: total and sums {got:?}, the table gives {expected:?}");
        }
    }
    Ok(())
}

/// One authenticated GET: the answer must be 200 with a JSON body; returns its size.
async fn probe(url: &str) -> anyhow::Result<usize> {
    let resp = reqwest::Client::new()
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = resp.status();
    let body = resp.bytes().await?;
    if !status.is_success() {
        bail!(
            "GET {url} answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    serde_json::from_slice::<serde_json::Value>(&body)
        .with_context(|| format!("GET {url}: the body is not JSON"))?;
    Ok(body.len())
}
