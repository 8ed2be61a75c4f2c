//! [`SqlExecutionStore`]: the domain's `ExecutionStore` on PostgreSQL and SQLite.

mod audit;
mod history;
mod lifecycle;
mod maintenance;
mod rows;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use propimport_domain::{
    AuditEntry, AuditPage, AuditQuery, Execution, ExecutionId, ExecutionStore, FinishExecution,
    FinishedRun, HistoryPage, HistoryQuery, JobName, NewAuditEntry, NewExecution, Progress,
    PurgeReport, Result, RetentionPolicy, Statistics, StatisticsQuery,
};

use crate::Database;

/// Execution history and audit log stored in a [`Database`].
#[derive(Debug, Clone)]
pub struct SqlExecutionStore {
    db: Database,
}

impl SqlExecutionStore {
    /// A store on `db` (which must be migrated).
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The database underneath.
    pub fn database(&self) -> &Database {
        &self.db
    }
}

#[async_trait]
impl ExecutionStore for SqlExecutionStore {
    async fn create_running(&self, new: NewExecution) -> Result<Execution> {
        self.insert_running(&new).await
    }

    async fn heartbeat(
        &self,
        id: &ExecutionId,
        progress: &Progress,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.write_heartbeat(id, progress, at).await
    }

    async fn finish(&self, id: &ExecutionId, finish: FinishExecution) -> Result<FinishedRun> {
        self.finish_running(id, &finish).await
    }

    async fn get(&self, id: &ExecutionId) -> Result<Option<Execution>> {
        self.get_with_errors(id).await
    }

    async fn last(&self, job_name: Option<&JobName>) -> Result<Option<Execution>> {
        self.newest(job_name).await
    }

    async fn running(&self, job_name: Option<&JobName>) -> Result<Vec<Execution>> {
        self.list_running(job_name).await
    }

    async fn history(&self, query: &HistoryQuery) -> Result<HistoryPage> {
        self.history_page(query).await
    }

    async fn statistics(&self, query: &StatisticsQuery) -> Result<Statistics> {
        self.window_statistics(query).await
    }

    async fn tick_claimed(&self, job_name: &JobName, scheduled_for: DateTime<Utc>) -> Result<bool> {
        self.has_tick(job_name, scheduled_for).await
    }

    async fn recover_stale(&self, now: DateTime<Utc>, lease: Duration) -> Result<Vec<Execution>> {
        self.recover_abandoned(now, lease).await
    }

    async fn purge(&self, policy: &RetentionPolicy, now: DateTime<Utc>) -> Result<PurgeReport> {
        self.purge_old(policy, now).await
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
