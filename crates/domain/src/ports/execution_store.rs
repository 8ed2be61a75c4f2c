//! The execution history port.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::{
    AuditEntry, AuditPage, AuditQuery, CancelRequest, Execution, ExecutionId, ExecutionStatus,
    FinishExecution, FinishedRun, HistoryPage, HistoryQuery, JobName, JobOutcome, JobPause,
    NewAuditEntry, NewExecution, PageLimit, Progress, PurgeReport, Result, RetentionPolicy,
    Statistics, StatisticsQuery,
};

/// Stores execution records and the admin audit log.
///
/// Every implementation passes the conformance suite in `testing::conformance`; the rules it
/// pins are summed up here.
/// - At most one RUNNING execution per job; [`ExecutionStore::create_running`] fails with
///   [`crate::Error::AlreadyRunning`] (naming the running one) otherwise, decided atomically by
///   the store so that replicas sharing it agree.
/// - At most one execution per (job, scheduled tick): [`crate::Error::TickAlreadyClaimed`],
///   which takes precedence over `AlreadyRunning` when both apply.
/// - Finishing computes `consecutive_failures` from the job's previous finished run.
/// - Purges never touch RUNNING executions.
/// - A cancel request is recorded on a RUNNING execution only, and returned by every later
///   heartbeat of it; the run ends through the ordinary finish.
/// - A job's pause is kept until it is resumed; pausing a paused job keeps its first pause.
#[async_trait]
pub trait ExecutionStore: Send + Sync {
    /// Records a new RUNNING execution.
    async fn create_running(&self, new: NewExecution) -> Result<Execution>;

    /// Writes live progress and a heartbeat, and gives the cancel request recorded on the
    /// execution, if any (the runner then stops the job); fails with
    /// [`crate::Error::NotRunning`] when the execution is no longer RUNNING (recovered as
    /// abandoned), so the runner can stop.
    async fn heartbeat(
        &self,
        id: &ExecutionId,
        progress: &Progress,
        at: DateTime<Utc>,
    ) -> Result<Option<CancelRequest>>;

    /// Records a request to cancel the RUNNING execution `id` (a first request is kept, a
    /// later one changes nothing) and gives the execution as it is now; the instance running
    /// it sees the request at its next heartbeat. Fails with [`crate::Error::NotFound`], or
    /// [`crate::Error::NotRunning`] when the execution has ended.
    async fn request_cancel(&self, id: &ExecutionId, request: &CancelRequest) -> Result<Execution>;

    /// Pauses a job: every instance skips its scheduled ticks until it is resumed. Gives the
    /// pause as stored: a job already paused keeps its first pause.
    async fn pause_job(&self, pause: &JobPause) -> Result<JobPause>;

    /// Resumes a job; gives the pause it lifted (`None` when the job was not paused).
    async fn resume_job(&self, job_name: &JobName) -> Result<Option<JobPause>>;

    /// Every paused job, by name, in one read.
    async fn paused_jobs(&self) -> Result<Vec<JobPause>>;

    /// Finishes a RUNNING execution.
    async fn finish(&self, id: &ExecutionId, finish: FinishExecution) -> Result<FinishedRun>;

    /// One execution with its full error list.
    async fn get(&self, id: &ExecutionId) -> Result<Option<Execution>>;

    /// The most recently started execution, of one job or of any.
    async fn last(&self, job_name: Option<&JobName>) -> Result<Option<Execution>>;

