//! The per-job gauges of `/metrics`, read from the scheduler's overview and the execution
//! store each time it is scraped (so every configured job has its series from the first
//! scrape and every replica reports the same values, the database's), and written here as
//! Prometheus text rather than kept in the recorder.
//!
//! A scrape costs two reads whatever the number of jobs: the scheduler's overview (running,
//! late, paused, next run, period) and the store's `job_outcomes` (failures in a row, last
//! success: one statement per 500 jobs). The text is rendered again only when a value
//! changed.
//!
//! The size stays bounded: the first [`JobSeries`] configured jobs have series of their own;
//! the others are summed up in one series labelled `job_name="(other)"` ([`OTHER_JOBS`]),
//! whose values are the worst of them, so every alert rule still fires for them: running and
//! late when any is, paused only when all are, the most failures in a row, the earliest next
//! run, and the last success and period of the one most overdue (its time since its last
//! success the largest share of its period).

use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::{ExecutionStore, JobName, JobOutcome};

use crate::{JobControl, JobFlags};

/// 1 while a run of the job is in progress on any instance, else 0.
pub const RUNNING: &str = "propimport_job_running";
/// When the job last ended SUCCESS or PARTIAL (Unix seconds); 0 when it never has.
pub const LAST_SUCCESS: &str = "propimport_job_last_success_timestamp_seconds";
/// The failed runs (ticks) since the job's last SUCCESS or PARTIAL.
pub const CONSECUTIVE_FAILURES: &str = "propimport_consecutive_failures";
/// 1 while the job is late (a tick older than the lateness grace has no run), else 0.
pub const LATE: &str = "propimport_job_late";
/// 1 while the job is paused, else 0.
pub const PAUSED: &str = "propimport_job_paused";
/// The job's next scheduled run (Unix seconds); absent for an unscheduled job.
pub const NEXT_RUN: &str = "propimport_job_next_run_timestamp_seconds";
/// The longest time between two of the job's scheduled runs over the coming week.
pub const PERIOD: &str = "propimport_job_period_seconds";
/// The `job_name` of the series that sum up the jobs beyond the per-job limit (not a valid job
/// name, so it never names a job).
pub const OTHER_JOBS: &str = "(other)";

/// How many jobs have per-job series of their own (`METRICS_JOB_SERIES`): the first ones in
/// configuration order; the rest are summed up as [`OTHER_JOBS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSeries(pub usize);

impl JobSeries {
    /// The default: 100 jobs (about 30 series each, counters and histograms included).
    pub const DEFAULT: Self = Self(100);

    /// The `job_name` label of `job`, the `position`th configured job (from 0).
    pub fn label(self, job: &JobName, position: usize) -> String {
        if position < self.0 {
            job.to_string()
        } else {
            OTHER_JOBS.to_owned()
        }
    }
}

impl Default for JobSeries {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The gauges of one series (a job, or the jobs beyond the limit).
#[derive(Debug, Clone, PartialEq)]
struct Gauges {
    job_name: String,
    running: bool,
    late: bool,
    paused: bool,
    consecutive_failures: i32,
    last_success: Option<DateTime<Utc>>,
    next_run: Option<DateTime<Utc>>,
    period: Option<Duration>,
}

impl Gauges {
    fn of(flags: &JobFlags, outcome: Option<&JobOutcome>) -> Self {
        Self {
            job_name: flags.job_name.to_string(),
            running: flags.running,
            late: flags.late,
            paused: flags.paused,
            consecutive_failures: outcome.map_or(0, |o| o.consecutive_failures),
            last_success: outcome.and_then(|o| o.last_success_at),
            next_run: flags.next_run,
            period: flags.period,
        }
    }

