//! The import benchmark (`just bench-import`, or `cargo bench -p propimport --bench import`).
//!
//! Generates feeds of N varied listings (propimport JSON, Kyero v3 XML and the other formats)
//! into a temporary directory, serves them from a local HTTP server on 127.0.0.1, and imports
//! them into a fresh PostgreSQL database and a fresh SQLite file. Images are not downloaded
//! (the importer stores their URLs). Each import runs in a child process of its own, so its
//! peak resident memory is the importer's alone. Measured:
//!
//! - the first import of N listings (default 100,000) and the re-import of the same feed
//!   (every listing unchanged); a Kyero feed is imported again by a source of format `auto`
//!   too (`re-import, auto`), as a source that names no format reads it;
//! - the peak RSS of the first import at each size of `--rss-sizes` (default 100,000 and
//!   1,000,000), to check that memory stays flat whatever the feed's size;
//! - the physical reference: the same N rows `COPY`'d into the same `properties` table of a
//!   fresh PostgreSQL database, with their last-seen rows (`INSERT … SELECT`), at N and at the
//!   largest RSS size;
//! - every PostgreSQL case starts in a fresh database after a `CHECKPOINT`, so no case pays
//!   for the writes of the one before it;
//! - a verdict for every target (see `import/verdicts.rs`), a miss when a case could not run.
//!
//! The table goes to stdout and, as JSON, to `target/bench-import.json`.
//!
//! Settings (arguments override variables):
//!
//! | argument | variable | default |
//! | --- | --- | --- |
//! | `--quick` | `BENCH_QUICK=1` | N = 10,000, RSS sizes 10,000 and 50,000 |
//! | `--strict` | `BENCH_STRICT=1` | exit non-zero when a target is missed |
//! | `--listings=N` | `BENCH_LISTINGS` | 100,000 |
//! | `--rss-sizes=A,B` | `BENCH_RSS_SIZES` | 100000,1000000 |
//! | `--backends=postgres,sqlite` | `BENCH_BACKENDS` | both |
//! | `--formats=json,kyero,reaxml` | `BENCH_FORMATS` | all; formats other than JSON and Kyero are read and imported once at N |
//! | `--json-form=array` | `BENCH_JSON_FORM` | `array` (or `ndjson`) |
//! | `--timeout=SECONDS` | `BENCH_CHILD_TIMEOUT` | 900 per import |
//! | `--repeat=N` | `BENCH_REPEAT` | 1; each case runs N times on a fresh database and the fastest counts |
//! | | `TEST_DATABASE_URL` | `postgres://postgres@127.0.0.1:5432/postgres` |
//! | | `BENCH_KEEP=1` | keep the feeds and databases for inspection |
//!
//! Without a reachable PostgreSQL the PostgreSQL cases are left out (with a warning), unless
//! `REQUIRE_POSTGRES=1`.

#[path = "import/cases.rs"]
mod cases;
#[path = "import/child.rs"]
mod child;
#[path = "import/config.rs"]
mod config;
#[path = "import/copy_case.rs"]
mod copy_case;
#[path = "shared/cpu.rs"]
mod cpu;
#[path = "import/generate.rs"]
mod generate;
#[path = "shared/postgres.rs"]
mod postgres;
#[path = "import/reference.rs"]
mod reference;
#[path = "import/server.rs"]
mod server;
#[path = "shared/settings.rs"]
mod settings;
#[path = "shared/mod.rs"]
mod shared;
#[path = "import/verdicts.rs"]
mod verdicts;

use std::collections::BTreeSet;

use anyhow::{Context as _, bail};
use cases::{Bench, Row};
use config::{Backend, Config, Format};
use verdicts::{table, verdicts};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == child::CHILD_FLAG) {
        let spec = args.get(at + 1).context("the child needs its spec")?;
        return child::child_main(spec);
    }
    let config = Config::read(&args)?;
    run(&config)
}

fn run(config: &Config) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("propimport-bench-")
        .tempdir()
        .context("temporary directory")?;
    let keep = std::env::var("BENCH_KEEP").is_ok_and(|v| v == "1");
    let server = server::start(dir.path().to_owned()).context("start the feed server")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let pg = if config.backends.contains(&Backend::Postgres) {
        match runtime.block_on(postgres::Admin::connect(&config.pg_url)) {
            Ok(admin) => Some(admin),
            Err(e) if std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
                return Err(e.context("PostgreSQL is required (REQUIRE_POSTGRES=1)"));
            }
            Err(e) => {
                eprintln!("warning: PostgreSQL cases left out: {e:#}");
                None
            }
        }
    } else {
        None
    };
    let pg_settings: Vec<(String, String)> = match &pg {
        Some(admin) => runtime.block_on(admin.settings(&[
            "server_version",
            "shared_buffers",
            "synchronous_commit",
            "fsync",
            "full_page_writes",
            "wal_compression",
            "max_wal_size",
            "default_toast_compression",
            "wal_buffers",
        ]))?,
        None => Vec::new(),
    };
    let load_before = shared::load_average();
    eprintln!(
        "import benchmark: N = {}, RSS sizes {:?}, backends {:?}, formats {:?}, JSON as {}; feeds in {}, served at http://{server}",
        config.listings,
        config.rss_sizes,
        config.backends,
        config.formats,
        config.json_form_name,
        dir.path().display()
    );
    let mut bench = Bench {
        config,
        keep,
        dir: dir.path(),
        server,
        runtime,
        pg,
        sequence: 0,
        rows: Vec::new(),
    };
    let sizes: BTreeSet<u64> = config
        .rss_sizes
        .iter()
        .copied()
        .chain([config.listings])
        .collect();
    for size in sizes {
        bench.size(size)?;
    }
    let load_after = shared::load_average();
    let verdicts = verdicts(config, &bench.rows);
    let table = table(&bench.rows, &verdicts);
    println!("{table}");
    println!("load average before: {load_before}; after: {load_after}");
    if !pg_settings.is_empty() {
        let shown: Vec<String> = pg_settings
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!("PostgreSQL: {}", shown.join(", "));
    }
    let path = shared::report_path("bench-import.json");
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
        "postgres": pg_settings.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
        "results": bench.rows,
        "targets": verdicts,
    });
    std::fs::write(&path, serde_json::to_string_pretty(&json)?)
        .with_context(|| format!("write {}", path.display()))?;
    println!("written to {}", path.display());
    if bench.rows.iter().any(|r| {
        r.note
            .as_deref()
            .is_some_and(|n| n.starts_with("unexpected") || n.starts_with("failed"))
    }) {
        bail!("some imports did not do what they should (see the notes)");
    }
    if keep {
        eprintln!("kept {}", dir.keep().display());
    }
    let missed = verdicts.iter().filter(|v| !v.met).count();
    if config.strict && missed > 0 {
        bail!("{missed} target(s) missed (--strict)");
    }
    Ok(())
}
