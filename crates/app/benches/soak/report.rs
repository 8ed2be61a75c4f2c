//! What the soak benchmark reports: each burst's memory, the verdict, and the table.

use std::fmt::Write as _;

use serde::Serialize;

use crate::config::Config;
use crate::{FLAT_WITHIN, LISTINGS_PER_FEED};

/// What one burst left.
#[derive(Debug, Clone, Serialize)]
pub struct Burst {
    /// 1-based.
    pub burst: usize,
    /// The tick, UTC.
    pub tick: String,
    /// Finished runs so far (every burst).
    pub runs_finished: i64,
    /// FAILED runs so far.
    pub runs_failed: i64,
    /// Runs still RUNNING just before the next tick (a burst longer than the interval).
    pub running_at_end: i64,
    /// The highest RSS during the burst, MB.
    pub peak_rss_mb: f64,
    /// The RSS just before the next tick, MB.
    pub rss_mb: f64,
    /// The service's threads just before the next tick.
    pub threads: u64,
}

/// The verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The RSS after the last warm-up burst, MB.
    pub warm_rss_mb: f64,
    /// The highest RSS after a later burst, MB.
    pub max_later_rss_mb: f64,
    /// How far that is above the warm RSS, in percent.
    pub growth_percent: f64,
    /// The RSS after the last burst less the warm RSS, per run finished since, bytes.
    pub bytes_per_run_after_warmup: f64,
    pub flat: bool,
}

pub fn verdict(config: &Config, bursts: &[Burst]) -> Verdict {
    let warm = &bursts[config.warmup - 1];
    let later = &bursts[config.warmup..];
    let max_later = later.iter().map(|b| b.rss_mb).fold(warm.rss_mb, f64::max);
    let growth = (max_later - warm.rss_mb) / warm.rss_mb.max(f64::MIN_POSITIVE);
    let last = bursts.last().unwrap_or(warm);
    let runs = (last.runs_finished - warm.runs_finished).max(1) as f64;
    Verdict {
        warm_rss_mb: warm.rss_mb,
        max_later_rss_mb: max_later,
        growth_percent: growth * 100.0,
        bytes_per_run_after_warmup: (last.rss_mb - warm.rss_mb) * 1024.0 * 1024.0 / runs,
        flat: growth <= FLAT_WITHIN,
    }
}

pub fn table(config: &Config, started_rss: f64, bursts: &[Burst], verdict: &Verdict) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nsoak: {} sources × {LISTINGS_PER_FEED} listings every {} s, RSS at start-up {started_rss:.1} MB\n",
        config.sources, config.every_seconds
    );
    let _ = writeln!(
        out,
        "| burst | tick (UTC) | runs finished | failed | running at end | peak RSS MB | RSS after MB | threads |"
    );
    let _ = writeln!(
        out,
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for b in bursts {
        let warm = if b.burst == config.warmup {
            " (warm)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "| {}{warm} | {} | {} | {} | {} | {:.1} | {:.1} | {} |",
            b.burst,
            b.tick,
            b.runs_finished,
            b.runs_failed,
            b.running_at_end,
            b.peak_rss_mb,
            b.rss_mb,
            b.threads
        );
    }
    let _ = writeln!(
        out,
        "\nwarm RSS {:.1} MB, highest after {:.1} MB ({:+.1} %), {:+.0} bytes per run after the warm-up",
        verdict.warm_rss_mb,
        verdict.max_later_rss_mb,
        verdict.growth_percent,
        verdict.bytes_per_run_after_warmup
    );
    let _ = write!(
        out,
        "flat within {:.0} % once warm: {}",
        FLAT_WITHIN * 100.0,
        if verdict.flat { "yes" } else { "no" }
    );
    out
}
