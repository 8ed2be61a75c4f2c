//! What the API needs from the rest of the service, as traits the app implements.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use propimport_domain::{
    ControlRefusal, Execution, ExecutionId, ExecutionStore, JobName, JobPause, LiveProgress,
    TriggerRefusal, TriggeredBy,
};

/// Manual triggers, operator control (pause, resume, cancel) and scheduler status,
/// implemented by the app over the scheduler.
#[async_trait]
pub trait JobControl: Send + Sync {
    /// The configured jobs, in configuration order.
    fn jobs(&self) -> Vec<JobName>;

    /// Starts a tracked run of `job` (the only job when `None`) in the background and returns
    /// its RUNNING execution.
    async fn trigger(
        &self,
        job: Option<&JobName>,
        triggered_by: TriggeredBy,
    ) -> Result<Execution, TriggerRefusal>;

    /// Pauses a configured job for `actor`: every instance skips its scheduled ticks until it
    /// is resumed. Idempotent: a paused job keeps (and gives) its first pause.
    async fn pause(
        &self,
        job: &JobName,
        actor: &str,
        reason: Option<&str>,
    ) -> Result<JobPause, ControlRefusal>;

    /// Resumes a configured job for `actor`; gives the pause it lifted (`None` when the job
    /// was not paused).
    async fn resume(&self, job: &JobName, actor: &str) -> Result<Option<JobPause>, ControlRefusal>;

    /// Asks for the RUNNING execution `id` to be cancelled by `actor`: the request is recorded
    /// on it and the instance running it stops it at its next heartbeat. Gives the execution
    /// with its (first) request; [`propimport_domain::Error::NotFound`] or
    /// [`propimport_domain::Error::NotRunning`] in [`ControlRefusal::Store`] otherwise.
    async fn cancel(&self, id: &ExecutionId, actor: &str) -> Result<Execution, ControlRefusal>;

    /// Every configured job at a glance, in configuration order: what lists of many jobs
    /// filter on and the per-job gauges of `/metrics` show. Cheap whatever the number of jobs
    /// (no schedule is described, one fire time per job).
    async fn overview(&self) -> Result<Vec<JobFlags>, propimport_domain::Error>;

    /// The whole state of the configured jobs among `jobs`, in configuration order (other
    /// names are left out): what `/status` shows of the jobs of its page.
    async fn status(&self, jobs: &[JobName]) -> Result<Vec<JobState>, propimport_domain::Error>;

    /// Whether the scheduler's loops are alive and ticking.
    fn is_running(&self) -> bool;
}

/// One configured job at a glance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFlags {
    /// The job's name.
    pub job_name: JobName,
    /// Whether the scheduler will start it on its own.
    pub is_scheduled: bool,
    /// Whether a run of it is in progress (on any replica).
    pub running: bool,
    /// Whether it is late (a tick without a run past the lateness grace).
    pub late: bool,
    /// Whether it is paused.
    pub paused: bool,
    /// Its next fire time.
    pub next_run: Option<DateTime<Utc>>,
    /// The longest time between two of its scheduled runs over the coming week (for the
    /// gauge the "no recent success" alert compares the last success with).
    pub period: Option<std::time::Duration>,
}

/// The state of one configured job, as `/status` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobState {
    /// The job's name.
    pub job_name: JobName,
    /// Its cron expression, when scheduled.
    pub schedule: Option<String>,
    /// The IANA zone its schedule is evaluated in.
    pub timezone: Option<String>,
    /// Its schedule in words with the zone ("at 00:00 every day, Europe/Skopje").
    pub schedule_text: Option<String>,
    /// Whether the scheduler will start it on its own.
    pub is_scheduled: bool,
    /// The next fire times.
    pub next_runs: Vec<DateTime<Utc>>,
    /// Its RUNNING execution, with the counts of its last heartbeat, if any.
    pub running: Option<Execution>,
    /// That execution's progress read from memory now, when this instance runs it (newer
    /// than its heartbeat's counts, which it replaces in the answer).
    pub live_progress: Option<LiveProgress>,
    /// Its ticks: missed ones and lateness.
    pub ticks: TickState,
    /// Its pause, while it is paused (its scheduled ticks are skipped).
    pub pause: Option<JobPause>,
    /// While its due run waits for a turn under the limit of runs at once.
    pub waiting: Option<WaitState>,
}

