//! Scheduling settings: the import schedule and zone, alerts, missed ticks, leases, shutdown
//! and retention.

use std::time::Duration;

use propimport_domain::RetentionPolicy;
use propimport_scheduler::{AlertSettings, CronSchedule, MisfirePolicy, RunRetryPolicy};

use super::vars::Vars;

/// The default import schedule: daily at midnight.
pub const DEFAULT_SCHEDULE: &str = "0 0 * * *";
/// The default time zone of schedules.
pub const DEFAULT_TZ: &str = "Europe/Skopje";

/// How and when jobs run.
#[derive(Debug, Clone)]
pub struct Scheduling {
    /// `IMPORT_CRON_SCHEDULE` in `TZ`.
    pub schedule: CronSchedule,
    /// `IMPORT_ALERT_THRESHOLD`, `IMPORT_ALERT_COOLDOWN`.
    pub alerts: AlertSettings,
    /// `IMPORT_ALERT_WEBHOOK_URL`.
    pub alert_webhook: Option<reqwest::Url>,
    /// `IMPORT_MISFIRE_POLICY`, `IMPORT_MISFIRE_GRACE`.
    pub misfire: MisfirePolicy,
    /// `IMPORT_RETRIES`, `IMPORT_RETRY_DELAYS`: how failed scheduled runs are retried.
    pub retry: RunRetryPolicy,
    /// `IMPORT_HEARTBEAT_INTERVAL`.
    pub heartbeat: Duration,
    /// `IMPORT_LEASE`.
    pub lease: Duration,
    /// `IMPORT_SHUTDOWN_GRACE_SECONDS`.
    pub shutdown_grace: Duration,
    /// `IMPORT_MAX_RUN_DURATION`: a run longer than this alerts (`None`: off).
    pub max_run_duration: Option<Duration>,
    /// `IMPORT_OVERLONG_RUNS=cancel`: an overlong run is also cancelled.
    pub cancel_overlong: bool,
    /// `IMPORT_LATE_GRACE`: a tick without a run this long after it makes its job late.
    pub late_grace: Option<Duration>,
    /// `RETENTION_SUCCESS_DAYS`, `RETENTION_FAILED_DAYS`.
    pub retention: RetentionPolicy,
    /// `RETENTION_CRON_SCHEDULE` in `TZ`.
    pub retention_schedule: CronSchedule,
    /// `IMPORT_MAX_CONCURRENT_RUNS`, `IMPORT_MAX_CONCURRENT_RUNS_PER_HOST`: how many runs go
    /// on at once across every instance, overall and per feed host (unset or 0: no limit).
    pub run_limits: propimport_domain::RunLimits,
    /// `IMPORT_SCHEDULE_SPREAD`: each source's schedule fires a fixed part of this after its
    /// instants (zero: no spread).
    pub spread: Duration,
}

