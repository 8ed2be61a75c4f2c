//! `propimport executions list|show`: the execution history from the command line, as a table
//! or as JSON (RFC 3339 times with offsets).

use std::process::ExitCode;

use propimport_domain::{
    Execution, ExecutionId, ExecutionStatus, ExecutionStore, HistoryQuery, JobName, PageLimit,
};
use propimport_persistence::SqlExecutionStore;
use serde_json::{Value, json};

use crate::config::Config;
use crate::serve::open;

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

fn rfc3339(t: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.to_rfc3339()))
}

fn to_json(e: &Execution, with_errors: bool) -> Value {
    let mut v = json!({
        "id": e.id.to_string(),
        "jobName": e.job_name.to_string(),
        "status": e.status.as_str(),
        "startedAt": rfc3339(Some(e.started_at)),
        "completedAt": rfc3339(e.completed_at),
        "durationMs": e.duration_ms,
        "totalProperties": e.counts.total_properties,
        "successCount": e.counts.success_count,
        "failedCount": e.counts.failed_count,
        "skippedCount": e.counts.skipped_count,
        "triggeredBy": e.triggered_by.as_str(),
        "consecutiveFailures": e.consecutive_failures,
        "lastError": e.last_error,
        "details": e.details,
    });
    if with_errors && let Some(map) = v.as_object_mut() {
        map.insert("errors".into(), json!(e.errors));
        map.insert("errorsOmitted".into(), json!(e.errors_omitted));
    }
    v
}

/// `executions list`.
pub async fn list(config: Config, args: ListArgs) -> anyhow::Result<ExitCode> {
    let query = HistoryQuery {
        limit: PageLimit::new(args.limit).map_err(|e| anyhow::anyhow!("--limit: {e}"))?,
        status: args
            .status
            .as_deref()
            .map(str::parse::<ExecutionStatus>)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--status: {e}"))?,
        job_name: args
            .job
            .as_deref()
            .map(JobName::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--job: {e}"))?,
        ..HistoryQuery::default()
    };
    let db = open(&config).await?;
    let page = SqlExecutionStore::new(db.clone()).history(&query).await?;
    db.close();
    if args.json {
        let rows: Vec<Value> = page.executions.iter().map(|e| to_json(e, false)).collect();
        println!(
            "{}",
            json!({"executions": rows, "total": page.pagination.total})
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<36}  {:<22}  {:<8}  {:<25}  {:>9}  {:>7}  {:>7}  {:>7}  {:<7}",
        "ID", "JOB", "STATUS", "STARTED", "DURATION", "SUCCESS", "FAILED", "SKIPPED", "BY"
    );
    for e in &page.executions {
        println!(
            "{:<36}  {:<22}  {:<8}  {:<25}  {:>9}  {:>7}  {:>7}  {:>7}  {:<7}",
            e.id.to_string(),
            e.job_name.to_string(),
            e.status.as_str(),
            e.started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            e.duration_ms
                .map_or_else(|| "-".to_owned(), |d| format!("{d} ms")),
            e.counts.success_count,
            e.counts.failed_count,
            e.counts.skipped_count,
            e.triggered_by.as_str(),
        );
    }
    println!(
        "{} of {} executions",
        page.executions.len(),
        page.pagination.total
    );
    Ok(ExitCode::SUCCESS)
}

/// `executions show ID`: exit code 1 when there is no such execution.
pub async fn show(config: Config, id: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let id = ExecutionId::parse(id).map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = open(&config).await?;
    let found = SqlExecutionStore::new(db.clone()).get(&id).await?;
    db.close();
    let Some(e) = found else {
        eprintln!("error: no execution {id}");
        return Ok(ExitCode::FAILURE);
    };
    if as_json {
        println!("{}", to_json(&e, true));
        return Ok(ExitCode::SUCCESS);
    }
    println!("execution  {}", e.id);
    println!("job        {}", e.job_name);
    println!("status     {}", e.status);
    println!("by         {}", e.triggered_by);
    println!("started    {}", e.started_at.to_rfc3339());
    if let Some(done) = e.completed_at {
        println!(
            "completed  {} ({} ms)",
            done.to_rfc3339(),
            e.duration_ms.unwrap_or(0)
        );
    }
    println!(
        "records    {} total, {} success, {} failed, {} skipped",
        e.counts.total_properties,
        e.counts.success_count,
        e.counts.failed_count,
        e.counts.skipped_count
    );
    if let Some(details) = &e.details {
        println!("details    {details}");
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