/// A due run waiting for a turn under the limit of runs at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitState {
    /// Since when it waits (its due time).
    pub since: DateTime<Utc>,
    /// How many runs wait before it, on every instance.
    pub ahead: usize,
}

/// What the scheduler knows of a job's ticks beyond its schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickState {
    /// While the job is late: its latest tick that has no run although the lateness grace
    /// has passed.
    pub late_tick: Option<DateTime<Utc>>,
    /// Ticks that could not run at their time because the database was unavailable (since
    /// this instance started).
    pub missed_ticks: u64,
    /// The latest of them.
    pub last_missed_tick: Option<DateTime<Utc>>,
    /// A missed tick waiting for the database, to be run by the misfire policy.
    pub pending_tick: Option<DateTime<Utc>>,
    /// The retry of a failed tick this instance holds, waiting for its time.
    pub pending_retry: Option<RetryState>,
}

/// A retry of a failed scheduled run, waiting for its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryState {
    /// The tick it retries.
    pub tick: DateTime<Utc>,
    /// The attempt it will be (2 for the first retry).
    pub attempt: i32,
    /// The last attempt the job's retry policy allows.
    pub last_attempt: i32,
    /// When it is due.
    pub due_at: DateTime<Utc>,
}

/// One named readiness check and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadinessCheck {
    /// What was checked (`database`, `migrations`, …).
    pub name: &'static str,
    /// `Ok` when ready, else why not.
    pub result: Result<(), String>,
}

/// The checks behind `/readyz` beyond the scheduler's liveness.
#[async_trait]
pub trait Readiness: Send + Sync {
    /// Runs every check; `/readyz` is ready when all pass.
    async fn checks(&self) -> Vec<ReadinessCheck>;
}

/// A [`Readiness`] that only pings the execution store.
pub struct StoreReadiness(pub Arc<dyn ExecutionStore>);

#[async_trait]
impl Readiness for StoreReadiness {
    async fn checks(&self) -> Vec<ReadinessCheck> {
        vec![ReadinessCheck {
            name: "database",
            result: self.0.ping().await.map_err(|e| e.to_string()),
        }]
    }
}

/// Who asks for a change of the source catalog, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeBy {
    /// The actor (a token id, a JWT subject, `cli:<user>`).
    pub actor: String,
    /// The request's remote address.
    pub remote_addr: Option<String>,
}

/// The source catalog as the admin API reads and changes it, implemented by the app: every
/// change is checked exactly as the start-up configuration is, stored, audited and picked up
/// by every replica's scheduler.
#[async_trait]
pub trait SourceAdmin: Send + Sync {
    /// Whether the catalog only shows the configured sources (`IMPORT_SOURCES_MODE=config`).
    fn read_only(&self) -> bool;

    /// Every source, in the order they were created.
    async fn list(&self) -> Result<Vec<propimport_domain::SourceView>, SourceRefusal>;

    /// One source.
    async fn get(&self, name: &JobName) -> Result<propimport_domain::SourceView, SourceRefusal>;

    /// Adds a source (`body`: a source's fields, camelCase, with an optional `enabled`).
    async fn create(
        &self,
        body: serde_json::Map<String, serde_json::Value>,
        by: &ChangeBy,
    ) -> Result<propimport_domain::SourceView, SourceRefusal>;

    /// Changes some fields of a source (`patch`: a JSON merge patch of its fields; `null`
    /// unsets one; `enabled` enables or disables it; credentials absent stay as they are),
    /// when its version is `expected` (any when `None`).
    async fn update(
        &self,
        name: &JobName,
        patch: serde_json::Map<String, serde_json::Value>,
        expected: Option<i64>,
        by: &ChangeBy,
    ) -> Result<propimport_domain::SourceView, SourceRefusal>;

    /// Deletes a source (its history stays), when its version is `expected` (any when
    /// `None`); gives what it was.
    async fn delete(
        &self,
        name: &JobName,
        expected: Option<i64>,
        by: &ChangeBy,
    ) -> Result<propimport_domain::SourceView, SourceRefusal>;
}

/// Why the catalog refused a read or a change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceRefusal {
    /// The source as asked for is not valid; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// The sources are read from the configuration (`IMPORT_SOURCES_MODE=config`).
    #[error("{0}")]
    ReadOnly(String),
    /// The store refused (unknown source, name taken, another version) or failed.
    #[error(transparent)]
    Store(#[from] propimport_domain::Error),
}
