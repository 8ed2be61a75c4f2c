//! `propimport jobs list|pause|resume`: the configured jobs and their pauses, from the command
//! line, written straight to the database (every replica of a running service obeys from its
//! next tick). Each pause and resume, and each refused one, is written to the admin audit log
//! with the actor `cli:<user>`.

use std::process::ExitCode;

use chrono::{SubsecRound as _, Utc};
use propimport_domain::{
    AuditOutcome, ExecutionId, ExecutionStore, JobName, JobPause, NewAuditEntry, format_utc_millis,
};
use propimport_http_api::dto::{FireTime, JobPauseView};
use propimport_persistence::SqlExecutionStore;
use propimport_scheduler::CronSchedule;
use serde::Serialize;

use crate::config::Config;
use crate::serve::open;

/// The audit actor of a command-line action: `cli:<user>` from `$USER`, else `cli`.
pub fn cli_actor() -> String {
    actor_of(std::env::var("USER").ok())
}

fn actor_of(user: Option<String>) -> String {
    match user.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) {
        Some(user) => format!("cli:{user}"),
        None => "cli".to_owned(),
    }
}

/// Writes an audit row of a command-line action; a failure is reported, the action stands.
pub async fn audit(
    store: &dyn ExecutionStore,
    action: &str,
    job_name: Option<JobName>,
    execution_id: Option<ExecutionId>,
    outcome: AuditOutcome,
    detail: String,
) {
    let entry = NewAuditEntry {
        at: Utc::now(),
        actor: cli_actor(),
        remote_addr: None,
        action: action.to_owned(),
        job_name,
        outcome,
        execution_id,
        detail: Some(detail),
    };
    if let Err(e) = store.record_audit(entry).await {
        eprintln!("warning: the audit-log row was not written: {e}");
    }
}

/// The configured jobs with their schedules, in configuration order.
fn configured(config: &Config) -> Vec<(JobName, CronSchedule)> {
    config
        .sources
        .iter()
        .map(|s| {
            let schedule = s
                .schedule
                .clone()
                .unwrap_or_else(|| config.scheduling.schedule.clone());
            (s.config.name.clone(), schedule)
        })
        .collect()
}

/// The configured job named `name`, or the error to print.
pub fn find(config: &Config, name: &str) -> Result<JobName, String> {
    let jobs = configured(config);
    let names: Vec<String> = jobs.iter().map(|(j, _)| j.to_string()).collect();
    jobs.into_iter()
        .map(|(j, _)| j)
        .find(|j| j.as_str() == name)
        .ok_or_else(|| format!("no job named {name:?} (configured: {})", names.join(", ")))
}

fn pause_text(p: &JobPause) -> String {
    let mut text = format!(
        "paused by {} since {}",
        p.paused_by,
        format_utc_millis(&p.paused_at)
    );
    if let Some(reason) = &p.reason {
        text.push_str(&format!(": {reason}"));
    }
    text
}

/// The JSON of `jobs list`.
#[derive(Debug, Serialize)]
struct JobList {
    jobs: Vec<JobListEntry>,
}

/// One job in `jobs list --json`: the API's pause state of the job (`JobPauseView`, as pause
/// and resume answer) with its schedule and next fire time (a `FireTime`, as `/status` has
/// them). The API has no job list of its own; this document is made of its views only.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct JobListEntry {
    #[serde(flatten)]
    pause: JobPauseView,
    schedule: String,
    timezone: String,
    schedule_text: String,
    next_run: Option<FireTime>,
}

