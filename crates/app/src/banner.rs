//! The start-up banner: where the service listens, each job's schedule and next run (or its
//! pause), and the admin token when one was generated.

use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use propimport_scheduler::{CronSchedule, JobStatus};

use crate::admin_token::Shown;
use crate::config::Config;

fn next_run(schedule: &CronSchedule, next: Option<&DateTime<Utc>>) -> String {
    match next {
        Some(t) => format!(
            "next {} = {}",
            t.with_timezone(&schedule.timezone())
                .format("%Y-%m-%d %H:%M:%S %:z"),
            t.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        None => "no next run".to_owned(),
    }
}

/// Prints the banner to stdout.
pub fn print(
    config: &Config,
    address: SocketAddr,
    jobs: &[JobStatus],
    generated_token: Option<&Shown>,
) {
    let host = if address.ip().is_unspecified() {
        format!("localhost:{}", address.port())
    } else {
        address.to_string()
    };
    let base = format!("http://{host}");
    let mut lines = vec![
        format!(
            "propimport {} is serving on {base}",
            env!("CARGO_PKG_VERSION")
        ),
        format!("  dashboard   {base}/dashboard/"),
        format!("  API docs    {base}/docs/"),
        format!("  readiness   {base}/readyz    metrics {base}/metrics"),
        format!("  database    {}", config.database_url.redacted()),
    ];
    for job in jobs {
        let line = match &job.schedule {
            Some(s) => format!(
                "  job {:<24} {}  [{}]  {}",
                job.job_name.to_string(),
                s.describe(),
                s.expression(),
                next_run(s, job.next_runs.first())
            ),
            None => format!(
                "  job {:<24} runs only when triggered",
                job.job_name.to_string()
            ),
        };
        lines.push(if job.paused.is_some() {
            format!("{line}  PAUSED")
        } else {
            line
        });
        if let Some(p) = &job.paused {
            let reason = p
                .reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            lines.push(format!(
                "      paused by {} since {}{reason}; scheduled runs are skipped until resumed (propimport jobs resume {})",
                p.paused_by,
                p.paused_at.format("%Y-%m-%d %H:%M:%S UTC"),
                job.job_name
            ));
        }
    }
    if jobs.is_empty() {
        lines.push(
            "  no import source configured (IMPORT_SOURCE_URL or IMPORT_SOURCES_FILE)".to_owned(),
        );
    }
    let retention = &config.scheduling.retention_schedule;
    lines.push(format!(
        "  retention purge              {}  [{}]  {}",
        retention.describe(),
        retention.expression(),
        next_run(retention, retention.next_after(Utc::now()).as_ref())
    ));
    match generated_token {
        Some(Shown::OnTerminal(token)) => {
            lines.push(format!("  admin token {token}"));
            lines.push(
                "    (generated for this run only; set ADMIN_API_TOKEN or ADMIN_JWT_SECRET to keep a fixed one)"
                    .to_owned(),
            );
        }
        Some(Shown::InFile(path)) => {
            lines.push(format!(
                "  admin token written to {} (readable by its owner only)",
                path.display()
            ));
            lines.push(
                "    (generated for this run only; set ADMIN_API_TOKEN or ADMIN_JWT_SECRET to keep a fixed one)"
                    .to_owned(),
            );
        }
        None => lines
            .push("  admin API   Authorization: Bearer <ADMIN_API_TOKEN or admin JWT>".to_owned()),
    }
    println!("{}", lines.join("\n"));
}
