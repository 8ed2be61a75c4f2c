//! `propimport jobs pause|resume`: the configured jobs' pauses, from the command line
//! (`jobs list` is `jobs_list.rs`), written straight to the database (every replica of a running service obeys from its
//! next tick). Each pause and resume, and each refused one, is written to the admin audit log
//! with the actor `cli:<user>`.

use std::process::ExitCode;

use chrono::{SubsecRound as _, Utc};
use propimport_domain::{
    AuditOutcome, ExecutionId, ExecutionStore, JobName, JobPause, NewAuditEntry, format_utc_millis,
};
use propimport_persistence::SqlExecutionStore;
use propimport_scheduler::CronSchedule;

use crate::config::Config;
use crate::database::open;

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
pub(crate) fn configured(config: &Config) -> Vec<(JobName, CronSchedule)> {
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

/// "paused by … since …: reason".
pub(crate) fn pause_text(p: &JobPause) -> String {
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
