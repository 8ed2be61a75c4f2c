//! The import benchmark (`just bench-import`, or `cargo bench -p propimport --bench import`).
//!
//! Generates feeds of N varied listings (propimport JSON and Kyero v3 XML) into a temporary
//! directory, serves them from a local HTTP server on 127.0.0.1, and imports them into a
//! fresh PostgreSQL database and a fresh SQLite file. Images are not downloaded (the
//! importer stores their URLs). Each import runs in a child process of its own, so its peak
//! resident memory is the importer's alone. Measured:
//!
//! - the first import of N listings (default 100,000) and the re-import of the same feed
//!   (every listing unchanged);
//! - the peak RSS of the first import at each size of `--rss-sizes` (default 100,000 and
//!   1,000,000), to check that memory stays flat whatever the feed's size;
//! - the physical reference: the same N rows `COPY`'d into the same `properties` table of a
//!   fresh PostgreSQL database, with their last-seen rows (`INSERT … SELECT`), at N and at the
//!   largest RSS size;
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
//! | `--formats=json,kyero` | `BENCH_FORMATS` | both |
//! | `--json-form=array` | `BENCH_JSON_FORM` | `array` (or `ndjson`) |
//! | `--timeout=SECONDS` | `BENCH_CHILD_TIMEOUT` | 900 per import |
//! | | `TEST_DATABASE_URL` | `postgres://postgres@127.0.0.1:5432/postgres` |
//! | | `BENCH_KEEP=1` | keep the feeds and databases for inspection |
//!
//! Without a reachable PostgreSQL the PostgreSQL cases are left out (with a warning), unless
//! `REQUIRE_POSTGRES=1`.

#[path = "import/child.rs"]
mod child;
#[path = "shared/cpu.rs"]
mod cpu;
#[path = "import/generate.rs"]
mod generate;
#[path = "import/postgres.rs"]
mod postgres;
#[path = "import/server.rs"]
mod server;
#[path = "shared/mod.rs"]
mod shared;
#[path = "import/verdicts.rs"]
mod verdicts;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use child::{ChildMode, ChildResult, ChildSpec};
use generate::JsonForm;
use propimport_persistence::{DatabaseUrl, migrate_url};
use serde::Serialize;
use verdicts::{table, verdicts};

/// The service's allocator (`src/main.rs`), so the importer is measured as it runs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == child::CHILD_FLAG) {
        let spec = args.get(at + 1).context("the child needs its spec")?;
        return child::child_main(spec);
    }
    let config = Config::read(&args)?;
    run(&config)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    Json,
    Kyero,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Kyero => "kyero",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Kyero => "xml",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct Config {
    quick: bool,
    /// Exit non-zero when a target is missed (`--strict`, `BENCH_STRICT=1`).
    strict: bool,
    listings: u64,
    rss_sizes: Vec<u64>,
    backends: Vec<Backend>,
    formats: Vec<Format>,
    #[serde(skip)]
    json_form: JsonForm,
    json_form_name: String,
    #[serde(skip)]
    pg_url: String,
    child_timeout_s: u64,
}

