//! `propimport import`: one tracked run now, with progress on the terminal and a summary.

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use propimport_domain::{
    CancelToken, Clock, Execution, ExecutionStatus, ExecutionStore, ProgressHandle, SystemClock,
    TriggerRefusal, TriggeredBy,
};
use propimport_persistence::SqlExecutionStore;
use propimport_scheduler::{Alerts, RunSettings, TrackedRunner, default_instance_id};

use crate::config::Config;
use crate::database::open;
use crate::import_job::import_jobs;
use crate::import_progress::{Shown, Style};
use crate::serve::shutdown_signal;

/// Exit code when a run of the job is already in progress.
const EXIT_ALREADY_RUNNING: u8 = 3;

/// Runs the named source (or every source, one after another) now.
pub async fn import(
    config: Config,
    source: Option<String>,
    skip_images: bool,
    progress_every: Duration,
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
            store_retry: config.retrying.store.clone(),
        },
    );
    let lease = chrono::Duration::from_std(s.lease)?;
    let cancel = CancelToken::new();
    let style = if std::io::stderr().is_terminal() {
        Style::Bar
    } else {
        Style::Lines {
            every: progress_every,
        }
    };
    let mut worst = ExitCode::SUCCESS;
    let mut worst_rank = 0;
    for scheduled in jobs {
        store.recover_stale(chrono::Utc::now(), lease, &[]).await?;
        let name = scheduled.job.name().clone();
        let begun = runner.begin(scheduled.job, TriggeredBy::Manual, None).await;
        let (rank, code) = match begun.map_err(TriggerRefusal::from) {
            Ok(started) => {
                let shown = Shown::start(name.clone(), started.execution.started_at, style);
                let progress = started.progress.clone();
                let run = runner.drive(started, cancel.clone());
                let finished = with_progress(run, shown, &progress, &cancel).await?;
                print_summary(&finished.execution);
                match finished.execution.status {
                    ExecutionStatus::Success => (0, ExitCode::SUCCESS),
                    ExecutionStatus::Partial => (1, ExitCode::from(2)),
                    _ => (2, ExitCode::FAILURE),
                }
            }
            Err(TriggerRefusal::AlreadyRunning { execution_id, .. }) => {
                eprintln!("{name}: a run is already in progress (execution {execution_id})");
                (3, ExitCode::from(EXIT_ALREADY_RUNNING))
            }
            Err(refusal) => return Err(refusal.into()),
        };
        if rank > worst_rank {
            (worst_rank, worst) = (rank, code);
        }
    }
    db.close();
    Ok(worst)
}

/// Awaits the run, showing its progress from memory (every 200 ms on a terminal, a line
/// every so often otherwise) and cancelling it on Ctrl+C or SIGTERM. Log lines written
/// meanwhile (the run's end among them) go above the bar, which is cleared before the
/// summary.
async fn with_progress<F>(
    run: F,
    mut shown: Shown,
    progress: &ProgressHandle,
    cancel: &CancelToken,
) -> F::Output
where
    F: Future,
{
    let mut run = std::pin::pin!(run);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut signal = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            out = &mut run => {
                shown.finish();
                return out;
            }
            () = &mut signal, if !cancel.is_cancelled() => {
                shown.say("interrupted: stopping the import (what was stored stays stored)");
                cancel.cancel();
            }
            _ = tick.tick() => shown.show(&progress.get(), chrono::Utc::now()),
        }
    }
}

/// The run's summary on stdout, in words: new, updated, unchanged, failed and withdrawn
/// listings, how long it took and how fast; a FAILED run's reason once, and the first item
/// errors.
fn print_summary(e: &Execution) {
    let detail = |key: &str| {
        e.details
            .as_ref()
            .and_then(|d| d.get(key))
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0)
    };
    let ms = e.duration_ms.unwrap_or(0).max(0);
    let elapsed = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    let took = if ms < 1000 {
        format!("{ms} ms")
    } else {
        crate::import_progress::duration(elapsed)
    };
    #[expect(
        clippy::cast_precision_loss,
        reason = "counts and milliseconds far below 2^52"
    )]
    let rate = if ms > 0 {
        e.counts.total_properties as f64 * 1000.0 / ms as f64
    } else {
        0.0
    };
    println!(
        "{}  {}  (in {took}, {rate:.0} records/s, execution {})",
        e.job_name, e.status, e.id
    );
    println!("  records    {:>8}", e.counts.total_properties);
    println!("  new        {:>8}", detail("inserted"));
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
    let reason = e
        .last_error
        .as_deref()
        .filter(|_| e.status == ExecutionStatus::Failed);
    if let Some(reason) = reason {
        println!("  error: {reason}");
    }
    // The reason of a FAILED run is also its last item error (stage "job"): shown once.
    let items = e
        .errors
        .iter()
        .filter(|item| reason != Some(item.message.as_str()));
    for item in items.take(5) {
        println!(
            "  error: {} [{}] {}",
            item.external_id.as_deref().unwrap_or("-"),
            item.stage,
            item.message
        );
    }
}
