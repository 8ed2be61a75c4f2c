//! An in-memory [`ExecutionStore`], the reference the SQL stores are held to.

use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::{
    AuditEntry, AuditPage, AuditQuery, CancelRequest, Error, Execution, ExecutionId,
    ExecutionStatus, ExecutionStore, FinishExecution, FinishedRun, HistoryPage, HistoryQuery,
    HistoryStatistics, JobName, JobPause, NewAuditEntry, NewExecution, Pagination, Progress,
    PurgeReport, Result, RetentionPolicy, Statistics, StatisticsQuery, StatisticsRow,
    abandoned_finish,
};

/// Executions and audit entries kept in a vector behind a mutex.
#[derive(Debug, Default)]
pub struct InMemoryExecutionStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    executions: Vec<Execution>,
    audit: Vec<AuditEntry>,
    pauses: Vec<JobPause>,
}

impl InMemoryExecutionStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn newest_first(&self) -> Vec<&Execution> {
        let mut v: Vec<&Execution> = self.executions.iter().collect();
        v.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
        v
    }

    fn previous_failures(&self, job: &JobName, except: &ExecutionId) -> i32 {
        self.newest_first()
            .into_iter()
            .find(|e| &e.job_name == job && &e.id != except && e.status.is_finished())
            .map_or(0, |e| e.consecutive_failures)
    }

    /// The RUNNING execution `id`, or why it is not there.
    fn running_mut(&mut self, id: &ExecutionId) -> Result<&mut Execution> {
        let e = self
            .executions
            .iter_mut()
            .find(|e| &e.id == id)
            .ok_or(Error::NotFound(*id))?;
        if e.status != ExecutionStatus::Running {
            return Err(Error::NotRunning {
                execution_id: *id,
                status: e.status,
            });
        }
        Ok(e)
    }

    fn finish(&mut self, id: &ExecutionId, finish: &FinishExecution) -> Result<FinishedRun> {
        let current = self
            .executions
            .iter()
            .find(|e| &e.id == id)
            .ok_or(Error::NotFound(*id))?;
        if current.status != ExecutionStatus::Running {
            return Err(Error::NotRunning {
                execution_id: *id,
                status: current.status,
            });
        }
        let previous = self.previous_failures(&current.job_name, id);
        let slot = self
            .executions
            .iter_mut()
            .find(|e| &e.id == id)
            .ok_or(Error::NotFound(*id))?;
        *slot = slot.clone().finished(finish, previous);
        Ok(FinishedRun {
            execution: slot.clone(),
            previous_consecutive_failures: previous,
        })
    }
}

#[async_trait]
impl ExecutionStore for InMemoryExecutionStore {
    async fn create_running(&self, new: NewExecution) -> Result<Execution> {
        let mut state = self.state();
        if let Some(tick) = new.scheduled_for
            && state.executions.iter().any(|e| {
                e.job_name == new.job_name
                    && e.scheduled_for == Some(tick)
                    && e.attempt == new.attempt
            })
        {
            return Err(Error::TickAlreadyClaimed {
                job_name: new.job_name,
                scheduled_for: tick,
            });
        }
        if let Some(running) = state
            .executions
            .iter()
            .find(|e| e.job_name == new.job_name && e.status == ExecutionStatus::Running)
        {
            return Err(Error::AlreadyRunning {
                job_name: new.job_name,
                execution_id: running.id,
            });
        }
        let execution = Execution::start(&new);
        state.executions.push(execution.clone());
        Ok(execution)
    }

    async fn heartbeat(
        &self,
        id: &ExecutionId,
        progress: &Progress,
        at: DateTime<Utc>,
    ) -> Result<Option<CancelRequest>> {
        let mut state = self.state();
        let e = state.running_mut(id)?;
        e.counts = progress.counts;
        e.expected_total = progress.expected_total;
        e.heartbeat_at = Some(at);
        e.updated_at = at;
        Ok(e.cancel_requested.clone())
    }

