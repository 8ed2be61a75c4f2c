//! [`SqlExecutionStore`]: the domain's `ExecutionStore` on PostgreSQL and SQLite.

mod audit;
mod cache;
mod control;
mod history;
mod lifecycle;
mod maintenance;
mod of_jobs;
pub(crate) mod rows;
mod sql;
mod totals;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use propimport_domain::{
    AuditEntry, AuditPage, AuditQuery, CancelRequest, Execution, ExecutionId, ExecutionStore,
    FinishExecution, FinishedRun, HistoryPage, HistoryQuery, JobName, JobOutcome, JobPause,
    NewAuditEntry, NewExecution, Progress, PurgeReport, Result, RetentionPolicy, Statistics,
    StatisticsQuery,
};

use cache::{Key, ReadCache, Value};

use crate::Database;

/// Execution history and audit log stored in a [`Database`].
///
/// History aggregates and statistics read per-day, per-month and per-year totals of the
/// finished runs (kept by the store as runs finish and are purged) and only the partial days
/// at a window's ends from the executions, so their cost hardly grows with the history's
/// length.
///
/// `last`, `last_of_jobs`, `running` and `job_outcomes` are polled by status screens and
/// metrics scrapes; they are served from a short-lived cache: this process's own writes are seen at once, other processes' writes
/// (replicas sharing the database, the `import` command) within
/// [`SqlExecutionStore::DEFAULT_READ_CACHE_TTL`] (see [`SqlExecutionStore::with_read_cache_ttl`]).
#[derive(Debug, Clone)]
pub struct SqlExecutionStore {
    db: Database,
    cache: Arc<ReadCache>,
    outcomes: Arc<ReadCache<Vec<JobName>, Vec<JobOutcome>>>,
}

impl SqlExecutionStore {
    /// How long `last`, `last_of_jobs`, `running` and `job_outcomes` may be served from the
    /// cache by default.
    pub const DEFAULT_READ_CACHE_TTL: std::time::Duration = cache::DEFAULT_TTL;

    /// A store on `db` (which must be migrated).
    pub fn new(db: Database) -> Self {
        Self::with_read_cache_ttl(db, Self::DEFAULT_READ_CACHE_TTL)
    }

    /// A store on `db` whose polled reads are served from the cache for `ttl` (zero: every
    /// read goes to the database).
    pub fn with_read_cache_ttl(db: Database, ttl: std::time::Duration) -> Self {
        Self {
            db,
            cache: Arc::new(ReadCache::new(ttl)),
            outcomes: Arc::new(ReadCache::new(ttl)),
        }
    }

    /// The database underneath.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Runs a write, then forgets the cached reads (whether the write succeeded or not).
    async fn writing<T>(&self, write: impl Future<Output = Result<T>>) -> Result<T> {
        let result = write.await;
        self.cache.invalidate();
        self.outcomes.invalidate();
        result
    }

    /// The cached value of `key`, or what `read` gives (kept when no write raced it).
    async fn cached(&self, key: Key, read: impl Future<Output = Result<Value>>) -> Result<Value> {
        if let Some(value) = self.cache.get(&key) {
            return Ok(value);
        }
        let generation = self.cache.generation();
        let read_at = Instant::now();
        let value = read.await?;
        self.cache.put(key, generation, read_at, value.clone());
        Ok(value)
    }
}

#[async_trait]
impl ExecutionStore for SqlExecutionStore {
    async fn create_running(&self, new: NewExecution) -> Result<Execution> {
        self.writing(self.insert_running(&new)).await
    }

    async fn heartbeat(
        &self,
        id: &ExecutionId,
        progress: &Progress,
        at: DateTime<Utc>,
    ) -> Result<Option<CancelRequest>> {
        self.writing(self.write_heartbeat(id, progress, at)).await
    }

    async fn request_cancel(&self, id: &ExecutionId, request: &CancelRequest) -> Result<Execution> {
        self.writing(self.record_cancel(id, request)).await
    }

    async fn pause_job(&self, pause: &JobPause) -> Result<JobPause> {
        self.insert_pause(pause).await
    }

    async fn resume_job(&self, job_name: &JobName) -> Result<Option<JobPause>> {
        self.delete_pause(job_name).await
    }

    async fn paused_jobs(&self) -> Result<Vec<JobPause>> {
        self.list_pauses().await
    }

    async fn finish(&self, id: &ExecutionId, finish: FinishExecution) -> Result<FinishedRun> {
        self.writing(self.finish_running(id, &finish)).await
    }

    async fn get(&self, id: &ExecutionId) -> Result<Option<Execution>> {
        self.get_with_errors(id).await
    }

    async fn last(&self, job_name: Option<&JobName>) -> Result<Option<Execution>> {
        let key = Key::Last(job_name.cloned());
        let found = self
            .cached(key, async {
                Ok(self.newest(job_name).await?.into_iter().collect())
            })
            .await?;
        Ok(found.into_iter().next())
    }

    async fn last_of_jobs(&self, jobs: &[JobName]) -> Result<Vec<Execution>> {
        let key = Key::LastOfJobs(jobs.to_vec());
        self.cached(key, self.newest_of_jobs(jobs)).await
    }

    async fn job_outcomes(&self, jobs: &[JobName]) -> Result<Vec<JobOutcome>> {
        let key = jobs.to_vec();
        if let Some(found) = self.outcomes.get(&key) {
            return Ok(found);
        }
        let generation = self.outcomes.generation();
        let read_at = Instant::now();
        let found = self.outcomes_of_jobs(jobs).await?;
        self.outcomes.put(key, generation, read_at, found.clone());
        Ok(found)
    }

    async fn running(&self, job_name: Option<&JobName>) -> Result<Vec<Execution>> {
        let key = Key::Running(job_name.cloned());
        self.cached(key, self.list_running(job_name)).await
    }

    async fn history(&self, query: &HistoryQuery) -> Result<HistoryPage> {
        self.history_page(query).await
    }

    async fn statistics(&self, query: &StatisticsQuery) -> Result<Statistics> {
        self.window_statistics(query).await
    }

    async fn tick_claimed(&self, job_name: &JobName, scheduled_for: DateTime<Utc>) -> Result<bool> {
        self.has_tick(job_name, scheduled_for, None).await
    }

    async fn recover_stale(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        keep: &[ExecutionId],
    ) -> Result<Vec<Execution>> {
        self.writing(self.recover_abandoned(now, lease, keep)).await
    }

    async fn purge(&self, policy: &RetentionPolicy, now: DateTime<Utc>) -> Result<PurgeReport> {
        self.writing(self.purge_old(policy, now)).await
    }

    async fn record_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry> {
        self.insert_audit(entry).await
    }

    async fn audit_log(&self, query: &AuditQuery) -> Result<AuditPage> {
        self.audit_page(query).await
    }

    async fn ping(&self) -> Result<()> {
        self.db.ping().await
    }
}
