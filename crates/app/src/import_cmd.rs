//! `propimport import`: one tracked run now, with progress on the terminal and a summary.

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use propimport_domain::{
    CancelToken, Clock, Error, Execution, ExecutionStatus, ExecutionStore, SystemClock, TriggeredBy,
};
use propimport_persistence::SqlExecutionStore;
use propimport_scheduler::{Alerts, RunSettings, TrackedRunner, default_instance_id};

use crate::config::Config;
use crate::serve::{import_jobs, open, shutdown_signal};

/// Exit code when a run of the job is already in progress.
const EXIT_ALREADY_RUNNING: u8 = 3;

/// Runs the named source (or every source, one after another) now.
pub async fn import(
    config: Config,
    source: Option<String>,
    skip_images: bool,
) -> anyhow::Result<ExitCode> {
    let db = open(&config).await?;
    let store: Arc<dyn ExecutionStore> = Arc::new(SqlExecutionStore::new(db.clone()));
    let mut jobs = import_jobs(&config, &db, skip_images || config.skip_images)?;
    if let Some(name) = &source {
        jobs.retain(|j| j.job.name().as_str() == name);
        if jobs.is_empty() {
            let known: Vec<String> = config
                .sources
                .iter()
                .map(|s| s.config.name.to_string())
                .collect();
            anyhow::bail!(
                "no source named {name:?} (configured: {})",
                known.join(", ")
            );
        }
    }
    if jobs.is_empty() {
        anyhow::bail!(
            "no import source is configured: set IMPORT_SOURCE_URL or IMPORT_SOURCES_FILE (see .env.example)"
        );
    }
    let s = &config.scheduling;
    let runner = TrackedRunner::new(
        store.clone(),
        Arc::new(SystemClock) as Arc<dyn Clock>,
        Arc::new(Alerts::new(s.alerts, None)),
        RunSettings {
            instance_id: default_instance_id(),
            heartbeat_interval: Duration::from_secs(1),
            max_duration: s.max_run_duration,
            cancel_overlong: s.cancel_overlong,
        },
    );
    let lease = chrono::Duration::from_std(s.lease)?;
    let cancel = CancelToken::new();
    let mut worst = ExitCode::SUCCESS;
    let mut worst_rank = 0;
    for scheduled in jobs {
        store.recover_stale(chrono::Utc::now(), lease, &[]).await?;
        let name = scheduled.job.name().clone();
        let run = runner.run_tracked(scheduled.job, TriggeredBy::Manual, None, cancel.clone());
        let outcome = with_progress(run, store.as_ref(), &name, &cancel).await;
        let (rank, code) = match outcome {
            Ok(finished) => {
                print_summary(&finished.execution);
                match finished.execution.status {
                    ExecutionStatus::Success => (0, ExitCode::SUCCESS),
                    ExecutionStatus::Partial => (1, ExitCode::from(2)),
                    _ => (2, ExitCode::FAILURE),
                }
            }
            Err(Error::AlreadyRunning { execution_id, .. }) => {
                eprintln!("{name}: a run is already in progress (execution {execution_id})");
                (3, ExitCode::from(EXIT_ALREADY_RUNNING))
            }
            Err(e) => return Err(e.into()),
        };
        if rank > worst_rank {
            (worst_rank, worst) = (rank, code);
        }
    }
    db.close();
    Ok(worst)
}

/// Awaits the run, printing progress each second and cancelling it on Ctrl+C or SIGTERM.
async fn with_progress<F>(
    run: F,
    store: &dyn ExecutionStore,
    name: &propimport_domain::JobName,
    cancel: &CancelToken,
) -> F::Output
where
    F: Future,
{
    let terminal = std::io::stderr().is_terminal();
    let mut run = std::pin::pin!(run);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut signal = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            out = &mut run => {
                if terminal {
                    eprint!("\r\x1b[2K");
                }
                return out;
            }
            () = &mut signal, if !cancel.is_cancelled() => {
                eprintln!("\ninterrupted: stopping the import (what was stored stays stored)");
                cancel.cancel();
            }
            _ = tick.tick() => {
                if let Ok(running) = store.running(Some(name)).await
                    && let Some(e) = running.first()
                    && e.counts.total_properties > 0
                {
                    let c = e.counts;
                    let line = format!("{name}: {} records, {} stored, {} unchanged, {} failed", c.total_properties, c.success_count, c.skipped_count, c.failed_count);
                    if terminal { eprint!("\r\x1b[2K{line}") } else { eprintln!("{line}") }
                }
            }
        }
    }
}

fn print_summary(e: &Execution) {
    let detail = |key: &str| {
        e.details
            .as_ref()
            .and_then(|d| d.get(key))
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0)
    };
    println!(
        "{}  {}  ({} ms, execution {})",
        e.job_name,
        e.status,
        e.duration_ms.unwrap_or(0),
        e.id
    );
    println!("  records    {:>8}", e.counts.total_properties);
    println!("  inserted   {:>8}", detail("inserted"));
    println!("  updated    {:>8}", detail("updated"));
    println!("  unchanged  {:>8}", e.counts.skipped_count);
    println!("  failed     {:>8}", e.counts.failed_count);
    println!("  withdrawn  {:>8}", detail("withdrawn"));
    println!(
        "  images     {:>8} stored, {} failed, {} kept",
        detail("imagesStored"),
        detail("imagesFailed"),
        detail("imagesSkipped")
    );
    if let Some(blocked) = e
        .details
        .as_ref()
        .and_then(|d| d.get("withdrawalBlocked"))
        .and_then(|v| v.as_str())
    {
        println!("  note: {blocked}");
    }
    for item in e.errors.iter().take(5) {
        println!(
            "  error: {} [{}] {}",
            item.external_id.as_deref().unwrap_or("-"),
            item.stage,
            item.message
        );
    }
    if let Some(last) = &e.last_error
        && e.status == ExecutionStatus::Failed
    {
        println!("  error: {last}");
    }
}