    async fn request_cancel(&self, id: &ExecutionId, request: &CancelRequest) -> Result<Execution> {
        let mut state = self.state();
        let e = state.running_mut(id)?;
        if e.cancel_requested.is_none() {
            e.cancel_requested = Some(request.clone());
            e.updated_at = request.at;
        }
        Ok(Execution {
            errors: Vec::new(),
            ..e.clone()
        })
    }

    async fn pause_job(&self, pause: &JobPause) -> Result<JobPause> {
        let mut state = self.state();
        if let Some(kept) = state.pauses.iter().find(|p| p.job_name == pause.job_name) {
            return Ok(kept.clone());
        }
        state.pauses.push(pause.clone());
        Ok(pause.clone())
    }

    async fn resume_job(&self, job_name: &JobName) -> Result<Option<JobPause>> {
        let mut state = self.state();
        let found = state.pauses.iter().position(|p| &p.job_name == job_name);
        Ok(found.map(|i| state.pauses.remove(i)))
    }

    async fn paused_jobs(&self) -> Result<Vec<JobPause>> {
        let mut pauses = self.state().pauses.clone();
        pauses.sort_by(|a, b| a.job_name.cmp(&b.job_name));
        Ok(pauses)
    }

    async fn finish(&self, id: &ExecutionId, finish: FinishExecution) -> Result<FinishedRun> {
        self.state().finish(id, &finish)
    }

    async fn get(&self, id: &ExecutionId) -> Result<Option<Execution>> {
        Ok(self
            .state()
            .executions
            .iter()
            .find(|e| &e.id == id)
            .cloned())
    }

    async fn last(&self, job_name: Option<&JobName>) -> Result<Option<Execution>> {
        let state = self.state();
        let found = state
            .newest_first()
            .into_iter()
            .find(|e| job_name.is_none_or(|j| &e.job_name == j));
        Ok(found.cloned())
    }

    async fn last_of_jobs(&self, jobs: &[JobName]) -> Result<Vec<Execution>> {
        let state = self.state();
        let newest = state.newest_first();
        let mut out: Vec<Execution> = Vec::with_capacity(jobs.len());
        for job in jobs {
            if out.iter().any(|e| &e.job_name == job) {
                continue;
            }
            if let Some(e) = newest.iter().find(|e| &e.job_name == job) {
                out.push((*e).clone());
            }
        }
        Ok(out)
    }

    async fn running(&self, job_name: Option<&JobName>) -> Result<Vec<Execution>> {
        let state = self.state();
        let mut v: Vec<Execution> = state
            .newest_first()
            .into_iter()
            .rev()
            .filter(|e| {
                e.status == ExecutionStatus::Running && job_name.is_none_or(|j| &e.job_name == j)
            })
            .cloned()
            .collect();
        v.iter_mut().for_each(|e| e.errors.clear());
        Ok(v)
    }

    async fn history(&self, query: &HistoryQuery) -> Result<HistoryPage> {
        let state = self.state();
        let matching: Vec<&Execution> = state
            .newest_first()
            .into_iter()
            .filter(|e| query.matches(e))
            .collect();
        let durations: Vec<i64> = matching.iter().filter_map(|e| e.duration_ms).collect();
        let statistics = HistoryStatistics {
            total_properties_processed: matching.iter().map(|e| e.counts.total_properties).sum(),
            total_successful: matching.iter().map(|e| e.counts.success_count).sum(),
            total_failed: matching.iter().map(|e| e.counts.failed_count).sum(),
            total_skipped: matching.iter().map(|e| e.counts.skipped_count).sum(),
            average_duration_ms: crate::history::rounded_mean(
                durations.iter().map(|d| *d as f64).sum(),
                i64::try_from(durations.len()).unwrap_or(i64::MAX),
            ),
        };
        let total = i64::try_from(matching.len()).unwrap_or(i64::MAX);
        let executions = matching
            .into_iter()
            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
            .take(query.limit.get() as usize)
            .map(|e| Execution {
                errors: Vec::new(),
                ..e.clone()
            })
            .collect();
        Ok(HistoryPage {
            executions,
            pagination: Pagination::of(query, total),
            statistics,
        })
    }

