//! The scale benchmark's settings: arguments and `BENCH_*` variables.

use anyhow::bail;
use serde::Serialize;

use crate::settings;

/// The benchmark's settings.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub sources: usize,
    pub minutes: u64,
    pub limit: u64,
    pub strict: bool,
    pub pg_url: String,
}

impl Config {
    pub fn read(args: &[String]) -> anyhow::Result<Self> {
        let s = settings::Settings::new(args);
        let quick = s.flag("quick", "BENCH_QUICK");
        let sources = s.count(
            "--sources",
            "BENCH_SOURCES",
            if quick { 200 } else { 1_000 },
        )?;
        let minutes = s.count("minutes", "BENCH_MINUTES", if quick { 2 } else { 5 })?;
        if minutes < 2 {
            bail!("--minutes: at least 2 (the second minute is memory's reference)");
        }
        Ok(Self {
            sources: usize::try_from(sources)?,
            minutes,
            limit: s.count("limit", "BENCH_LIMIT", 16)?,
            strict: s.flag("strict", "BENCH_STRICT"),
            pg_url: std::env::var("TEST_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
        })
    }
}
