//! How a job's end becomes the record of its run: the status, the counts and the `lastError`
//! that say what happened.

use std::any::Any;

use chrono::{DateTime, Utc};
use propimport_domain::{
    CancelRequest, ErrorLog, ExecutionStatus, FinishExecution, ItemError, JobError, JobReport,
    RunCounts,
};

/// The `lastError` of a run cancelled by shutdown.
pub const INTERRUPTED: &str = "interrupted by shutdown";

/// The `lastError` of a run still going when a second shutdown signal forced the exit.
pub const FORCED_SHUTDOWN: &str = "interrupted: forced shutdown";

/// Why a run was stopped from outside before its job ended by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// It ran to its end.
    None,
    /// Shutdown cancelled it after the grace period.
    Shutdown,
    /// It lost its lease (another instance recorded it); its record is not ours to write.
    LeaseLost,
    /// It ran past the maximum duration and was cancelled for it; the text says so.
    Overlong(String),
    /// An operator asked for it to be cancelled (seen with a heartbeat).
    Cancelled(CancelRequest),
}

/// The record of a run that ended with `outcome` at `completed_at`; `so_far` are the live
/// counts, used when the job did not report its own.
pub(crate) fn finish_of(
    outcome: Result<Result<JobReport, JobError>, tokio::task::JoinError>,
    so_far: RunCounts,
    stop: &Stop,
    completed_at: DateTime<Utc>,
) -> FinishExecution {
    let failed = |counts: RunCounts, errors: ErrorLog, message: String, details| {
        failure(counts, errors, message, details, completed_at)
    };
    let stopped = match stop {
        Stop::Shutdown => Some(INTERRUPTED.to_owned()),
        Stop::Overlong(why) => Some(why.clone()),
        Stop::Cancelled(request) => Some(request.last_error()),
        Stop::None | Stop::LeaseLost => None,
    };
    match (outcome, stopped) {
        (Ok(Ok(report)), Some(why)) => failed(report.counts, report.errors, why, report.details),
        (Ok(Ok(report)), None) => finished(report, completed_at),
        (Ok(Err(e)), Some(why)) => failed(so_far, e.errors, format!("{why}: {}", e.message), None),
        (Ok(Err(e)), None) => failed(so_far, e.errors, e.message, None),
        (Err(join), _) => {
            let message = match join.try_into_panic() {
                Ok(payload) => format!("job panicked: {}", panic_message(payload.as_ref())),
                Err(join) => format!("job task ended abnormally: {join}"),
            };
            failed(so_far, ErrorLog::default(), message, None)
        }
    }
}

/// A FAILED record whose `lastError` is `message` (also added to the error list).
pub(crate) fn failure(
    counts: RunCounts,
    mut errors: ErrorLog,
    message: String,
    details: Option<serde_json::Value>,
    completed_at: DateTime<Utc>,
) -> FinishExecution {
    errors.push(ItemError {
        external_id: None,
        stage: "job".into(),
        message: message.clone(),
    });
    FinishExecution {
        status: ExecutionStatus::Failed,
        completed_at,
        counts,
        errors,
        last_error: Some(message),
        details,
    }
}