impl Scheduling {
    /// Reads the scheduling variables.
    pub fn read(vars: &mut Vars<impl Fn(&str) -> Option<String>>) -> Option<Self> {
        let timezone = vars.raw("TZ").unwrap_or_else(|| DEFAULT_TZ.to_owned());
        let expression = vars
            .raw("IMPORT_CRON_SCHEDULE")
            .unwrap_or_else(|| DEFAULT_SCHEDULE.to_owned());
        let schedule = match CronSchedule::parse(&expression, &timezone) {
            Ok(s) => Some(s),
            Err(e) => {
                let zone_wrong = e.is_time_zone();
                vars.problem(e.with_variables("IMPORT_CRON_SCHEDULE", "TZ").to_string());
                // With the zone wrong, still check the expression, so both are reported at once.
                if zone_wrong && let Err(e) = CronSchedule::parse(&expression, "UTC") {
                    vars.problem(e.with_variable("IMPORT_CRON_SCHEDULE").to_string());
                }
                None
            }
        };
        let retention_expression = vars
            .raw("RETENTION_CRON_SCHEDULE")
            .unwrap_or_else(|| "30 3 * * *".to_owned());
        let retention_schedule = match CronSchedule::parse(&retention_expression, &timezone) {
            Ok(s) => Some(s),
            // A bad zone was reported with the import schedule already.
            Err(e) if e.is_time_zone() => None,
            Err(e) => {
                vars.problem(e.with_variable("RETENTION_CRON_SCHEDULE").to_string());
                None
            }
        };
        let alerts = AlertSettings {
            threshold: vars.number("IMPORT_ALERT_THRESHOLD", 3, 1..=1000),
            cooldown: chrono::Duration::from_std(
                vars.duration("IMPORT_ALERT_COOLDOWN", Duration::from_secs(6 * 3600)),
            )
            .unwrap_or(chrono::Duration::hours(6)),
        };
        // A webhook URL's path is its secret: a problem names the variable, never the value.
        let alert_webhook = match vars.raw("IMPORT_ALERT_WEBHOOK_URL") {
            None => None,
            Some(text) => match reqwest::Url::parse(text.trim()) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
                Ok(url) => {
                    vars.problem(format!(
                        "IMPORT_ALERT_WEBHOOK_URL: expected an http:// or https:// URL, not {}:// (the value is not shown: it holds a secret)",
                        url.scheme()
                    ));
                    None
                }
                Err(e) => {
                    vars.problem(format!(
                        "IMPORT_ALERT_WEBHOOK_URL: expected an http:// or https:// URL ({e}; the value is not shown: it holds a secret)"
                    ));
                    None
                }
            },
        };
        let grace = vars.duration("IMPORT_MISFIRE_GRACE", Duration::from_secs(3600));
        let misfire = vars.parsed(
            "IMPORT_MISFIRE_POLICY",
            "run_once",
            "run_once or skip",
            |t| match t {
                "run_once" => Some("run_once"),
                "skip" => Some("skip"),
                _ => None,
            },
        );
        let misfire = match misfire {
            "skip" => MisfirePolicy::Skip,
            _ => MisfirePolicy::RunOnce {
                grace: chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::hours(1)),
            },
        };
        let default_retry = RunRetryPolicy::default();
        let retry = RunRetryPolicy {
            retries: vars.number("IMPORT_RETRIES", default_retry.retries, 0..=10),
            delays: vars.duration_list("IMPORT_RETRY_DELAYS", default_retry.delays),
        };
        let heartbeat = vars.duration("IMPORT_HEARTBEAT_INTERVAL", Duration::from_secs(10));
        let lease = vars.duration("IMPORT_LEASE", Duration::from_secs(120));
        if lease < heartbeat * 3 {
            vars.problem(format!(
                "IMPORT_LEASE={}: must be at least three heartbeats (IMPORT_HEARTBEAT_INTERVAL={})",
                humantime::format_duration(lease),
                humantime::format_duration(heartbeat)
            ));
        }
        let shutdown_grace =
            Duration::from_secs(vars.number("IMPORT_SHUTDOWN_GRACE_SECONDS", 30, 0..=3600));
        let max_run_duration = vars.optional_duration(
            "IMPORT_MAX_RUN_DURATION",
            Some(Duration::from_secs(6 * 3600)),
        );
        let cancel_overlong =
            vars.parsed(
                "IMPORT_OVERLONG_RUNS",
                false,
                "alert or cancel",
                |t| match t {
                    "alert" => Some(false),
                    "cancel" => Some(true),
                    _ => None,
                },
            );
        let late_grace =
            vars.optional_duration("IMPORT_LATE_GRACE", Some(Duration::from_secs(5 * 60)));
        let retention = RetentionPolicy {
            success_days: vars.number("RETENTION_SUCCESS_DAYS", 30, 1..=3650),
            failed_days: vars.number("RETENTION_FAILED_DAYS", 90, 1..=3650),
            audit_days: vars.number("RETENTION_AUDIT_DAYS", 365, 1..=36500),
            batch_size: 1000,
        };
        let limit = |vars: &mut Vars<_>, name: &str| {
            Some(vars.number(name, 0u32, 0..=10_000)).filter(|n| *n > 0)
        };
        let run_limits = propimport_domain::RunLimits {
            overall: limit(vars, "IMPORT_MAX_CONCURRENT_RUNS"),
            per_host: limit(vars, "IMPORT_MAX_CONCURRENT_RUNS_PER_HOST"),
        };
        let spread = vars.duration("IMPORT_SCHEDULE_SPREAD", Duration::ZERO);
        if spread > Duration::from_secs(24 * 3600) {
            vars.problem(format!(
                "IMPORT_SCHEDULE_SPREAD={}: expected at most 24h",
                humantime::format_duration(spread)
            ));
        }
        Some(Self {
            run_limits,
            spread,
            schedule: schedule?,
            alerts,
            alert_webhook,
            misfire,
            retry,
            heartbeat,
            lease,
            shutdown_grace,
            max_run_duration,
            cancel_overlong,
            late_grace,
            retention,
            retention_schedule: retention_schedule?,
        })
    }
}
