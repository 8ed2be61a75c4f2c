//! The process's Prometheus recorder: every `metrics` counter, gauge and histogram recorded by
//! the crates ends up in `/metrics`, each with its `# HELP` line (the catalogue below), and
//! every configured job's series are there from the start.
//!
//! The per-job gauges that come from the database (running, last success, consecutive
//! failures, late, paused, next run, period) are written by the API each time `/metrics` is
//! scraped; the counters start at 0 here, and each job's period is worked out once from its
//! schedule (`periods`).
//!
//! The size of `/metrics` is bounded: only the first `METRICS_JOB_SERIES` configured jobs
//! have series of their own. The recorder ([`FoldJobs`]) records every other job's counters
//! and histograms under `job_name="(other)"`, summed, as the API does for their gauges.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use metrics::{
    Counter, Gauge, Histogram, Key, KeyName, Label, Metadata, Recorder, SharedString, Unit,
};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use propimport_domain::JobName;
use propimport_http_api::JobSeries;
use propimport_http_api::metric_names as api;
use propimport_scheduler::{CronSchedule, ScheduledJob};

/// Latency buckets of HTTP requests, in seconds.
const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Buckets of the wait for a run slot, in seconds.
const QUEUE_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0];
/// Duration buckets of import runs, in seconds.
const RUN_BUCKETS: &[f64] = &[
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];

/// Finished runs by job and status.
pub const RUNS: &str = "propimport_runs_total";
/// Listings processed by finished runs, by job and outcome.
pub const PROPERTIES: &str = "propimport_properties_total";
/// Run durations.
pub const RUN_DURATION: &str = "propimport_run_duration_seconds";
/// How long scheduled runs waited for a run slot past their tick.
pub const QUEUE_WAIT: &str = "propimport_queue_wait_seconds";
/// The build's version, as a label of a constant 1.
pub const BUILD_INFO: &str = "propimport_build_info";

