//! `propimport jobs list`: the configured jobs searched, filtered and paged as `/status` does
//! (the domain's `JobQuery`: the same search, filters, page size and summary), from the
//! database. A job is late while its late alert is on: the service's schedulers find late
//! ticks and the database keeps the alert (this command runs no scheduler).

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;

use chrono::Utc;
use propimport_domain::{
    AlertKind, AlertStore, Error, ExecutionStatus, ExecutionStore, JobFacts, JobFilter, JobName,
    JobPageLimit, JobPause, JobQuery, JobSearch, JobSummary,
};
use propimport_http_api::dto::{
    ExecutionStatusName, FireTime, JobPauseView, JobSummaryView, PaginationView,
};
use propimport_persistence::{SqlAlertStore, SqlExecutionStore};
use propimport_scheduler::CronSchedule;
use serde::Serialize;

use crate::config::Config;
use crate::database::open;
use crate::jobs_cmd::configured;
use crate::jobs_table::{TableRow, print_table, showing, summary_line};
use crate::usage::usage;

/// What `jobs list` asks for.
#[derive(Debug, Clone, Default)]
pub struct ListArgs {
    /// `--search`: names containing this, ignoring case.
    pub search: Option<String>,
    /// `--status`: the status of the last execution.
    pub status: Option<String>,
    /// `--failing[=false]`.
    pub failing: Option<bool>,
    /// `--late[=false]`.
    pub late: Option<bool>,
    /// `--paused[=false]`.
    pub paused: Option<bool>,
    /// `--running[=false]`.
    pub running: Option<bool>,
    /// `--limit` (1 to 500).
    pub limit: i64,
    /// `--offset`.
    pub offset: u64,
    /// `--json`.
    pub json: bool,
}

/// A domain value refused for `flag`: its message without the API parameter's name.
fn refused(flag: &str, e: Error) -> anyhow::Error {
    let text = match e {
        Error::InvalidParameter { parameter, message } => message
            .strip_prefix(&format!("{parameter} "))
            .map_or(message.clone(), str::to_owned),
        other => other.to_string(),
    };
    usage(format!("{flag}: {text}"))
}

/// The query of `args`, or the usage error naming the flag.
fn query(args: &ListArgs) -> anyhow::Result<JobQuery> {
    let search = args
        .search
        .as_deref()
        .map(JobSearch::parse)
        .transpose()
        .map_err(|e| refused("--search", e))?;
    let last_status = args
        .status
        .as_deref()
        .map(str::parse::<ExecutionStatus>)
        .transpose()
        .map_err(|e| refused("--status", e))?;
    Ok(JobQuery {
        filter: JobFilter {
            search,
            last_status,
            failing: args.failing,
            late: args.late,
            paused: args.paused,
            running: args.running,
        },
        limit: JobPageLimit::new(args.limit).map_err(|e| refused("--limit", e))?,
        offset: args.offset,
    })
}

/// The JSON of `jobs list`: the page of jobs, its place among the matches and the summary of
/// every job, as `/status` writes them.
#[derive(Debug, Serialize)]
struct JobList {
    jobs: Vec<JobListEntry>,
    pagination: PaginationView,
    summary: JobSummaryView,
}

/// One job in `jobs list --json`: the API's pause state of the job (`JobPauseView`, as pause
/// and resume answer) with its schedule and next fire time (a `FireTime`, as `/status` has
/// them), and what the filters look at.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct JobListEntry {
    #[serde(flatten)]
    pause: JobPauseView,
    schedule: String,
    timezone: String,
    schedule_text: String,
    next_run: Option<FireTime>,
    last_status: Option<ExecutionStatusName>,
    failing: bool,
    consecutive_failures: i32,
    late: bool,
    running: bool,
}

/// Every configured job as the filters see it, from the database.
async fn facts(
    names: &[JobName],
    store: &dyn ExecutionStore,
    alerts: &dyn AlertStore,
) -> anyhow::Result<(Vec<JobFacts>, HashMap<JobName, JobPause>)> {
    let paused: HashMap<JobName, JobPause> = store
        .paused_jobs()
        .await?
        .into_iter()
        .map(|p| (p.job_name.clone(), p))
        .collect();
    let running: HashSet<JobName> = store
        .running(None)
        .await?
        .into_iter()
        .map(|e| e.job_name)
        .collect();
    let late: HashSet<JobName> = alerts
        .in_alert(AlertKind::Late)
        .await?
        .into_iter()
        .collect();
    let mut outcomes: HashMap<JobName, _> = store
        .job_outcomes(names)
        .await?
        .into_iter()
        .map(|o| (o.job_name.clone(), o))
        .collect();
    let facts = names
        .iter()
        .map(|j| JobFacts {
            job_name: j.clone(),
            running: running.contains(j),
            late: late.contains(j),
            paused: paused.contains_key(j),
            outcome: outcomes.remove(j),
        })
        .collect();
    Ok((facts, paused))
}

