//! The cases of one feed size: the rows of the results, the databases of each case, and the
//! child processes that read and import.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::bail;
use propimport_persistence::{DatabaseUrl, migrate_url};
use serde::Serialize;

use crate::child::{self, ChildMode, ChildResult, ChildSpec};
use crate::config::{Backend, Config, Format};
use crate::{generate, postgres};

/// The case of a Kyero feed imported again by a source of format `auto`.
pub const REIMPORT_AUTO: &str = "re-import, auto";

/// One line of the results.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub case: &'static str,
    pub backend: &'static str,
    pub format: String,
    pub listings: u64,
    pub seconds: Option<f64>,
    pub listings_per_s: Option<f64>,
    pub peak_rss_mb: Option<f64>,
    pub cpu_seconds: Option<f64>,
    pub note: Option<String>,
    pub counts: Option<ChildResult>,
}

impl Row {
    pub fn measured(
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

    pub fn missing(
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
pub enum CaseDb {
    Postgres { name: String, url: String },
    Sqlite { path: PathBuf },
}

impl CaseDb {
    pub fn url(&self) -> String {
        match self {
            Self::Postgres { url, .. } => url.clone(),
            Self::Sqlite { path } => format!("sqlite://{}", path.display()),
        }
    }
}

pub struct Bench<'a> {
    pub config: &'a Config,
    /// Keep the feeds and databases for inspection (`BENCH_KEEP=1`).
    pub keep: bool,
    pub dir: &'a Path,
    pub server: std::net::SocketAddr,
    pub runtime: tokio::runtime::Runtime,
    pub pg: Option<postgres::Admin>,
    pub sequence: u32,
    pub rows: Vec<Row>,
}

impl Bench<'_> {
    pub fn backends(&self) -> Vec<Backend> {
        self.config
            .backends
            .iter()
            .copied()
            .filter(|b| *b != Backend::Postgres || self.pg.is_some())
            .collect()
    }

    /// Every case of one feed size.
    pub fn size(&mut self, size: u64) -> anyhow::Result<()> {
        let throughput = size == self.config.listings;
        let mut feeds = Vec::new();
        for &format in &self.config.formats {
            if !throughput && !format.is_main() {
                continue;
            }
            let name = format!("feed-{size}.{}", format.extension());
            let path = self.dir.join(&name);
            let started = Instant::now();
            let bytes = match format {
                Format::Json => generate::write_json(&path, size, self.config.json_form)?,
                Format::Kyero => generate::write_kyero(&path, size)?,
                Format::Reaxml => generate::write_reaxml(&path, size)?,
                Format::Blm => generate::write_blm(&path, size)?,
                Format::Openimmo => generate::write_openimmo(&path, size)?,
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
                let reimport = throughput && format.is_main();
                self.import_case(backend, *format, name, size, reimport)?;
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
    pub fn import_case(
        &mut self,
        backend: Backend,
        format: Format,
        feed: &str,
        size: u64,
        reimport: bool,
    ) -> anyhow::Result<()> {
        self.fastest_of_repeats(|cases| cases.import_once(backend, format, feed, size, reimport))
    }

    /// One first import (and re-import) into a fresh database; its rows. A Kyero feed is then
    /// imported again as a source of format `auto` (the default) reads it: detected, and
    /// recognized by its keys as the named format's source is.
    fn import_once(
        &mut self,
        backend: Backend,
        format: Format,
        feed: &str,
        size: u64,
        reimport: bool,
    ) -> anyhow::Result<Vec<Row>> {
        let db = self.create_db(backend)?;
        let mut rows = Vec::new();
        let spec = ChildSpec {
            mode: ChildMode::Import,
            feed_path: PathBuf::new(),
            database_url: db.url(),
            feed_url: format!("http://{}/{feed}", self.server),
            format: format.name().to_owned(),
            source: format!("bench-{}", format.name()),
        };
        let mut cases = vec![("first import", true, format.name())];
        if reimport {
            cases.push(("re-import", false, format.name()));
            if format == Format::Kyero {
                cases.push((REIMPORT_AUTO, false, "auto"));
            }
        }
        for (case, first, read_as) in cases {
            let timeout = Duration::from_secs(self.config.child_timeout_s);
            let spec = ChildSpec {
                format: read_as.to_owned(),
                ..spec.clone()
            };
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
            rows.push(row);
            if stop {
                break;
            }
        }
        self.drop_db(db)?;
        Ok(rows)
    }

    /// Reading, mapping and hashing alone, from the file: what the process can do without a
    /// database.
    pub fn read_case(&mut self, format: Format, path: &Path, size: u64) -> anyhow::Result<()> {
        let spec = ChildSpec {
            mode: ChildMode::Read,
            feed_path: path.to_owned(),
            database_url: String::new(),
            feed_url: String::new(),
            format: format.name().to_owned(),
            source: format!("bench-{}", format.name()),
        };
        self.fastest_of_repeats(|cases| Ok(vec![cases.read_once(&spec, format, size)]))
    }

    /// One read of the feed; its row.
    fn read_once(&self, spec: &ChildSpec, format: Format, size: u64) -> Row {
        let timeout = Duration::from_secs(self.config.child_timeout_s);
        let row = match child::run_in_child(spec, timeout) {
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
        row
    }

    /// Runs `once` as many times as the configuration repeats cases (stopping at a run whose
    /// case failed) and keeps, case by case, the fastest rows.
    pub fn fastest_of_repeats(
        &mut self,
        mut once: impl FnMut(&mut Self) -> anyhow::Result<Vec<Row>>,
    ) -> anyhow::Result<()> {
        let mut best: Vec<Row> = Vec::new();
        for _ in 0..self.config.repeat {
            let rows = once(self)?;
            let failed = rows.iter().any(|r| r.seconds.is_none());
            best = if best.is_empty() {
                rows
            } else {
                fastest(best, rows)
            };
            if failed {
                break;
            }
        }
        if self.config.repeat > 1 {
            for row in &best {
                eprint!("  fastest of {}: ", self.config.repeat);
                self.report(row);
            }
        }
        self.rows.extend(best);
        Ok(())
    }

    pub fn report(&self, row: &Row) {
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

    pub fn create_db(&mut self, backend: Backend) -> anyhow::Result<CaseDb> {
        self.sequence += 1;
        match (backend, &self.pg) {
            (Backend::Postgres, Some(admin)) => {
                let name = format!("propimport_bench_{}_{}", std::process::id(), self.sequence);
                let url = self.runtime.block_on(admin.create(&name))?;
                // Each case starts with the server's earlier writes flushed: a checkpoint
                // falling inside one case and not another would decide their ratio.
                if let Err(e) = self.runtime.block_on(admin.checkpoint()) {
                    eprintln!("no checkpoint before the case: {e:#}");
                }
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

    pub fn drop_db(&self, db: CaseDb) -> anyhow::Result<()> {
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
}

/// Case by case, the faster of two runs' rows (a run that failed a case counts as slowest).
fn fastest(a: Vec<Row>, b: Vec<Row>) -> Vec<Row> {
    let mut b = b.into_iter();
    a.into_iter()
        .map(|x| match b.next() {
            Some(y) if y.seconds.unwrap_or(f64::MAX) < x.seconds.unwrap_or(f64::MAX) => y,
            _ => x,
        })
        .collect()
}