impl Config {
    fn read(args: &[String]) -> anyhow::Result<Self> {
        let setting = |flag: &str, var: &str| -> Option<String> {
            let prefix = format!("--{flag}=");
            args.iter()
                .rev()
                .find_map(|a| a.strip_prefix(&prefix).map(str::to_owned))
                .or_else(|| std::env::var(var).ok().filter(|v| !v.trim().is_empty()))
        };
        let strict = args.iter().any(|a| a == "--strict")
            || std::env::var("BENCH_STRICT").is_ok_and(|v| v == "1");
        let quick = args.iter().any(|a| a == "--quick")
            || std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
        let (listings, rss_sizes) = if quick {
            (10_000, vec![10_000, 50_000])
        } else {
            (100_000, vec![100_000, 1_000_000])
        };
        let listings = match setting("listings", "BENCH_LISTINGS") {
            Some(v) => shared::parse_count(&v)?,
            None => listings,
        };
        let rss_sizes = match setting("rss-sizes", "BENCH_RSS_SIZES") {
            Some(v) => v
                .split(',')
                .map(shared::parse_count)
                .collect::<anyhow::Result<_>>()?,
            None => rss_sizes,
        };
        let backends = match setting("backends", "BENCH_BACKENDS") {
            Some(v) => v
                .split(',')
                .map(|b| match b.trim() {
                    "postgres" | "pg" => Ok(Backend::Postgres),
                    "sqlite" => Ok(Backend::Sqlite),
                    other => bail!("unknown backend {other:?} (postgres, sqlite)"),
                })
                .collect::<anyhow::Result<_>>()?,
            None => vec![Backend::Postgres, Backend::Sqlite],
        };
        let formats = match setting("formats", "BENCH_FORMATS") {
            Some(v) => v
                .split(',')
                .map(|f| match f.trim() {
                    "json" => Ok(Format::Json),
                    "kyero" | "xml" => Ok(Format::Kyero),
                    other => bail!("unknown format {other:?} (json, kyero)"),
                })
                .collect::<anyhow::Result<_>>()?,
            None => vec![Format::Json, Format::Kyero],
        };
        let json_form_name = setting("json-form", "BENCH_JSON_FORM").unwrap_or("array".into());
        let json_form = match json_form_name.as_str() {
            "array" => JsonForm::Array,
            "ndjson" => JsonForm::Ndjson,
            other => bail!("unknown JSON form {other:?} (array, ndjson)"),
        };
        let child_timeout_s = match setting("timeout", "BENCH_CHILD_TIMEOUT") {
            Some(v) => v.trim().parse().context("timeout in seconds")?,
            None => 900,
        };
        let pg_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_PG_URL.to_owned());
        Ok(Self {
            quick,
            strict,
            listings,
            rss_sizes,
            backends,
            formats,
            json_form,
            json_form_name,
            pg_url,
            child_timeout_s,
        })
    }
}

/// One line of the results.
#[derive(Debug, Clone, Serialize)]
struct Row {
    case: &'static str,
    backend: &'static str,
    format: String,
    listings: u64,
    seconds: Option<f64>,
    listings_per_s: Option<f64>,
    peak_rss_mb: Option<f64>,
    cpu_seconds: Option<f64>,
    note: Option<String>,
    counts: Option<ChildResult>,
}

impl Row {
    fn measured(
        case: &'static str,
        backend: &'static str,
        format: Format,
        listings: u64,
        result: ChildResult,
        expect_inserted: bool,
    ) -> Self {
        let expected = if expect_inserted {
            result.inserted == listings as i64 && result.failed == 0
        } else {
            result.unchanged == listings as i64 && result.failed == 0
        };
        let note = (!expected).then(|| {
            format!(
                "unexpected counts: total {}, inserted {}, updated {}, unchanged {}, failed {}",
                result.total, result.inserted, result.updated, result.unchanged, result.failed
            )
        });
        Self {
            case,
            backend,
            format: format.name().to_owned(),
            listings,
            seconds: Some(result.seconds),
            listings_per_s: Some(listings as f64 / result.seconds),
            peak_rss_mb: Some(result.peak_rss_kib as f64 / 1024.0),
            cpu_seconds: Some(result.cpu_seconds),
            note,
            counts: Some(result),
        }
    }

    fn missing(
        case: &'static str,
        backend: &'static str,
        format: Format,
        listings: u64,
        note: String,
    ) -> Self {
        Self {
            case,
            backend,
            format: format.name().to_owned(),
            listings,
            seconds: None,
            listings_per_s: None,
            peak_rss_mb: None,
            cpu_seconds: None,
            note: Some(note),
            counts: None,
        }
    }
}

/// Where a database of one case lives.
enum CaseDb {
    Postgres { name: String, url: String },
    Sqlite { path: PathBuf },
}