/// A label beside `job_name` and the values it is recorded with.
type LabelValues = (&'static str, &'static [&'static str]);

/// The per-job counters of the scheduler, each with the label values it is recorded with.
const JOB_COUNTERS: &[(&str, Option<LabelValues>)] = &[
    (RUNS, Some(("status", &["success", "failed", "partial"]))),
    (
        PROPERTIES,
        Some(("outcome", &["success", "skipped", "failed"])),
    ),
    ("propimport_skipped_ticks_total", None),
    ("propimport_paused_ticks_total", None),
    ("propimport_missed_ticks_total", None),
    ("propimport_late_ticks_total", None),
    ("propimport_abandoned_runs_total", None),
];

/// Every metric of the service: name, kind, unit and its `# HELP` text.
const CATALOGUE: &[(&str, Kind, Option<Unit>, &str)] = &[
    (
        RUNS,
        Kind::Counter,
        None,
        "Finished runs by job and status (success, partial, failed).",
    ),
    (
        PROPERTIES,
        Kind::Counter,
        None,
        "Listings processed by finished runs, by job and outcome: success (new or updated), skipped (unchanged), failed.",
    ),
    (
        RUN_DURATION,
        Kind::Histogram,
        Some(Unit::Seconds),
        "How long finished runs took, by job.",
    ),
    (
        "propimport_skipped_ticks_total",
        Kind::Counter,
        None,
        "Scheduled ticks skipped because a run of the job was still in progress.",
    ),
    (
        "propimport_paused_ticks_total",
        Kind::Counter,
        None,
        "Scheduled ticks skipped because the job was paused.",
    ),
    (
        "propimport_missed_ticks_total",
        Kind::Counter,
        None,
        "Scheduled ticks that could not run at their time because the database was unavailable.",
    ),
    (
        "propimport_late_ticks_total",
        Kind::Counter,
        None,
        "Ticks found late: no run although the lateness grace had passed.",
    ),
    (
        "propimport_abandoned_runs_total",
        Kind::Counter,
        None,
        "Runs recovered as abandoned (their instance stopped heartbeating).",
    ),
    (
        QUEUE_WAIT,
        Kind::Histogram,
        Some(Unit::Seconds),
        "How long scheduled runs waited past their tick for a run slot (IMPORT_MAX_CONCURRENT_RUNS, IMPORT_MAX_CONCURRENT_RUNS_PER_HOST).",
    ),
    (
        "propimport_alert_deliveries_total",
        Kind::Counter,
        None,
        "Alert deliveries by channel and outcome (delivered, failed).",
    ),
    (
        api::AUDIT_ROWS_SUPPRESSED,
        Kind::Counter,
        None,
        "Audit rows of refused requests not written because of the per-minute bound.",
    ),
    (
        api::HTTP_REQUESTS,
        Kind::Counter,
        None,
        "Answered HTTP requests by method, route pattern and status code.",
    ),
    (
        api::HTTP_REQUEST_DURATION,
        Kind::Histogram,
        Some(Unit::Seconds),
        "HTTP request latencies by method and route pattern.",
    ),
    (
        BUILD_INFO,
        Kind::Gauge,
        None,
        "A constant 1 labelled with the running version.",
    ),
];

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Records through a Prometheus recorder, with the `job_name` of every job but `own` replaced
/// by `(other)`: the series of the jobs beyond the per-job limit add up in one.
struct FoldJobs {
    inner: PrometheusRecorder,
    own: Arc<RwLock<HashSet<String>>>,
}

/// The jobs with series of their own, shared with the recorder once it is installed.
static OWN_JOBS: OnceLock<(Arc<RwLock<HashSet<String>>>, JobSeries)> = OnceLock::new();

/// Gives the first jobs of `jobs` (in order, as many as `METRICS_JOB_SERIES`) series of their
/// own again, after the jobs changed; the others are folded into `(other)` from now on.
pub fn set_own_jobs(jobs: &[JobName]) {
    if let Some((own, series)) = OWN_JOBS.get() {
        let names = jobs
            .iter()
            .take(series.0)
            .map(ToString::to_string)
            .collect();
        *own.write().unwrap_or_else(PoisonError::into_inner) = names;
    }
}

impl FoldJobs {
    /// `key` with its job folded, or `None` when it names no job or one of `own`.
    fn folded(&self, key: &Key) -> Option<Key> {
        let own = self.own.read().unwrap_or_else(PoisonError::into_inner);
        let other = |l: &Label| l.key() == "job_name" && !own.contains(l.value());
        key.labels().any(other).then(|| {
            let labels: Vec<Label> = key
                .labels()
                .map(|l| {
                    if other(l) {
                        Label::new("job_name", api::OTHER_JOBS)
                    } else {
                        l.clone()
                    }
                })
                .collect();
            Key::from_parts(key.name().to_owned(), labels)
        })
    }
}

impl Recorder for FoldJobs {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_counter(key, unit, description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_gauge(key, unit, description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_histogram(key, unit, description);
    }

    fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
        let folded = self.folded(key);
        self.inner
            .register_counter(folded.as_ref().unwrap_or(key), metadata)
    }

    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        let folded = self.folded(key);
        self.inner
            .register_gauge(folded.as_ref().unwrap_or(key), metadata)
    }

    fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
        let folded = self.folded(key);
        self.inner
            .register_histogram(folded.as_ref().unwrap_or(key), metadata)
    }
}

/// Installs the recorder (once per process) with the catalogue's descriptions, and a task
/// that keeps its histograms compact; `None` when another recorder is installed already. Of
/// `jobs` (the configured job names, in order), the first `series` have series of their own.
pub fn install(jobs: &[JobName], series: JobSeries) -> Option<PrometheusHandle> {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(api::HTTP_REQUEST_DURATION.into()),
            HTTP_BUCKETS,
        )
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(RUN_DURATION.into()), RUN_BUCKETS))
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(QUEUE_WAIT.into()), QUEUE_BUCKETS))
        .map_err(|e| tracing::warn!(error = %e, "metrics buckets not set"))
        .ok()?
        .build_recorder();
    let handle = recorder.handle();
    let own: Arc<RwLock<HashSet<String>>> = Arc::new(RwLock::new(
        jobs.iter()
            .take(series.0)
            .map(ToString::to_string)
            .collect(),
    ));
    let _ = OWN_JOBS.set((own.clone(), series));
    let recorder = FoldJobs {
        inner: recorder,
        own,
    };
    metrics::set_global_recorder(recorder)
        .map_err(|e| tracing::warn!(error = %e, "a metrics recorder is installed already"))
        .ok()?;
    describe();
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    Some(handle)
}

