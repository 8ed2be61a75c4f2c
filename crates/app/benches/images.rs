//! The image download benchmark (`just bench-images`, or `cargo bench -p propimport --bench
//! images`).
//!
//! Local image hosts on ports of 127.0.0.1 answer every image after a fixed delay. A feed of
//! N listings × M images (default 200 × 10) is imported into a fresh SQLite file (the
//! embedded default) with downloads skipped, so every image is recorded as pending; then the
//! image stage alone is timed, storing into `memory://`. Cases:
//!
//! - **one host**: every image on one host answering after 100 ms;
//! - **two hosts, one slow**: the first tenth of the listings (first in key order) have their
//!   images on a host answering after 400 ms, the rest on one answering after 100 ms.
//!
//! The bound is the shortest time the limits allow: the larger of all the hosts' answer time
//! over the overall limit and each host's over its per-host limit. The ratio is bound over
//! measured (target ≥ 90 %); the table also shows CPU seconds and the most requests each host
//! answered at once. `--strict` exits non-zero on a miss. The table goes to stdout and, as
//! JSON, to `target/bench-images.json`.
//!
//! | argument | variable | default |
//! | --- | --- | --- |
//! | `--quick` | `BENCH_QUICK=1` | 40 listings |
//! | `--listings=N` | `BENCH_LISTINGS` | 200 |
//! | `--images-per-listing=M` | | 10 |
//! | `--concurrency=N` | | 16 (`IMAGE_CONCURRENCY`'s default) |
//! | `--per-host=N` | | 8 (`IMAGE_CONCURRENCY_PER_HOST`'s default) |
//! | `--strict` | `BENCH_STRICT=1` | off |

#[path = "shared/cpu.rs"]
mod cpu;
#[path = "images/server.rs"]
mod server;
#[path = "shared/mod.rs"]
mod shared;

use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use propimport_domain::testing::listing_conformance::listing;
use propimport_domain::{CancelToken, JobName, ListingImageStore, ListingStore, ProgressHandle};
use propimport_importer::{
    FeedFormat, ImageDownloads, ImageSettings, ImageStorage, Importer, Location, SourceConfig,
};
use propimport_persistence::{
    Database, DatabaseUrl, PoolOptions, SqlListingImageStore, SqlListingStore, migrate_url,
};
use serde::Serialize;