    /// The worst of `jobs` (not empty) as one series.
    fn folded(jobs: &[Self], now: DateTime<Utc>) -> Self {
        let overdue = |g: &&Self| -> Option<f64> {
            let (since, period) = (now - g.last_success?, g.period?);
            (!g.paused && !period.is_zero()).then(|| since.as_seconds_f64() / period.as_secs_f64())
        };
        let most_overdue = jobs
            .iter()
            .filter_map(|g| overdue(&g).map(|share| (g, share)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(g, _)| g);
        Self {
            job_name: OTHER_JOBS.to_owned(),
            running: jobs.iter().any(|g| g.running),
            late: jobs.iter().any(|g| g.late),
            paused: jobs.iter().all(|g| g.paused),
            consecutive_failures: jobs
                .iter()
                .map(|g| g.consecutive_failures)
                .max()
                .unwrap_or(0),
            last_success: most_overdue.and_then(|g| g.last_success),
            next_run: jobs.iter().filter_map(|g| g.next_run).min(),
            period: most_overdue.and_then(|g| g.period),
        }
    }
}

/// What `/metrics` keeps between scrapes: the gauges last read and their text.
#[derive(Default)]
pub(crate) struct JobMetrics {
    last: Mutex<(Vec<Gauges>, String)>,
}

impl JobMetrics {
    /// The per-job gauges as Prometheus text, read afresh within the readiness timeout
    /// (`within`); when that fails, the text of the last scrape (logged at DEBUG: `/readyz` is
    /// where an unreachable database shows).
    pub(crate) async fn render_from(
        &self,
        control: &dyn JobControl,
        store: &dyn ExecutionStore,
        series: JobSeries,
        within: Duration,
    ) -> String {
        let work = async {
            let flags = control.overview().await?;
            let names: Vec<JobName> = flags.iter().map(|f| f.job_name.clone()).collect();
            let outcomes = store.job_outcomes(&names).await?;
            Ok::<_, propimport_domain::Error>(gauges(&flags, &outcomes, series, Utc::now()))
        };
        let fresh = match actix_web::rt::time::timeout(within, work).await {
            Ok(Ok(gauges)) => Some(gauges),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "job gauges not read; /metrics shows their last values");
                None
            }
            Err(_) => {
                tracing::debug!(
                    "job gauges not read within the readiness timeout; /metrics shows their last values"
                );
                None
            }
        };
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(gauges) = fresh
            && gauges != last.0
        {
            let text = render(&gauges);
            *last = (gauges, text);
        }
        last.1.clone()
    }
}

/// The series of `flags`' jobs: the first `series` jobs each, the rest folded into one.
fn gauges(
    flags: &[JobFlags],
    outcomes: &[JobOutcome],
    series: JobSeries,
    now: DateTime<Utc>,
) -> Vec<Gauges> {
    let outcomes: std::collections::HashMap<&JobName, &JobOutcome> =
        outcomes.iter().map(|o| (&o.job_name, o)).collect();
    let all: Vec<Gauges> = flags
        .iter()
        .map(|f| Gauges::of(f, outcomes.get(&f.job_name).copied()))
        .collect();
    let own = series.0.min(all.len());
    let (mut out, rest) = (all[..own].to_vec(), &all[own..]);
    if !rest.is_empty() {
        out.push(Gauges::folded(rest, now));
    }
    out
}

/// Every gauge of `series` in the text exposition format, each metric with its `# HELP` and
/// `# TYPE` lines.
fn render(series: &[Gauges]) -> String {
    type Value = fn(&Gauges) -> Option<f64>;
    let metrics: [(&str, &str, Value); 7] = [
        (
            RUNNING,
            "1 while a run of the job is in progress on any instance, else 0.",
            |g| Some(flag(g.running)),
        ),
        (
            LAST_SUCCESS,
            "When the job's last SUCCESS or PARTIAL run ended, in Unix seconds; 0 if it never had one.",
            |g| Some(g.last_success.map_or(0.0, unix_seconds)),
        ),
        (
            CONSECUTIVE_FAILURES,
            "Failed runs (ticks) of the job since its last SUCCESS or PARTIAL run.",
            |g| Some(f64::from(g.consecutive_failures)),
        ),
        (
            LATE,
            "1 while the job is late (a tick older than the lateness grace has no run), else 0.",
            |g| Some(flag(g.late)),
        ),
        (PAUSED, "1 while the job is paused, else 0.", |g| {
            Some(flag(g.paused))
        }),
        (
            NEXT_RUN,
            "The job's next scheduled run, in Unix seconds.",
            |g| g.next_run.map(unix_seconds),
        ),
        (
            PERIOD,
            "The longest time between two scheduled runs of the job over the coming week (at least two gaps).",
            |g| g.period.map(|p| p.as_secs_f64()),
        ),
    ];
    let mut text = String::new();
    for (name, help, value) in metrics {
        let lines: Vec<(&str, f64)> = series
            .iter()
            .filter_map(|g| value(g).map(|v| (g.job_name.as_str(), v)))
            .collect();
        if lines.is_empty() {
            continue;
        }
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (job, v) in lines {
            let _ = writeln!(text, "{name}{{job_name=\"{job}\"}} {v}");
        }
        text.push('\n');
    }
    text
}

fn flag(on: bool) -> f64 {
    if on { 1.0 } else { 0.0 }
}

#[expect(
    clippy::cast_precision_loss,
    reason = "Unix milliseconds far below 2^52"
)]
fn unix_seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

#[cfg(test)]
mod tests;
