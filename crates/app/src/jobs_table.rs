//! The table of `propimport jobs list`: a job's schedule, pause, last status, state and next
//! run, which jobs of how many it shows, and the summary of every job, in words.

use chrono::{DateTime, Utc};
use propimport_domain::{ExecutionStatus, JobName, JobPause, JobSummary, Pagination};
use propimport_scheduler::CronSchedule;

use crate::jobs_cmd::pause_text;

/// One job as the table prints it.
pub struct TableRow<'a> {
    /// The job.
    pub job: &'a JobName,
    /// Its schedule.
    pub schedule: &'a CronSchedule,
    /// Its pause, while paused.
    pub pause: Option<&'a JobPause>,
    /// The status of its last execution.
    pub last: Option<ExecutionStatus>,
    /// Running, late, failing, in words ("-": none).
    pub state: String,
    /// Its next fire time.
    pub next: Option<DateTime<Utc>>,
}

/// Prints the jobs as a table, two or three lines each (the schedule in words, the pause).
pub fn print_table(rows: &[TableRow<'_>]) {
    println!(
        "{:<24}  {:<32}  {:<6}  {:<8}  {:<22}  NEXT RUN",
        "JOB", "SCHEDULE", "PAUSED", "LAST", "STATE"
    );
    for row in rows {
        let schedule = row.schedule;
        let next = match row.next {
            Some(t) => format!(
                "{} ({}){}",
                t.with_timezone(&schedule.timezone())
                    .format("%Y-%m-%d %H:%M:%S %:z"),
                t.format("%Y-%m-%d %H:%M UTC"),
                if row.pause.is_some() {
                    ", skipped while paused"
                } else {
                    ""
                }
            ),
            None => "none".to_owned(),
        };
        println!(
            "{:<24}  {:<32}  {:<6}  {:<8}  {:<22}  {next}",
            row.job.to_string(),
            format!("{} ({})", schedule.expression(), schedule.timezone().name()),
            if row.pause.is_some() { "yes" } else { "no" },
            row.last.map_or("-", ExecutionStatus::as_str),
            row.state,
        );
        println!("{:<24}  {}", "", schedule.describe());
        if let Some(p) = row.pause {
            println!("{:<24}  {}", "", pause_text(p));
        }
    }
}

/// "jobs 1–100 of 1,000 matching; --offset 100 for the next page".
pub fn showing(p: &Pagination, shown: usize) -> String {
    if shown == 0 {
        return format!(
            "no job on this page: {} match (--offset {})",
            thousands(u64::try_from(p.total).unwrap_or(0)),
            p.offset
        );
    }
    let first = p.offset + 1;
    let last = p.offset + shown as u64;
    let mut text = format!(
        "jobs {}–{} of {} matching",
        thousands(first),
        thousands(last),
        thousands(u64::try_from(p.total).unwrap_or(0))
    );
    if p.has_more {
        text.push_str(&format!("; --offset {last} for the next page"));
    }
    text
}

/// "1,000 jobs: 4 running, 1 paused, 0 late, 100 failing, 3 never run".
pub fn summary_line(s: &JobSummary) -> String {
    format!(
        "{} jobs: {} running, {} paused, {} late, {} failing, {} never run",
        thousands(s.total),
        thousands(s.running),
        thousands(s.paused),
        thousands(s.late),
        thousands(s.failing),
        thousands(s.never_run)
    )
}

/// `n` with thousands separated by commas.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_pages_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        let page = Pagination {
            total: 1000,
            limit: 100,
            offset: 100,
            has_more: true,
        };
        assert_eq!(
            showing(&page, 100),
            "jobs 101–200 of 1,000 matching; --offset 200 for the next page"
        );
        let last = Pagination {
            has_more: false,
            offset: 990,
            ..page
        };
        assert_eq!(showing(&last, 10), "jobs 991–1,000 of 1,000 matching");
        let past = Pagination {
            offset: 2000,
            has_more: false,
            ..page
        };
        assert_eq!(
            showing(&past, 0),
            "no job on this page: 1,000 match (--offset 2000)"
        );
    }
}