/// `jobs list`: each job's schedule, pause and next run.
pub async fn list(config: Config, as_json: bool) -> anyhow::Result<ExitCode> {
    let db = open(&config).await?;
    let paused = SqlExecutionStore::new(db.clone()).paused_jobs().await;
    db.close();
    let paused = paused?;
    let now = Utc::now();
    let mut rows = Vec::new();
    for (job, schedule) in configured(&config) {
        let pause = paused.iter().find(|p| p.job_name == job);
        let next = schedule.next_after(now);
        rows.push((job, schedule, pause.cloned(), next));
    }
    if as_json {
        let jobs: Vec<JobListEntry> = rows
            .iter()
            .map(|(job, schedule, pause, next)| JobListEntry {
                pause: JobPauseView::of(job, pause.as_ref()),
                schedule: schedule.expression().to_owned(),
                timezone: schedule.timezone().name().to_owned(),
                schedule_text: schedule.describe(),
                next_run: next.map(|t| FireTime::of(t, Some(schedule.timezone()))),
            })
            .collect();
        println!("{}", serde_json::to_string(&JobList { jobs })?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<24}  {:<32}  {:<6}  NEXT RUN",
        "JOB", "SCHEDULE", "PAUSED"
    );
    for (job, schedule, pause, next) in &rows {
        let next = match next {
            Some(t) => format!(
                "{} ({}){}",
                t.with_timezone(&schedule.timezone())
                    .format("%Y-%m-%d %H:%M:%S %:z"),
                t.format("%Y-%m-%d %H:%M UTC"),
                if pause.is_some() {
                    ", skipped while paused"
                } else {
                    ""
                }
            ),
            None => "none".to_owned(),
        };
        println!(
            "{:<24}  {:<32}  {:<6}  {next}",
            job.to_string(),
            format!("{} ({})", schedule.expression(), schedule.timezone().name()),
            if pause.is_some() { "yes" } else { "no" },
        );
        println!("{:<24}  {}", "", schedule.describe());
        if let Some(p) = pause {
            println!("{:<24}  {}", "", pause_text(p));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `jobs pause NAME [--reason TEXT]`: exit code 1 for an unknown job.
pub async fn pause(config: Config, name: &str, reason: Option<&str>) -> anyhow::Result<ExitCode> {
    let db = open(&config).await?;
    let store = SqlExecutionStore::new(db.clone());
    let result = async {
        let job = match find(&config, name) {
            Ok(job) => job,
            Err(why) => {
                let named = JobName::parse(name).ok();
                audit(&store, "pause", named, None, AuditOutcome::Refused, why.clone()).await;
                eprintln!("error: {why}");
                return Ok(ExitCode::FAILURE);
            }
        };
        // Stored to the microsecond: so is the time asked for, to tell this pause from an
        // earlier one.
        let now = Utc::now().trunc_subsecs(6);
        let wanted = JobPause::new(job.clone(), cli_actor(), now, reason);
        let stored = store.pause_job(&wanted).await?;
        let (detail, said) = if stored == wanted {
            (format!("job paused: {}", pause_text(&stored)), "paused")
        } else {
            (format!("job already {}", pause_text(&stored)), "already paused")
        };
        audit(&store, "pause", Some(job.clone()), None, AuditOutcome::Accepted, detail).await;
        println!(
            "{job} {said}: {}; its scheduled runs are skipped until `propimport jobs resume {job}` (it can still be triggered by hand)",
            pause_text(&stored)
        );
        Ok(ExitCode::SUCCESS)
    }
    .await;
    db.close();
    result
}

/// `jobs resume NAME`: exit code 1 for an unknown job.
pub async fn resume(config: Config, name: &str) -> anyhow::Result<ExitCode> {
    let db = open(&config).await?;
    let store = SqlExecutionStore::new(db.clone());
    let result = async {
        let job = match find(&config, name) {
            Ok(job) => job,
            Err(why) => {
                let named = JobName::parse(name).ok();
                audit(
                    &store,
                    "resume",
                    named,
                    None,
                    AuditOutcome::Refused,
                    why.clone(),
                )
                .await;
                eprintln!("error: {why}");
                return Ok(ExitCode::FAILURE);
            }
        };
        let lifted = store.resume_job(&job).await?;
        let detail = match &lifted {
            Some(p) => format!("job resumed (it was {})", pause_text(p)),
            None => "job was not paused".to_owned(),
        };
        audit(
            &store,
            "resume",
            Some(job.clone()),
            None,
            AuditOutcome::Accepted,
            detail.clone(),
        )
        .await;
        println!("{job}: {detail}");
        Ok(ExitCode::SUCCESS)
    }
    .await;
    db.close();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_actor_names_the_user() {
        assert_eq!(actor_of(Some("ana".into())), "cli:ana");
        assert_eq!(actor_of(Some(" ".into())), "cli");
        assert_eq!(actor_of(None), "cli");
    }

    #[test]
    fn jobs_are_found_by_their_configured_name() {
        let config = Config::from_lookup(|name| match name {
            "IMPORT_SOURCE_URL" => Some("https://feeds.example/partner.json".into()),
            "IMPORT_SOURCE_NAME" => Some("partner-feed".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            find(&config, "partner-feed").unwrap().as_str(),
            "partner-feed"
        );
        let why = find(&config, "nope").unwrap_err();
        assert!(why.contains("configured: partner-feed"), "{why}");
    }
}