/// The share of the bound each case must reach.
const TARGET_RATIO: f64 = 0.9;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match Settings::read(&args).and_then(|settings| run(&settings)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("image benchmark failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// What the benchmark runs with.
#[derive(Debug, Clone, Serialize)]
struct Settings {
    listings: usize,
    images_per_listing: usize,
    concurrency: usize,
    per_host: usize,
    strict: bool,
}

impl Settings {
    fn read(args: &[String]) -> anyhow::Result<Self> {
        let value = |flag: &str| {
            args.iter()
                .find_map(|a| a.strip_prefix(&format!("--{flag}=")).map(str::to_owned))
        };
        let flag = |name: &str, var: &str| {
            args.iter().any(|a| a == &format!("--{name}"))
                || std::env::var(var).is_ok_and(|v| v == "1")
        };
        for arg in args {
            let known = ["--quick", "--strict", "--bench"].contains(&arg.as_str())
                || ["listings", "images-per-listing", "concurrency", "per-host"]
                    .iter()
                    .any(|f| arg.starts_with(&format!("--{f}=")));
            if !known {
                bail!("unknown argument {arg:?} (see the options in benches/images.rs)");
            }
        }
        let count = |text: Option<String>, default: usize, what: &str| -> anyhow::Result<usize> {
            match text {
                None => Ok(default),
                Some(t) => {
                    usize::try_from(shared::parse_count(&t).with_context(|| what.to_owned())?)
                        .with_context(|| format!("{what}: too large"))
                }
            }
        };
        let quick_listings = if flag("quick", "BENCH_QUICK") {
            40
        } else {
            200
        };
        let settings = Self {
            listings: count(
                value("listings").or_else(|| std::env::var("BENCH_LISTINGS").ok()),
                quick_listings,
                "--listings",
            )?,
            images_per_listing: count(value("images-per-listing"), 10, "--images-per-listing")?,
            concurrency: count(value("concurrency"), 16, "--concurrency")?,
            per_host: count(value("per-host"), 8, "--per-host")?,
            strict: flag("strict", "BENCH_STRICT"),
        };
        if settings.per_host > settings.concurrency {
            bail!("--per-host may not exceed --concurrency");
        }
        if settings.listings < 10 {
            bail!("--listings: at least 10 (a tenth of them go to the slow host)");
        }
        Ok(settings)
    }
}

/// One host of a case: its delay and how many listings (in key order) it serves.
struct HostPlan {
    delay: Duration,
    listings: usize,
}

/// One measured case.
#[derive(Debug, Serialize)]
struct Outcome {
    case: String,
    images: usize,
    stored: i64,
    failed: i64,
    seconds: f64,
    bound_seconds: f64,
    ratio: f64,
    cpu_seconds: f64,
    max_per_host: Vec<usize>,
    max_overall: usize,
    pass: bool,
}

fn run(settings: &Settings) -> anyhow::Result<bool> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let slow = settings.listings / 10;
    let cases = [
        (
            "one host, 100 ms",
            vec![HostPlan {
                delay: Duration::from_millis(100),
                listings: settings.listings,
            }],
        ),
        (
            "two hosts, one slow (400 ms, first in key order)",
            vec![
                HostPlan {
                    delay: Duration::from_millis(400),
                    listings: slow,
                },
                HostPlan {
                    delay: Duration::from_millis(100),
                    listings: settings.listings - slow,
                },
            ],
        ),
    ];
    let mut outcomes = Vec::new();
    for (name, hosts) in cases {
        eprintln!("{name} …");
        outcomes.push(runtime.block_on(measure(settings, name, &hosts))?);
    }
    let table = table(settings, &outcomes);
    println!("{table}");
    let path = shared::report_path("bench-images.json");
    let json = serde_json::json!({
        "settings": settings,
        "load_average": shared::load_average(),
        "cases": outcomes,
    });
    std::fs::write(&path, serde_json::to_string_pretty(&json)?)
        .with_context(|| format!("write {}", path.display()))?;
    eprintln!("written {}", path.display());
    let missed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.pass).collect();
    if settings.strict && !missed.is_empty() {
        for o in missed {
            eprintln!(
                "--strict: {}: {:.0} % of the bound (target {:.0} %)",
                o.case,
                o.ratio * 100.0,
                TARGET_RATIO * 100.0
            );
        }
        return Ok(false);
    }
    Ok(true)
}

