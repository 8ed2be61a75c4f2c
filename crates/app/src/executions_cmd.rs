//! `propimport executions list|show|cancel`: the execution history from the command line, as a
//! table or as the API's JSON documents (its `dto` views, times in UTC as `…Z`), and the cancel
//! of a running execution.

use std::process::ExitCode;

use propimport_domain::{
    AuditOutcome, CancelRequest, Error, Execution, ExecutionId, ExecutionStatus, ExecutionStore,
    HistoryPage, HistoryQuery, JobName, PageLimit,
};
use propimport_http_api::dto::{ExecutionDetail, HistoryView};
use propimport_persistence::SqlExecutionStore;

use crate::config::Config;
use crate::database::open;
use crate::usage::usage;

/// What `executions list` asks for.
#[derive(Debug, Clone)]
pub struct ListArgs {
    /// Only this status.
    pub status: Option<String>,
    /// Only this job.
    pub job: Option<String>,
    /// At most this many, newest first.
    pub limit: i64,
    /// JSON instead of a table.
    pub json: bool,
}

/// The JSON of `executions show`: the API's document of the execution (the `data` of
/// `GET /api/v1/admin/import-jobs/{executionId}`).
pub fn execution_json(e: &Execution) -> serde_json::Result<String> {
    serde_json::to_string(&ExecutionDetail::from(e))
}

/// The JSON of `executions list`: the API's document of a history page (the `data` of
/// `GET /api/v1/admin/import-jobs/history`).
fn history_json(page: &HistoryPage) -> serde_json::Result<String> {
    serde_json::to_string(&HistoryView::from(page))
}

/// `executions list`: exit code 2 for a bad filter or an unknown job.
pub async fn list(config: Config, args: ListArgs) -> anyhow::Result<ExitCode> {
    let query = HistoryQuery {
        limit: PageLimit::new(args.limit).map_err(|e| usage(format!("--limit: {e}")))?,
        status: args
            .status
            .as_deref()
            .map(str::parse::<ExecutionStatus>)
            .transpose()
            .map_err(|e| usage(format!("--status: {e}")))?,
        job_name: args
            .job
            .as_deref()
            .map(JobName::parse)
            .transpose()
            .map_err(|e| usage(format!("--job: {e}")))?,
        ..HistoryQuery::default()
    };
    let db = open(&config).await?;
    let store = SqlExecutionStore::new(db.clone());
    let result = list_on(&config, &store, &query, args.json).await;
    db.close();
    result
}