/// The record of a job that ran to its end: SUCCESS when nothing failed; PARTIAL when some
/// records failed or the job reports a warning; FAILED when every record it read failed.
fn finished(report: JobReport, completed_at: DateTime<Utc>) -> FinishExecution {
    let counts = report.counts;
    let last_item = report.errors.items.last().map(|e| match &e.external_id {
        Some(id) => format!("{id}: {}: {}", e.stage, e.message),
        None => format!("{}: {}", e.stage, e.message),
    });
    if counts.failed_count > 0 && counts.failed_count >= counts.total_properties {
        let message = format!(
            "every record failed ({} of {}){}",
            counts.failed_count,
            counts.total_properties,
            last_item
                .map(|l| format!("; last: {l}"))
                .unwrap_or_default()
        );
        return failure(counts, report.errors, message, report.details, completed_at);
    }
    let status = if counts.failed_count > 0 || report.warning.is_some() {
        ExecutionStatus::Partial
    } else {
        ExecutionStatus::Success
    };
    FinishExecution {
        status,
        completed_at,
        counts,
        errors: report.errors,
        last_error: report.warning.or(last_item),
        details: report.details,
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text panic payload".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(total: i64, failed: i64, warning: Option<&str>) -> JobReport {
        let mut errors = ErrorLog::default();
        for i in 0..failed {
            errors.push(ItemError {
                external_id: Some(format!("L-{i}")),
                stage: "map".into(),
                message: "no price".into(),
            });
        }
        JobReport {
            counts: RunCounts {
                total_properties: total,
                success_count: total - failed,
                failed_count: failed,
                skipped_count: 0,
            },
            errors,
            details: None,
            warning: warning.map(str::to_owned),
        }
    }

    fn of(report: JobReport) -> FinishExecution {
        finish_of(
            Ok(Ok(report)),
            RunCounts::default(),
            &Stop::None,
            Utc::now(),
        )
    }

    #[test]
    fn a_clean_run_succeeds() {
        let f = of(report(5, 0, None));
        assert_eq!(f.status, ExecutionStatus::Success);
        assert_eq!(f.last_error, None);
    }

    #[test]
    fn some_failed_records_make_it_partial_with_the_last_one() {
        let f = of(report(5, 2, None));
        assert_eq!(f.status, ExecutionStatus::Partial);
        assert_eq!(f.last_error.as_deref(), Some("L-1: map: no price"));
    }

    #[test]
    fn every_record_failing_is_a_failure() {
        let f = of(report(3, 3, None));
        assert_eq!(f.status, ExecutionStatus::Failed);
        assert_eq!(
            f.last_error.as_deref(),
            Some("every record failed (3 of 3); last: L-2: map: no price")
        );
        assert_eq!(f.counts.failed_count, 3, "the counts are kept");
    }

    #[test]
    fn a_warning_makes_a_clean_run_partial_and_is_its_last_error() {
        let f = of(report(5, 0, Some("withdrawals held back")));
        assert_eq!(f.status, ExecutionStatus::Partial);
        assert_eq!(f.last_error.as_deref(), Some("withdrawals held back"));
        let f = of(report(5, 1, Some("withdrawals held back")));
        assert_eq!(f.last_error.as_deref(), Some("withdrawals held back"));
    }

    #[test]
    fn an_overlong_stop_says_so() {
        let f = finish_of(
            Ok(Ok(report(5, 0, None))),
            RunCounts::default(),
            &Stop::Overlong("cancelled: ran longer than 1h".into()),
            Utc::now(),
        );
        assert_eq!(f.status, ExecutionStatus::Failed);
        assert_eq!(
            f.last_error.as_deref(),
            Some("cancelled: ran longer than 1h")
        );
        assert_eq!(f.counts.total_properties, 5);
    }

    #[test]
    fn an_operators_cancel_names_them_and_keeps_the_counts() {
        let stop = Stop::Cancelled(CancelRequest::new("jwt:ana", Utc::now()));
        let f = finish_of(
            Ok(Ok(report(7, 1, None))),
            RunCounts::default(),
            &stop,
            Utc::now(),
        );
        assert_eq!(f.status, ExecutionStatus::Failed);
        assert_eq!(f.last_error.as_deref(), Some("cancelled by jwt:ana"));
        assert_eq!(f.counts.total_properties, 7);
        let failed = finish_of(
            Ok(Err(JobError::new("feed closed"))),
            RunCounts::default(),
            &stop,
            Utc::now(),
        );
        assert_eq!(
            failed.last_error.as_deref(),
            Some("cancelled by jwt:ana: feed closed")
        );
    }
}
