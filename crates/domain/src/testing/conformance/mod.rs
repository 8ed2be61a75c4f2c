//! The conformance suite of [`ExecutionStore`]: one async function per rule, run by every
//! implementation through [`execution_store_conformance!`](crate::execution_store_conformance)
//! against a fresh, empty store each.

mod attempts;
mod control;
mod history;
mod lifecycle;
mod maintenance;
mod pinned;
mod reads;
mod statistics;
mod windows;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::{
    AuditOutcome, AuditQuery, Error, ErrorLog, Execution, ExecutionId, ExecutionStatus,
    ExecutionStore, FinishExecution, HistoryQuery, ItemError, JobName, NewAuditEntry, NewExecution,
    PageLimit, Progress, RetentionPolicy, RunCounts, StatisticsQuery, TimeRange, TriggeredBy,
    WindowDays,
};

pub use attempts::{failed_retries_keep_the_failure_count, tick_attempts_are_claimed_once};
pub use control::{
    cancel_refused_unless_running, cancel_request_is_seen_by_heartbeats,
    cancelled_run_finishes_as_failed, cancelled_stale_run_is_recovered,
    pause_and_resume_are_idempotent,
};
pub use history::{
    history_aggregates, history_filters_combine, history_omits_error_lists,
    history_pagination_edges,
};
pub use lifecycle::{
    concurrent_creators_one_wins, consecutive_failures_per_job, create_and_get,
    finish_records_the_outcome, heartbeat_writes_progress, one_running_per_job,
    tick_is_claimed_once,
};
pub use maintenance::{
    aggregates_follow_purge_and_recovery, audit_log_pages, retention_purges_by_status,
    stale_runs_are_recovered,
};
pub use reads::{
    job_outcomes_sum_up_each_job, last_is_newest, last_of_jobs_is_last_per_job,
    many_jobs_in_one_read, running_lists_in_progress,
};
pub use statistics::{statistics_by_job, statistics_window_and_timeline};
pub use windows::aggregates_match_every_window;

/// Gives a test its store; implemented by each backend's fixture (which may own a temp dir or a
/// database that it drops afterwards).
pub trait StoreFixture {
    /// The store under test.
    fn store(&self) -> &dyn ExecutionStore;
}

impl StoreFixture for super::InMemoryExecutionStore {
    fn store(&self) -> &dyn ExecutionStore {
        self
    }
}

/// Expands to one `#[test]` per conformance case. `run` is a function that drives a future to
/// completion (for example `futures::executor::block_on` or a Tokio runtime's `block_on`);
/// `store` is an expression giving a future of `Option<impl StoreFixture>`; `None` means the
/// backend is not available and the case returns (the fixture says so).
#[macro_export]
macro_rules! execution_store_conformance {
    (run = $run:path, store = $make:expr) => {
        $crate::execution_store_conformance!(@cases $run, $make;
            create_and_get, one_running_per_job, concurrent_creators_one_wins,
            tick_is_claimed_once, heartbeat_writes_progress, finish_records_the_outcome,
            consecutive_failures_per_job, last_is_newest, last_of_jobs_is_last_per_job,
            running_lists_in_progress, history_filters_combine, history_pagination_edges,
            history_aggregates, history_omits_error_lists, aggregates_match_every_window,
            statistics_window_and_timeline, statistics_by_job, stale_runs_are_recovered,
            retention_purges_by_status, aggregates_follow_purge_and_recovery, audit_log_pages,
            cancel_request_is_seen_by_heartbeats, cancel_refused_unless_running,
            cancelled_run_finishes_as_failed, cancelled_stale_run_is_recovered,
            pause_and_resume_are_idempotent, tick_attempts_are_claimed_once,
            failed_retries_keep_the_failure_count, job_outcomes_sum_up_each_job,
            many_jobs_in_one_read);
    };
    (@cases $run:path, $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $run(async {
                    let Some(fixture) = $make.await else { return };
                    let store = $crate::testing::conformance::StoreFixture::store(&fixture);
                    $crate::testing::conformance::$case(store).await;
                });
            }
        )*
    };
}

/// The base time of every case: 2025-01-30T10:00:00Z.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 30, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

pub(super) fn job(name: &str) -> JobName {
    JobName::parse(name).unwrap_or_else(|_| JobName::default_import())
}

pub(super) fn new_run(
    job_name: &JobName,
    started_at: DateTime<Utc>,
    by: TriggeredBy,
) -> NewExecution {
    NewExecution {
        id: ExecutionId::new(),
        job_name: job_name.clone(),
        triggered_by: by,
        started_at,
        scheduled_for: None,
        attempt: 1,
        instance_id: Some("test-instance".into()),
    }
}

pub(super) fn counts(total: i64, success: i64, failed: i64, skipped: i64) -> RunCounts {
    RunCounts {
        total_properties: total,
        success_count: success,
        failed_count: failed,
        skipped_count: skipped,
    }
}

pub(super) fn finish_with(
    status: ExecutionStatus,
    completed_at: DateTime<Utc>,
    c: RunCounts,
) -> FinishExecution {
    let mut errors = ErrorLog::default();
    if c.failed_count > 0 {
        errors.push(ItemError {
            external_id: Some("A-1".into()),
            stage: "map".into(),
            message: "price: not a number".into(),
        });
    }
    FinishExecution {
        status,
        completed_at,
        counts: c,
        errors,
        last_error: (status != ExecutionStatus::Success).then(|| format!("{status} run")),
        details: Some(serde_json::json!({"inserted": c.success_count})),
    }
}

/// Creates and finishes one run that took `duration_ms`.
pub(super) async fn run(
    store: &dyn ExecutionStore,
    job_name: &JobName,
    started_at: DateTime<Utc>,
    status: ExecutionStatus,
    c: RunCounts,
    by: TriggeredBy,
) -> Execution {
    let created = store
        .create_running(new_run(job_name, started_at, by))
        .await
        .expect("create");
    let done = finish_with(
        status,
        started_at + Duration::milliseconds(1000 + c.total_properties),
        c,
    );
    store
        .finish(&created.id, done)
        .await
        .expect("finish")
        .execution
}
