//! The soak benchmark's settings: arguments and `BENCH_*` variables.

use super::settings::Settings;
use anyhow::{Context as _, bail};
use serde::Serialize;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub quick: bool,
    pub sources: usize,
    pub every_seconds: u64,
    pub bursts: usize,
    pub warmup: usize,
    pub workers: Option<usize>,
    pub malloc_arena_max: Option<usize>,
    pub strict: bool,
    pub keep: bool,
    pub binary: Option<std::path::PathBuf>,
    #[serde(skip)]
    pub pg_url: String,
}

impl Config {
    pub fn read(args: &[String]) -> anyhow::Result<Self> {
        let settings = Settings::new(args);
        let quick = settings.flag("quick", "BENCH_QUICK");
        let every_seconds = settings.count("every", "BENCH_EVERY", if quick { 15 } else { 30 })?;
        if every_seconds < 5 || 60 % every_seconds != 0 {
            bail!("--every / BENCH_EVERY must divide 60 and be at least 5, not {every_seconds}");
        }
        let bursts = usize::try_from(settings.count(
            "bursts",
            "BENCH_BURSTS",
            if quick { 8 } else { 12 },
        )?)?;
        let warmup = match settings.value("warmup", "BENCH_WARMUP") {
            Some(v) => v.trim().parse().context("--warmup / BENCH_WARMUP")?,
            None => 3,
        };
        if warmup < 1 || warmup >= bursts {
            bail!(
                "the warm-up ({warmup} bursts) must be at least one burst and leave some of the {bursts}"
            );
        }
        let workers = match settings.value("workers", "BENCH_WORKERS") {
            Some(v) => Some(
                v.trim()
                    .parse::<usize>()
                    .context("--workers / BENCH_WORKERS")?,
            ),
            None => Some(8),
        }
        .filter(|&n| n > 0);
        let malloc_arena_max = settings
            .value("malloc-arena-max", "BENCH_MALLOC_ARENA_MAX")
            .map(|v| v.trim().parse::<usize>())
            .transpose()
            .context("--malloc-arena-max / BENCH_MALLOC_ARENA_MAX")?;
        Ok(Self {
            quick,
            sources: usize::try_from(settings.count(
                "sources",
                "BENCH_SOURCES",
                if quick { 300 } else { 1_000 },
            )?)?,
            every_seconds,
            bursts,
            warmup,
            workers,
            malloc_arena_max,
            strict: settings.flag("strict", "BENCH_STRICT"),
            keep: settings.flag("keep", "BENCH_KEEP"),
            binary: settings
                .value("binary", "BENCH_BINARY")
                .map(std::path::PathBuf::from),
            pg_url: std::env::var("TEST_DATABASE_URL")
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| DEFAULT_PG_URL.to_owned()),
        })
    }

    /// The six-field schedule of every source.
    pub fn schedule(&self) -> String {
        format!("*/{} * * * * *", self.every_seconds)
    }
}