/// Gives every metric of the catalogue its `# HELP` text.
fn describe() {
    for &(name, kind, unit, help) in CATALOGUE {
        match (kind, unit) {
            (Kind::Counter, Some(u)) => metrics::describe_counter!(name, u, help),
            (Kind::Counter, None) => metrics::describe_counter!(name, help),
            (Kind::Gauge, Some(u)) => metrics::describe_gauge!(name, u, help),
            (Kind::Gauge, None) => metrics::describe_gauge!(name, help),
            (Kind::Histogram, Some(u)) => metrics::describe_histogram!(name, u, help),
            (Kind::Histogram, None) => metrics::describe_histogram!(name, help),
        }
    }
}

/// Starts every configured job's counters at 0 (so a rate or an increase works from the first
/// run).
pub fn register_jobs(jobs: &[ScheduledJob]) {
    for scheduled in jobs {
        let job = scheduled.job.name().to_string();
        for &(name, labels) in JOB_COUNTERS {
            match labels {
                Some((key, values)) => {
                    for &value in values {
                        metrics::counter!(name, "job_name" => job.clone(), key => value)
                            .increment(0);
                    }
                }
                None => metrics::counter!(name, "job_name" => job.clone()).increment(0),
            }
        }
    }
}

/// Each scheduled job's period (`propimport_job_period_seconds`): the longest time between two
/// of its fire times over the coming week, worked out once per distinct schedule.
pub fn periods(jobs: &[ScheduledJob]) -> HashMap<JobName, Duration> {
    let now = Utc::now();
    let mut by_schedule: HashMap<(String, String), Option<Duration>> = HashMap::new();
    let mut periods = HashMap::with_capacity(jobs.len());
    for scheduled in jobs {
        let Some(schedule) = &scheduled.schedule else {
            continue;
        };
        let key = (
            schedule.expression().to_owned(),
            schedule.timezone().name().to_owned(),
        );
        let period = *by_schedule
            .entry(key)
            .or_insert_with(|| longest_gap(schedule, now));
        if let Some(period) = period {
            periods.insert(scheduled.job.name().clone(), period);
        }
    }
    periods
}

/// The longest time between two consecutive fire times of `schedule` after `now`: over the
/// coming 8 days and at least three fire times (so a weekday schedule sees its weekend and a
/// monthly one two months), looking at 2,048 fire times at most. `None` when it fires fewer
/// than twice more.
fn longest_gap(schedule: &CronSchedule, now: DateTime<Utc>) -> Option<Duration> {
    const MAX_FIRES: usize = 2048;
    let horizon = now + chrono::Duration::days(8);
    let first = schedule.next_after(now)?;
    let (mut previous, mut longest, mut fires) = (first, None::<chrono::Duration>, 1usize);
    while fires < MAX_FIRES && (previous < horizon || fires < 3) {
        let Some(next) = schedule.next_after(previous) else {
            break;
        };
        let gap = next - previous;
        longest = Some(longest.map_or(gap, |l| l.max(gap)));
        previous = next;
        fires += 1;
    }
    longest.and_then(|l| l.to_std().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(expr: &str, tz: &str) -> Option<u64> {
        gap_from(expr, tz, "2026-03-02T10:00:00Z")
    }

    fn gap_from(expr: &str, tz: &str, now: &str) -> Option<u64> {
        let schedule = CronSchedule::parse(expr, tz).ok()?;
        let now = DateTime::parse_from_rfc3339(now).ok()?.with_timezone(&Utc);
        longest_gap(&schedule, now).map(|d| d.as_secs())
    }

    #[test]
    fn the_period_is_the_longest_gap_between_fire_times() {
        assert_eq!(gap("0 0 * * *", "UTC"), Some(86_400));
        assert_eq!(gap("*/15 * * * *", "UTC"), Some(900));
        assert_eq!(gap("* * * * * *", "UTC"), Some(1));
        // Weekdays at 09:00: Friday to Monday.
        assert_eq!(gap("0 9 * * 1-5", "UTC"), Some(3 * 86_400));
        // Every minute of office hours: the night is the longest gap within 2,048 fires.
        assert_eq!(gap("* 9-16 * * 1-5", "UTC"), Some(16 * 3_600 + 60));
        // Monthly: the longest of the next months (March 2026 has 31 days).
        assert_eq!(gap("0 0 1 * *", "UTC"), Some(31 * 86_400));
        // A daily job over the autumn's fall-back night is 25 hours apart once.
        assert_eq!(
            gap_from("0 3 * * *", "Europe/Skopje", "2026-10-22T12:00:00Z"),
            Some(25 * 3_600)
        );
        // Yearly: 2028 is a leap year.
        assert_eq!(gap("0 0 1 1 *", "UTC"), Some(366 * 86_400));
    }
}