    async fn statistics(&self, query: &StatisticsQuery) -> Result<Statistics> {
        let state = self.state();
        let rows: Vec<StatisticsRow> = state
            .executions
            .iter()
            .filter(|e| e.started_at >= query.from() && e.started_at <= query.now)
            .filter(|e| query.job_name.as_ref().is_none_or(|j| &e.job_name == j))
            .map(|e| StatisticsRow {
                day: e.started_at.date_naive(),
                status: e.status,
                executions: 1,
                properties_processed: e.counts.total_properties,
                duration_sum_ms: e.duration_ms.unwrap_or(0) as f64,
                durations: i64::from(e.duration_ms.is_some()),
            })
            .collect();
        Ok(Statistics::from_rows(query, &rows))
    }

    async fn tick_claimed(&self, job_name: &JobName, scheduled_for: DateTime<Utc>) -> Result<bool> {
        let state = self.state();
        Ok(state
            .executions
            .iter()
            .any(|e| &e.job_name == job_name && e.scheduled_for == Some(scheduled_for)))
    }

    async fn recover_stale(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        keep: &[ExecutionId],
    ) -> Result<Vec<Execution>> {
        let mut state = self.state();
        let stale: Vec<Execution> = state
            .executions
            .iter()
            .filter(|e| e.status == ExecutionStatus::Running && !keep.contains(&e.id))
            .filter(|e| e.heartbeat_at.unwrap_or(e.started_at) < now - lease)
            .cloned()
            .collect();
        let mut recovered = Vec::new();
        for e in stale {
            recovered.push(state.finish(&e.id, &abandoned_finish(&e))?.execution);
        }
        Ok(recovered)
    }

    async fn purge(&self, policy: &RetentionPolicy, now: DateTime<Utc>) -> Result<PurgeReport> {
        let mut state = self.state();
        let before = state.executions.len();
        state.executions.retain(|e| {
            !matches!(
                e.status,
                ExecutionStatus::Success | ExecutionStatus::Partial
            ) || e.started_at >= policy.success_cutoff(now)
        });
        let after_success = state.executions.len();
        state.executions.retain(|e| {
            e.status != ExecutionStatus::Failed || e.started_at >= policy.failed_cutoff(now)
        });
        let failed_deleted = (after_success - state.executions.len()) as u64;
        let audit_before = state.audit.len();
        state.audit.retain(|a| a.at >= policy.audit_cutoff(now));
        Ok(PurgeReport {
            succeeded_deleted: (before - after_success) as u64,
            failed_deleted,
            audit_deleted: (audit_before - state.audit.len()) as u64,
        })
    }

    async fn record_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry> {
        let mut state = self.state();
        let recorded = AuditEntry {
            id: state.audit.last().map_or(1, |a| a.id + 1),
            at: entry.at,
            actor: entry.actor,
            remote_addr: entry.remote_addr,
            action: entry.action,
            job_name: entry.job_name,
            outcome: entry.outcome,
            execution_id: entry.execution_id,
            detail: entry.detail,
        };
        state.audit.push(recorded.clone());
        Ok(recorded)
    }

    async fn audit_log(&self, query: &AuditQuery) -> Result<AuditPage> {
        let state = self.state();
        let entries = state
            .audit
            .iter()
            .rev()
            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
            .take(query.limit.get() as usize)
            .cloned()
            .collect();
        Ok(AuditPage::new(
            query,
            entries,
            i64::try_from(state.audit.len()).unwrap_or(i64::MAX),
        ))
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }
}