    /// The most recently started execution of each of `jobs`, in the order of `jobs` (a job
    /// without any execution, or named twice, appears at most once), in one read where the
    /// store can: what [`ExecutionStore::last`] gives for each job.
    async fn last_of_jobs(&self, jobs: &[JobName]) -> Result<Vec<Execution>> {
        let mut out: Vec<Execution> = Vec::with_capacity(jobs.len());
        for job in jobs {
            if out.iter().any(|e| &e.job_name == job) {
                continue;
            }
            if let Some(e) = self.last(Some(job)).await? {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// What the executions of each of `jobs` say (see [`JobOutcome`]): in the order of `jobs`,
    /// once per job, leaving out jobs that never ran. For views and gauges over many jobs, so
    /// a store reads them in as few statements as it can; this default asks
    /// [`ExecutionStore::last_of_jobs`] and, for a job whose newest run is not a success, the
    /// history.
    async fn job_outcomes(&self, jobs: &[JobName]) -> Result<Vec<JobOutcome>> {
        let newest = self.last_of_jobs(jobs).await?;
        let mut out = Vec::with_capacity(newest.len());
        for e in &newest {
            out.push(outcome_from_history(self, e).await?);
        }
        Ok(out)
    }

    /// The RUNNING executions, of one job or of all, oldest first.
    async fn running(&self, job_name: Option<&JobName>) -> Result<Vec<Execution>>;

    /// A page of history with aggregates over every match; executions carry no error list.
    async fn history(&self, query: &HistoryQuery) -> Result<HistoryPage>;

    /// Statistics over a window of days.
    async fn statistics(&self, query: &StatisticsQuery) -> Result<Statistics>;

    /// Whether the tick already has an execution.
    async fn tick_claimed(&self, job_name: &JobName, scheduled_for: DateTime<Utc>) -> Result<bool>;

    /// Marks FAILED ("abandoned: …") every RUNNING execution whose heartbeat is older than
    /// `now - lease`, except those in `keep` (the caller's own live runs, which may only have
    /// been unable to write their heartbeat), and returns them as finished. A recovered run
    /// ends at its last heartbeat (its start when it never beat): see
    /// [`abandoned_finish`].
    async fn recover_stale(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        keep: &[ExecutionId],
    ) -> Result<Vec<Execution>>;

    /// Deletes finished executions older than the policy allows, in batches.
    async fn purge(&self, policy: &RetentionPolicy, now: DateTime<Utc>) -> Result<PurgeReport>;

    /// Records an admin audit entry.
    async fn record_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry>;

    /// A page of the audit log, newest first.
    async fn audit_log(&self, query: &AuditQuery) -> Result<AuditPage>;

    /// Checks that the store answers (for readiness probes).
    async fn ping(&self) -> Result<()>;
}

/// The outcome of `newest`'s job, from `newest` and, when it is not a success, the newest
/// finished run and the newest SUCCESS and PARTIAL runs of the history.
async fn outcome_from_history<S: ExecutionStore + ?Sized>(
    store: &S,
    newest: &Execution,
) -> Result<JobOutcome> {
    let job = &newest.job_name;
    let page = |status: Option<ExecutionStatus>, limit: i64| HistoryQuery {
        limit: PageLimit::new(limit).unwrap_or_default(),
        status,
        job_name: Some(job.clone()),
        ..HistoryQuery::default()
    };
    let finished = if newest.status.is_finished() {
        Some(newest.clone())
    } else {
        // One RUNNING execution per job at most: the newest finished is among the newest two.
        let two = store.history(&page(None, 2)).await?;
        two.executions.into_iter().find(|e| e.status.is_finished())
    };
    let last_success_at = match newest.status {
        ExecutionStatus::Success | ExecutionStatus::Partial => newest.completed_at,
        _ => {
            let mut latest = None;
            for status in [ExecutionStatus::Success, ExecutionStatus::Partial] {
                let one = store.history(&page(Some(status), 1)).await?;
                latest = latest.max(one.executions.first().and_then(|e| e.completed_at));
            }
            latest
        }
    };
    Ok(JobOutcome {
        job_name: job.clone(),
        last_status: newest.status,
        last_finished: finished.as_ref().map(|e| e.status),
        consecutive_failures: finished.as_ref().map_or(0, |e| e.consecutive_failures),
        last_success_at,
    })
}

/// How a RUNNING execution recovered as abandoned is finished: FAILED at its last heartbeat
/// (or its start when it never beat, so its duration is what it is known to have run), with
/// its counts so far and an "abandoned" `last_error`.
pub fn abandoned_finish(e: &Execution) -> FinishExecution {
    FinishExecution {
        status: crate::ExecutionStatus::Failed,
        completed_at: e.heartbeat_at.unwrap_or(e.started_at).max(e.started_at),
        counts: e.counts,
        errors: crate::ErrorLog::default(),
        last_error: Some(abandoned_message(e)),
        details: e.details.clone(),
    }
}

/// The `last_error` of an execution recovered as abandoned.
pub fn abandoned_message(e: &Execution) -> String {
    let heartbeat = e
        .heartbeat_at
        .map_or_else(|| "never".to_owned(), |t| crate::format_utc_millis(&t));
    match &e.instance_id {
        Some(instance) => {
            format!("abandoned: no heartbeat since {heartbeat} from instance {instance}")
        }
        None => format!("abandoned: no heartbeat since {heartbeat}"),
    }
}
