//! What a finished run leaves behind besides its record: one log line and its metrics.

use propimport_domain::{Execution, ExecutionStatus};

/// The log target of the "run finished" lines, so that a command printing its own summary of
/// the run (`propimport import`) can leave them out.
pub const RUN_LOG_TARGET: &str = "propimport::run";

/// Logs a finished run (WARN with its reason when FAILED, on [`RUN_LOG_TARGET`]) and counts it
/// in the metrics.
pub(super) fn record_finished(e: &Execution) {
    let duration_ms = e.duration_ms.unwrap_or(0);
    if e.status == ExecutionStatus::Failed {
        tracing::warn!(
            target: RUN_LOG_TARGET,
            execution_id = %e.id,
            job_name = %e.job_name,
            status = %e.status,
            duration_ms,
            total = e.counts.total_properties,
            failed = e.counts.failed_count,
            reason = e.last_error.as_deref().unwrap_or("unknown"),
            "run finished"
        );
    } else {
        tracing::info!(
            target: RUN_LOG_TARGET,
            execution_id = %e.id,
            job_name = %e.job_name,
            status = %e.status,
            duration_ms,
            total = e.counts.total_properties,
            success = e.counts.success_count,
            failed = e.counts.failed_count,
            skipped = e.counts.skipped_count,
            last_error = e.last_error.as_deref(),
            "run finished"
        );
    }
    let job = e.job_name.to_string();
    // Label values are lower-case, as Prometheus conventions have them.
    metrics::counter!("propimport_runs_total", "job_name" => job.clone(), "status" => e.status.as_str().to_ascii_lowercase())
        .increment(1);
    if let Some(ms) = e.duration_ms {
        #[expect(clippy::cast_precision_loss, reason = "durations far below 2^52 ms")]
        metrics::histogram!("propimport_run_duration_seconds", "job_name" => job.clone())
            .record(ms as f64 / 1000.0);
    }
    // Failures in a row are not recorded here: `/metrics` reads them from the database on
    // each scrape (the same value on every replica), and a second series would duplicate it.
    for (outcome, n) in [
        ("success", e.counts.success_count),
        ("failed", e.counts.failed_count),
        ("skipped", e.counts.skipped_count),
    ] {
        metrics::counter!("propimport_properties_total", "job_name" => job.clone(), "outcome" => outcome)
            .increment(u64::try_from(n).unwrap_or(0));
    }
}
