//! What the scale benchmark concludes from the runs recorded and the samples taken: every due
//! tick run exactly once, the start lateness beyond the wait the limit imposes, and
//! percentiles.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One recorded run.
#[derive(Debug, Clone)]
pub struct Run {
    /// Its job.
    pub job: String,
    /// The tick it ran for.
    pub tick: Option<DateTime<Utc>>,
    /// When it started.
    pub started: DateTime<Utc>,
    /// When it ended.
    pub completed: Option<DateTime<Utc>>,
}

/// The 50th, 99th percentiles and the largest of some values.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Spread {
    /// How many values.
    pub count: usize,
    /// The median.
    pub p50: f64,
    /// The 99th percentile.
    pub p99: f64,
    /// The largest.
    pub max: f64,
}

impl Spread {
    /// Of `values` (any order).
    pub fn of(mut values: Vec<f64>) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        values.sort_by(f64::total_cmp);
        let at = |p: f64| {
            let i = ((values.len() as f64 - 1.0) * p).round() as usize;
            values[i.min(values.len() - 1)]
        };
        Self {
            count: values.len(),
            p50: at(0.50),
            p99: at(0.99),
            max: values[values.len() - 1],
        }
    }
}

/// Ticks of `ticks` that a job of `jobs` ran other than exactly once: (missing, run twice).
pub fn exactly_once(runs: &[Run], jobs: &[String], ticks: &[DateTime<Utc>]) -> (usize, usize) {
    let mut per: HashMap<(&str, DateTime<Utc>), usize> = HashMap::new();
    for run in runs {
        if let Some(tick) = run.tick {
            *per.entry((run.job.as_str(), tick)).or_default() += 1;
        }
    }
    let (mut missing, mut twice) = (0, 0);
    for tick in ticks {
        for job in jobs {
            match per.get(&(job.as_str(), *tick)).copied().unwrap_or(0) {
                0 => missing += 1,
                1 => {}
                _ => twice += 1,
            }
        }
    }
    (missing, twice)
}

/// Each run's start lateness (start − tick), seconds.
pub fn lateness(runs: &[Run]) -> Spread {
    Spread::of(
        runs.iter()
            .filter_map(|r| Some(secs(r.started - r.tick?)))
            .collect(),
    )
}

/// Each run's start lateness beyond the wait the limit imposes, seconds: from the later of
/// its tick and the last end of another run before it started (when a turn last came free)
/// to its start. A run that found a free turn at its tick is measured from its tick.
pub fn beyond_the_limit(runs: &[Run]) -> Spread {
    let mut ends: Vec<DateTime<Utc>> = runs.iter().filter_map(|r| r.completed).collect();
    ends.sort();
    Spread::of(
        runs.iter()
            .filter_map(|r| {
                let tick = r.tick?;
                let i = ends.partition_point(|e| *e <= r.started);
                let freed = i.checked_sub(1).map(|i| ends[i]);
                let from = freed.map_or(tick, |f| f.max(tick));
                Some(secs(r.started - from))
            })
            .collect(),
    )
}

fn secs(d: chrono::Duration) -> f64 {
    d.num_microseconds().map_or(0.0, |us| us as f64 / 1e6)
}