impl CaseDb {
    fn url(&self) -> String {
        match self {
            Self::Postgres { url, .. } => url.clone(),
            Self::Sqlite { path } => format!("sqlite://{}", path.display()),
        }
    }
}

struct Bench<'a> {
    config: &'a Config,
    /// Keep the feeds and databases for inspection (`BENCH_KEEP=1`).
    keep: bool,
    dir: &'a Path,
    server: std::net::SocketAddr,
    runtime: tokio::runtime::Runtime,
    pg: Option<postgres::Admin>,
    sequence: u32,
    rows: Vec<Row>,
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
        Some(admin) => runtime.block_on(admin.settings())?,
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

impl Bench<'_> {
    fn backends(&self) -> Vec<Backend> {
        self.config
            .backends
            .iter()
            .copied()
            .filter(|b| *b != Backend::Postgres || self.pg.is_some())
            .collect()
    }

    /// Every case of one feed size.
    fn size(&mut self, size: u64) -> anyhow::Result<()> {
        let throughput = size == self.config.listings;
        let mut feeds = Vec::new();
        for &format in &self.config.formats {
            let name = format!("feed-{size}.{}", format.extension());
            let path = self.dir.join(&name);
            let started = Instant::now();
            let bytes = match format {
                Format::Json => generate::write_json(&path, size, self.config.json_form)?,
                Format::Kyero => generate::write_kyero(&path, size)?,
            };
            eprintln!(
                "generated {name}: {size} listings, {:.0} MB in {:.1} s",
                bytes as f64 / 1e6,
                started.elapsed().as_secs_f64()
            );
            feeds.push((format, name, path));
        }
        if throughput {
            for (format, _, path) in &feeds {
                self.read_case(*format, path, size)?;
            }
        }
        for backend in self.backends() {
            for (format, name, _) in &feeds {
                self.import_case(backend, *format, name, size, throughput)?;
            }
        }
        if !self.keep {
            for (_, _, path) in &feeds {
                let _ = std::fs::remove_file(path);
            }
        }
        // The physical reference at the throughput size and at the largest size (where the
        // first import of a million listings is compared with a COPY of as many rows).
        let largest = self.config.rss_sizes.iter().max() == Some(&size);
        if (throughput || largest) && self.pg.is_some() {
            self.copy_reference(size)?;
        }
        Ok(())
    }

    /// First import (and, at the throughput size, the re-import) of one feed into a fresh
    /// database.
    fn import_case(
        &mut self,
        backend: Backend,
        format: Format,
        feed: &str,
        size: u64,
        reimport: bool,
    ) -> anyhow::Result<()> {
        let db = self.create_db(backend)?;
        let spec = ChildSpec {
            mode: ChildMode::Import,
            feed_path: PathBuf::new(),
            database_url: db.url(),
            feed_url: format!("http://{}/{feed}", self.server),
            format: format.name().to_owned(),
            source: format!("bench-{}", format.name()),
        };
        let mut cases = vec![("first import", true)];
        if reimport {
            cases.push(("re-import", false));
        }
        for (case, first) in cases {
            let timeout = Duration::from_secs(self.config.child_timeout_s);
            let row = match child::run_in_child(&spec, timeout) {
                Ok(Some(result)) => {
                    Row::measured(case, backend.name(), format, size, result, first)
                }
                Ok(None) => Row::missing(
                    case,
                    backend.name(),
                    format,
                    size,
                    format!("not finished within {} s", timeout.as_secs()),
                ),
                Err(e) => {
                    Row::missing(case, backend.name(), format, size, format!("failed: {e:#}"))
                }
            };
            self.report(&row);
            let stop = row.seconds.is_none();
            self.rows.push(row);
            if stop {
                break;
            }
        }
        self.drop_db(db)
    }

    /// Reading, mapping and hashing alone, from the file: what the process can do without a
    /// database.
    fn read_case(&mut self, format: Format, path: &Path, size: u64) -> anyhow::Result<()> {
        let spec = ChildSpec {
            mode: ChildMode::Read,
            feed_path: path.to_owned(),
            database_url: String::new(),
            feed_url: String::new(),
            format: format.name().to_owned(),
            source: format!("bench-{}", format.name()),
        };
        let timeout = Duration::from_secs(self.config.child_timeout_s);
        let row = match child::run_in_child(&spec, timeout) {
            Ok(Some(result)) => Row::measured("read only", "-", format, size, result, true),
            Ok(None) => Row::missing(
                "read only",
                "-",
                format,
                size,
                format!("not finished within {} s", timeout.as_secs()),
            ),
            Err(e) => Row::missing("read only", "-", format, size, format!("failed: {e:#}")),
        };
        self.report(&row);
        self.rows.push(row);
        Ok(())
    }

    fn report(&self, row: &Row) {
        eprintln!(
            "{:>14} {:8} {:5} {:>8}: {}",
            row.case,
            row.backend,
            row.format,
            row.listings,
            match (row.seconds, row.listings_per_s, row.peak_rss_mb) {
                (Some(s), Some(r), Some(m)) =>
                    format!("{s:.2} s, {r:.0} listings/s, peak RSS {m:.1} MB"),
                (Some(s), Some(r), None) => format!("{s:.2} s, {r:.0} rows/s"),
                _ => row.note.clone().unwrap_or_default(),
            }
        );
    }

    fn create_db(&mut self, backend: Backend) -> anyhow::Result<CaseDb> {
        self.sequence += 1;
        match (backend, &self.pg) {
            (Backend::Postgres, Some(admin)) => {
                let name = format!("propimport_bench_{}_{}", std::process::id(), self.sequence);
                let url = self.runtime.block_on(admin.create(&name))?;
                Ok(CaseDb::Postgres { name, url })
            }
            (Backend::Postgres, None) => bail!("PostgreSQL is not available"),
            (Backend::Sqlite, _) => {
                let path = self.dir.join(format!("bench-{}.db", self.sequence));
                self.runtime
                    .block_on(migrate_url(&DatabaseUrl::Sqlite(path.clone())))?;
                Ok(CaseDb::Sqlite { path })
            }
        }
    }

    fn drop_db(&self, db: CaseDb) -> anyhow::Result<()> {
        if self.keep {
            eprintln!("kept database {}", db.url());
            return Ok(());
        }
        match db {
            CaseDb::Postgres { name, .. } => {
                if let Some(admin) = &self.pg {
                    self.runtime.block_on(admin.drop(&name))?;
                }
            }
            CaseDb::Sqlite { path } => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
        }
        Ok(())
    }

    /// `COPY` of the rows the JSON import stores into a fresh `properties` table.
    fn copy_reference(&mut self, size: u64) -> anyhow::Result<()> {
        let rows_file = self.dir.join(format!("copy-{size}.tsv"));
        let started = Instant::now();
        let bytes = postgres::write_copy_rows(&rows_file, size, "bench-json")?;
        eprintln!(
            "prepared {size} COPY rows, {:.0} MB in {:.1} s",
            bytes as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
        let db = self.create_db(Backend::Postgres)?;
        let copied = self
            .runtime
            .block_on(postgres::copy_rows(&db.url(), &rows_file));
        let _ = std::fs::remove_file(&rows_file);
        self.drop_db(db)?;
        let (rows, seconds) = copied?;
        let note = (rows != size).then(|| format!("unexpected counts: {rows} rows copied"));
        let row = Row {
            case: "COPY reference",
            backend: Backend::Postgres.name(),
            format: "rows".into(),
            listings: size,
            seconds: Some(seconds),
            listings_per_s: Some(size as f64 / seconds),
            peak_rss_mb: None,
            cpu_seconds: None,
            note,
            counts: None,
        };
        self.report(&row);
        self.rows.push(row);
        Ok(())
    }
}