/// Serves the case's images, imports its feed with downloads skipped, then times the image
/// stage.
async fn measure(settings: &Settings, name: &str, plans: &[HostPlan]) -> anyhow::Result<Outcome> {
    let all = Arc::new(server::Gauge::default());
    let mut hosts = Vec::new();
    for plan in plans {
        hosts.push(server::start(plan.delay, all.clone())?);
    }
    let dir = tempfile::tempdir()?;
    let feed = dir.path().join("feed.ndjson");
    let mut body = String::new();
    let mut index = 0;
    for (plan, host) in plans.iter().zip(&hosts) {
        for _ in 0..plan.listings {
            let id = format!("L{index:06}");
            index += 1;
            let mut l = listing(&id, 100_000);
            l.images = (0..settings.images_per_listing)
                .map(|i| {
                    propimport_domain::Image::new(format!("http://{}/{id}/{i}.jpg", host.addr))
                })
                .collect();
            body.push_str(&serde_json::to_string(&l)?);
            body.push('\n');
        }
    }
    std::fs::write(&feed, body)?;
    let url = DatabaseUrl::Sqlite(dir.path().join("bench.db"));
    migrate_url(&url).await?;
    let db = Database::connect(&url, PoolOptions::default()).await?;
    let listings: Arc<dyn ListingStore> = Arc::new(SqlListingStore::new(db.clone()));
    let records: Arc<dyn ListingImageStore> = Arc::new(SqlListingImageStore::new(db.clone()));
    let storage = ImageStorage::from_url("memory://")?;
    let source = SourceConfig::new(
        JobName::parse("image-bench")?,
        FeedFormat::JSON,
        Location::File(feed),
    );
    let image_settings = ImageSettings {
        concurrency: settings.concurrency,
        concurrency_per_host: settings.per_host,
        allowed_hosts: vec!["127.0.0.1".into()],
        ..ImageSettings::default()
    };
    let importer = |downloads: ImageDownloads| {
        Importer::builder(source.clone(), listings.clone())
            .images(records.clone(), storage.clone())
            .image_settings(image_settings.clone())
            .image_downloads(downloads)
            .build()
    };
    let recorded = importer(ImageDownloads::Skip)?
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await?;
    let images = settings.listings * settings.images_per_listing;
    if usize::try_from(recorded.inserted)? != settings.listings {
        bail!(
            "{name}: {} listings imported, expected {}",
            recorded.inserted,
            settings.listings
        );
    }
    let downloading = importer(ImageDownloads::Download)?;
    let cpu_before = cpu::cpu_seconds()?;
    let started = Instant::now();
    let report = downloading
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = cpu::cpu_seconds()? - cpu_before;
    db.close();
    if let Some(error) = report.errors.items.first() {
        eprintln!(
            "{name}: {} image(s) failed, first: {error:?}",
            report.images_failed
        );
    }
    let bound_seconds = bound(settings, plans);
    let ratio = bound_seconds / seconds;
    Ok(Outcome {
        case: name.to_owned(),
        images,
        stored: report.images_stored,
        failed: report.images_failed,
        seconds,
        bound_seconds,
        ratio,
        cpu_seconds,
        max_per_host: hosts.iter().map(|h| h.gauge.max()).collect(),
        max_overall: all.max(),
        pass: ratio >= TARGET_RATIO
            && usize::try_from(report.images_stored)? == images
            && hosts.iter().map(|h| h.gauge.total()).sum::<usize>() == images,
    })
}

/// The shortest time the limits allow: every answer's delay over the overall limit, or one
/// host's over the per-host limit, whichever is longer.
fn bound(settings: &Settings, plans: &[HostPlan]) -> f64 {
    let per_image = |plan: &HostPlan| {
        plan.delay.as_secs_f64() * (plan.listings * settings.images_per_listing) as f64
    };
    let overall = plans.iter().map(per_image).sum::<f64>() / settings.concurrency as f64;
    let per_host = settings.per_host.min(settings.concurrency) as f64;
    plans
        .iter()
        .map(|p| per_image(p) / per_host)
        .fold(overall, f64::max)
}

fn table(settings: &Settings, outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nimage downloads: {} listings × {} images, IMAGE_CONCURRENCY={} IMAGE_CONCURRENCY_PER_HOST={}, load {}\n",
        settings.listings,
        settings.images_per_listing,
        settings.concurrency,
        settings.per_host,
        shared::load_average()
    );
    let _ = writeln!(
        out,
        "| case | images stored | s | bound s | ratio | CPU s | most at once (per host; all) | verdict |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- | --- |");
    for o in outcomes {
        let per_host: Vec<String> = o.max_per_host.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "| {} | {}/{} ({} failed) | {:.1} | {:.1} | {:.0} % | {:.2} | {}; {} | {} |",
            o.case,
            o.stored,
            o.images,
            o.failed,
            o.seconds,
            o.bound_seconds,
            o.ratio * 100.0,
            o.cpu_seconds,
            per_host.join(", "),
            o.max_overall,
            if o.pass {
                "ok (≥ 90 %)"
            } else {
                "MISS (< 90 %)"
            }
        );
    }
    out
}
