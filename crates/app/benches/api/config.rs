//! The API benchmark's settings: arguments and `BENCH_*` variables.

use super::settings::Settings;
use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::JOBS;
use crate::load::Load;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub quick: bool,
    pub executions: u64,
    pub days: u32,
    pub jobs: usize,
    pub load: Load,
    #[serde(skip)]
    pub pg_url: String,
    pub keep: bool,
    pub reuse: bool,
}

impl Config {
    pub fn read(args: &[String]) -> anyhow::Result<Self> {
        let settings = Settings::new(args);
        let quick = settings.flag("quick", "BENCH_QUICK");
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let executions = settings.count(
            "executions",
            "BENCH_EXECUTIONS",
            if quick { 100_000 } else { 1_000_000 },
        )?;
        let days = 730;
        // Two runs of one job must not share a minute tick.
        let spacing_s = f64::from(days) * 86_400.0 / (executions as f64 / JOBS.len() as f64);
        if spacing_s < 120.0 {
            bail!(
                "{executions} executions over {days} days is more than one run per job every two minutes"
            );
        }
        Ok(Self {
            quick,
            executions,
            days,
            jobs: JOBS.len(),
            load: Load {
                threads: usize::try_from(settings.count(
                    "threads",
                    "BENCH_THREADS",
                    cores as u64,
                )?)?,
                connections: usize::try_from(settings.count(
                    "connections",
                    "BENCH_CONNECTIONS",
                    2 * cores as u64,
                )?)?,
                seconds: settings.count(
                    "duration",
                    "BENCH_DURATION",
                    if quick { 3 } else { 10 },
                )?,
                warmup_seconds: match settings.value("warmup", "BENCH_WARMUP") {
                    Some(v) => v.trim().parse().context("--warmup / BENCH_WARMUP")?,
                    None => 2,
                },
            },
            pg_url: std::env::var("TEST_DATABASE_URL")
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| DEFAULT_PG_URL.to_owned()),
            keep: settings.flag("keep", "BENCH_KEEP"),
            reuse: settings.flag("reuse", "BENCH_REUSE"),
        })
    }
}