async fn list_on(
    config: &Config,
    store: &SqlExecutionStore,
    query: &HistoryQuery,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let page = store.history(query).await?;
    if let Some(job) = &query.job_name
        && page.pagination.total == 0
        && let Err(unknown) = crate::jobs_cmd::find(config, job.as_str())
    {
        // Not configured and never run: most likely a typo.
        return Err(usage(format!("--job: {unknown}")));
    }
    if as_json {
        println!("{}", history_json(&page)?);
        return Ok(ExitCode::SUCCESS);
    }
    crate::executions_table::print(&page.executions);
    let total = page.pagination.total;
    println!(
        "{} of {total} {}",
        page.executions.len(),
        if total == 1 {
            "execution"
        } else {
            "executions"
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// `executions show ID` (a whole id or a unique start of one): exit code 1 when there is
/// no such execution, 2 when the start names none or several.
pub async fn show(config: Config, id: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let db = open(&config).await?;
    let store = SqlExecutionStore::new(db.clone());
    let found = match crate::execution_ids::find(&store, id).await {
        Ok(id) => store
            .get(&id)
            .await
            .map(|e| (id, e))
            .map_err(anyhow::Error::from),
        Err(e) => Err(e),
    };
    db.close();
    let (id, found) = found?;
    let Some(e) = found else {
        eprintln!("error: no execution {id}");
        return Ok(ExitCode::FAILURE);
    };
    if as_json {
        println!("{}", execution_json(&e)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("execution  {}", e.id);
    println!("job        {}", e.job_name);
    println!("status     {}", e.status);
    println!("by         {}", e.triggered_by);
    if e.attempt > 1 {
        println!("attempt    {} (a retry of the failed tick)", e.attempt);
    }
    println!("started    {}", e.started_at.to_rfc3339());
    if let Some(done) = e.completed_at {
        println!(
            "completed  {} ({} ms)",
            done.to_rfc3339(),
            e.duration_ms.unwrap_or(0)
        );
    }
    let words = crate::executions_table::Outcome::of(&e);
    println!(
        "records    {} total: {} new, {} updated, {} unchanged, {} failed, {} withdrawn",
        e.counts.total_properties,
        words.new,
        words.updated,
        e.counts.skipped_count,
        e.counts.failed_count,
        words.withdrawn
    );
    if let Some(details) = &e.details {
        println!("details    {details}");
    }
    if let Some(c) = &e.cancel_requested {
        println!("cancel     requested by {} at {}", c.by, c.at.to_rfc3339());
    }
    if let Some(last) = &e.last_error {
        println!("last error {last}");
    }
    for item in &e.errors {
        println!(
            "  error {} [{}] {}",
            item.external_id.as_deref().unwrap_or("-"),
            item.stage,
            item.message
        );
    }
    if e.errors_omitted > 0 {
        println!("  … and {} more errors not stored", e.errors_omitted);
    }
    Ok(ExitCode::SUCCESS)
}

/// `executions cancel ID`: asks for the RUNNING execution (a whole id, or the unique start
/// of a running one's) to be cancelled; the instance running it stops it within one
/// heartbeat. Exit code 1 when it is unknown or not running. Audited as `cli:<user>`.
pub async fn cancel(config: Config, id: &str) -> anyhow::Result<ExitCode> {
    let db = open(&config).await?;
    let store = SqlExecutionStore::with_read_cache_ttl(db.clone(), std::time::Duration::ZERO);
    let result = cancel_on(&store, id).await;
    db.close();
    result
}

async fn cancel_on(store: &SqlExecutionStore, id: &str) -> anyhow::Result<ExitCode> {
    let audit = |job: Option<JobName>,
                 execution: Option<ExecutionId>,
                 outcome: AuditOutcome,
                 detail: String| {
        crate::jobs_cmd::audit(store, "cancel", job, execution, outcome, detail)
    };
    let running: Vec<ExecutionId> = store.running(None).await?.iter().map(|e| e.id).collect();
    let id = match crate::execution_ids::find_running(id, &running) {
        Ok(id) => id,
        Err(why) => {
            audit(None, None, AuditOutcome::Refused, why.clone()).await;
            eprintln!("error: {why}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let actor = crate::jobs_cmd::cli_actor();
    let request = CancelRequest::new(actor.clone(), chrono::Utc::now());
    match store.request_cancel(&id, &request).await {
        Ok(e) => {
            let first = e.cancel_requested.clone().unwrap_or(request);
            let detail = if first.by == actor {
                "cancel requested".to_owned()
            } else {
                format!("cancel already requested by {}", first.by)
            };
            audit(
                Some(e.job_name.clone()),
                Some(id),
                AuditOutcome::Accepted,
                detail,
            )
            .await;
            println!(
                "cancel of execution {id} ({}) requested by {} at {}",
                e.job_name,
                first.by,
                first.at.to_rfc3339()
            );
            println!(
                "the instance running it ({}) stops it within one heartbeat (IMPORT_HEARTBEAT_INTERVAL) and records it FAILED \"{}\"",
                e.instance_id.as_deref().unwrap_or("unknown"),
                first.last_error()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (Error::NotFound(_) | Error::NotRunning { .. })) => {
            let job = store.get(&id).await.ok().flatten().map(|x| x.job_name);
            audit(job, Some(id), AuditOutcome::Refused, e.to_string()).await;
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            audit(None, Some(id), AuditOutcome::Failed, e.to_string()).await;
            Err(e.into())
        }
    }
}
