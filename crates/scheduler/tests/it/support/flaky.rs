//! An execution store that can be switched "down" (every call fails as unavailable), in front
//! of the in-memory store, and a notifier that keeps the alerts it is given.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use propimport_domain::testing::InMemoryExecutionStore;
use propimport_domain::{
    Alert, AlertNotice, AuditEntry, AuditPage, AuditQuery, CancelRequest, DeliveryError, Error,
    Execution, ExecutionId, ExecutionStore, FinishExecution, FinishedRun, HistoryPage,
    HistoryQuery, JobName, JobPause, NewAuditEntry, NewExecution, Notifier, Progress, PurgeReport,
    Result, RetentionPolicy, Statistics, StatisticsQuery,
};

pub struct FlakyStore {
    pub inner: Arc<InMemoryExecutionStore>,
    down: AtomicBool,
}

impl FlakyStore {
    pub fn new(inner: Arc<InMemoryExecutionStore>) -> Self {
        Self {
            inner,
            down: AtomicBool::new(false),
        }
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn up(&self) -> Result<&InMemoryExecutionStore> {
        if self.down.load(Ordering::SeqCst) {
            Err(Error::unavailable("connection refused"))
        } else {
            Ok(&self.inner)
        }
    }
}

#[async_trait]
impl ExecutionStore for FlakyStore {
    async fn create_running(&self, new: NewExecution) -> Result<Execution> {
        self.up()?.create_running(new).await
    }
    async fn heartbeat(
        &self,
        id: &ExecutionId,
        p: &Progress,
        at: DateTime<Utc>,
    ) -> Result<Option<CancelRequest>> {
        self.up()?.heartbeat(id, p, at).await
    }
    async fn request_cancel(&self, id: &ExecutionId, r: &CancelRequest) -> Result<Execution> {
        self.up()?.request_cancel(id, r).await
    }
    async fn pause_job(&self, pause: &JobPause) -> Result<JobPause> {
        self.up()?.pause_job(pause).await
    }
    async fn resume_job(&self, job: &JobName) -> Result<Option<JobPause>> {
        self.up()?.resume_job(job).await
    }
    async fn paused_jobs(&self) -> Result<Vec<JobPause>> {
        self.up()?.paused_jobs().await
    }
    async fn finish(&self, id: &ExecutionId, finish: FinishExecution) -> Result<FinishedRun> {
        self.up()?.finish(id, finish).await
    }
    async fn get(&self, id: &ExecutionId) -> Result<Option<Execution>> {
        self.up()?.get(id).await
    }
    async fn last(&self, job: Option<&JobName>) -> Result<Option<Execution>> {
        self.up()?.last(job).await
    }
    async fn running(&self, job: Option<&JobName>) -> Result<Vec<Execution>> {
        self.up()?.running(job).await
    }
    async fn history(&self, q: &HistoryQuery) -> Result<HistoryPage> {
        self.up()?.history(q).await
    }
    async fn statistics(&self, q: &StatisticsQuery) -> Result<Statistics> {
        self.up()?.statistics(q).await
    }
    async fn tick_claimed(&self, job: &JobName, tick: DateTime<Utc>) -> Result<bool> {
        self.up()?.tick_claimed(job, tick).await
    }
    async fn recover_stale(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        keep: &[ExecutionId],
    ) -> Result<Vec<Execution>> {
        self.up()?.recover_stale(now, lease, keep).await
    }
    async fn purge(&self, p: &RetentionPolicy, now: DateTime<Utc>) -> Result<PurgeReport> {
        self.up()?.purge(p, now).await
    }
    async fn record_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry> {
        self.up()?.record_audit(entry).await
    }
    async fn audit_log(&self, q: &AuditQuery) -> Result<AuditPage> {
        self.up()?.audit_log(q).await
    }
    async fn ping(&self) -> Result<()> {
        self.up()?.ping().await
    }
}

/// Keeps every alert.
#[derive(Default)]
pub struct Recorded(pub Mutex<Vec<Alert>>);

#[async_trait]
impl Notifier for Recorded {
    fn name(&self) -> &str {
        "recorded"
    }

    async fn notify(&self, notice: &AlertNotice) -> Result<(), DeliveryError> {
        self.0.lock().unwrap().push(notice.alert.clone());
        Ok(())
    }
}
