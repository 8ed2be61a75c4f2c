//! The start-up banner: where the service listens, each job's schedule and next run (or its
//! pause), and the admin token when one was generated. With many jobs it lists the first
//! [`LISTED_JOBS`] and sums up the rest in one line.

use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use propimport_scheduler::{CronSchedule, JobStatus};

use crate::admin_token::Shown;
use crate::config::Config;

/// The most jobs the banner lists one per line.
pub const LISTED_JOBS: usize = 10;

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
    println!(
        "{}",
        lines(config, address, jobs, generated_token).join("\n")
    );
}

/// The banner's lines.
fn lines(
    config: &Config,
    address: SocketAddr,
    jobs: &[JobStatus],
    generated_token: Option<&Shown>,
) -> Vec<String> {
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
    for job in jobs.iter().take(LISTED_JOBS) {
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
    if let Some(rest) = jobs.get(LISTED_JOBS..).filter(|r| !r.is_empty()) {
        lines.push(more_jobs(rest));
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
    lines
}

/// The line that sums up the jobs not listed: how many, how many of them are paused or run
/// only when triggered, and where to see them.
fn more_jobs(rest: &[JobStatus]) -> String {
    let paused = rest.iter().filter(|j| j.paused.is_some()).count();
    let manual = rest.iter().filter(|j| j.schedule.is_none()).count();
    let mut notes = Vec::new();
    if paused > 0 {
        notes.push(format!("{paused} PAUSED"));
    }
    if manual > 0 {
        notes.push(format!("{manual} only when triggered"));
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(", "))
    };
    let jobs = if rest.len() == 1 { "job" } else { "jobs" };
    format!(
        "  … and {} more {jobs}{notes}: `propimport jobs list` or the dashboard lists them all",
        rest.len()
    )
}

#[cfg(test)]
mod tests {
    use propimport_domain::{JobName, JobPause};

    use super::*;

    fn job(i: usize, paused: bool) -> JobStatus {
        let name = JobName::parse(&format!("feed-{i:04}")).unwrap();
        JobStatus {
            schedule: Some(CronSchedule::parse("0 0 * * *", "UTC").unwrap()),
            is_scheduled: true,
            running: None,
            live_progress: None,
            next_runs: vec![],
            ticks: propimport_scheduler::TickWatch::default(),
            paused: paused.then(|| JobPause::new(name.clone(), "cli:ana", Utc::now(), None)),
            pending_retry: None,
            waiting: None,
            job_name: name,
        }
    }

    fn banner(jobs: &[JobStatus]) -> Vec<String> {
        let config = Config::from_lookup(|_| None).unwrap();
        lines(&config, "127.0.0.1:5050".parse().unwrap(), jobs, None)
    }

    #[test]
    fn many_jobs_are_summed_up_after_the_first_ten() {
        let few: Vec<JobStatus> = (0..3).map(|i| job(i, i == 1)).collect();
        let text = banner(&few);
        assert_eq!(text.iter().filter(|l| l.starts_with("  job ")).count(), 3);
        assert!(
            text.iter()
                .any(|l| l.contains("feed-0001") && l.ends_with("PAUSED"))
        );
        assert!(!text.iter().any(|l| l.contains("more job")));

        let many: Vec<JobStatus> = (0..1000).map(|i| job(i, i % 100 == 50)).collect();
        let text = banner(&many);
        let listed: Vec<&String> = text.iter().filter(|l| l.starts_with("  job ")).collect();
        assert_eq!(listed.len(), LISTED_JOBS);
        assert!(listed[9].contains("feed-0009"));
        assert!(
            text.contains(
                &"  … and 990 more jobs (10 PAUSED): `propimport jobs list` or the dashboard lists them all"
                    .to_owned()
            ),
            "{text:#?}"
        );
        assert!(text.len() < 30, "{} lines", text.len());
        let eleven: Vec<JobStatus> = (0..11).map(|i| job(i, false)).collect();
        assert!(
            banner(&eleven)
                .iter()
                .any(|l| l.starts_with("  … and 1 more job:"))
        );
    }
}