/// `jobs list`: exit code 2 for a bad flag.
pub async fn list(config: Config, args: ListArgs) -> anyhow::Result<ExitCode> {
    let query = query(&args)?;
    let jobs = configured(&config);
    let names: Vec<JobName> = jobs.iter().map(|(j, _)| j.clone()).collect();
    let schedules: HashMap<&JobName, &CronSchedule> = jobs.iter().map(|(j, s)| (j, s)).collect();
    let db = open(&config).await?;
    let read = facts(
        &names,
        &SqlExecutionStore::new(db.clone()),
        &SqlAlertStore::new(db.clone()),
    )
    .await;
    db.close();
    let (facts, pauses) = read?;
    let summary = JobSummary::of(&facts);
    let (page, pagination) = query.select(&facts);
    let now = Utc::now();
    let rows: Vec<Row<'_>> = page
        .into_iter()
        .filter_map(|f| {
            let schedule = *schedules.get(&f.job_name)?;
            Some(Row {
                facts: f,
                schedule,
                pause: pauses.get(&f.job_name),
                next: schedule.next_after(now),
            })
        })
        .collect();
    if args.json {
        let list = JobList {
            jobs: rows.iter().map(Row::entry).collect(),
            pagination: (&pagination).into(),
            summary: (&summary).into(),
        };
        println!("{}", serde_json::to_string(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    let table: Vec<TableRow<'_>> = rows.iter().map(Row::table_row).collect();
    print_table(&table);
    println!();
    println!("{}", showing(&pagination, rows.len()));
    println!("{}", summary_line(&summary));
    Ok(ExitCode::SUCCESS)
}

/// One job of the page with what is printed of it.
struct Row<'a> {
    facts: &'a JobFacts,
    schedule: &'a CronSchedule,
    pause: Option<&'a JobPause>,
    next: Option<chrono::DateTime<Utc>>,
}

impl Row<'_> {
    fn entry(&self) -> JobListEntry {
        let outcome = self.facts.outcome.as_ref();
        JobListEntry {
            pause: JobPauseView::of(&self.facts.job_name, self.pause),
            schedule: self.schedule.expression().to_owned(),
            timezone: self.schedule.timezone().name().to_owned(),
            schedule_text: self.schedule.describe(),
            next_run: self
                .next
                .map(|t| FireTime::of(t, Some(self.schedule.timezone()))),
            last_status: self.facts.last_status().map(status_name),
            failing: self.facts.failing(),
            consecutive_failures: outcome.map_or(0, |o| o.consecutive_failures),
            late: self.facts.late,
            running: self.facts.running,
        }
    }

    fn table_row(&self) -> TableRow<'_> {
        TableRow {
            job: &self.facts.job_name,
            schedule: self.schedule,
            pause: self.pause,
            last: self.facts.last_status(),
            state: self.state(),
            next: self.next,
        }
    }

    /// What the STATE column says: running, late, failing (with the failures in a row).
    fn state(&self) -> String {
        let mut words = Vec::new();
        if self.facts.running {
            words.push("running".to_owned());
        }
        if self.facts.late {
            words.push("late".to_owned());
        }
        if self.facts.failing() {
            let n = self
                .facts
                .outcome
                .as_ref()
                .map_or(0, |o| o.consecutive_failures);
            words.push(format!("failing ({n} in a row)"));
        }
        if words.is_empty() {
            "-".to_owned()
        } else {
            words.join(", ")
        }
    }
}

fn status_name(s: ExecutionStatus) -> ExecutionStatusName {
    match s {
        ExecutionStatus::Running => ExecutionStatusName::Running,
        ExecutionStatus::Success => ExecutionStatusName::Success,
        ExecutionStatus::Failed => ExecutionStatusName::Failed,
        ExecutionStatus::Partial => ExecutionStatusName::Partial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_checked_and_named() {
        let args = |f: fn(&mut ListArgs)| {
            let mut a = ListArgs {
                limit: 100,
                ..ListArgs::default()
            };
            f(&mut a);
            a
        };
        let q = query(&args(|a| {
            a.search = Some("Kyero".into());
            a.status = Some("failed".into());
            a.failing = Some(true);
            a.paused = Some(false);
            a.offset = 200;
        }))
        .unwrap();
        assert_eq!(
            q.filter.search.as_ref().map(JobSearch::as_str),
            Some("kyero")
        );
        assert_eq!(q.filter.last_status, Some(ExecutionStatus::Failed));
        assert_eq!(
            (q.filter.failing, q.filter.paused),
            (Some(true), Some(false))
        );
        assert_eq!((q.limit.get(), q.offset), (100, 200));
        for (a, says) in [
            (
                args(|a| a.limit = 501),
                "--limit: must be between 1 and 500, got 501",
            ),
            (
                args(|a| a.search = Some(" ".into())),
                "--search: must be 1 to 64 characters",
            ),
            (
                args(|a| a.status = Some("DONE".into())),
                "--status: must be one of",
            ),
        ] {
            let e = query(&a).unwrap_err().to_string();
            assert!(e.starts_with(says), "{e}");
        }
    }
}
