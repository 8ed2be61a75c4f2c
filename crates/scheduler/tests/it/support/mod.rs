//! A configurable test job and a harness that wires a runner to the in-memory store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use propimport_domain::testing::InMemoryExecutionStore;
use propimport_domain::{
    Clock, ErrorLog, ExecutionId, ExecutionStatus, ExecutionStore, FinishExecution, ItemError, Job,
    JobContext, JobError, JobName, JobReport, NewExecution, Notifier, Progress, RunCounts,
    TriggeredBy,
};
use propimport_scheduler::{
    AlertSettings, Alerts, CronSchedule, RunSettings, ScheduledJob, Scheduler, SchedulerHandle,
    SchedulerSettings, TokioClock, TrackedRunner,
};
use tokio::sync::Semaphore;

mod flaky;
pub mod smtp;
pub use flaky::{FlakyStore, Recorded};

/// What a [`TestJob`] does when run.
#[derive(Clone)]
pub enum Behaviour {
    /// Reports these counts (failed > 0 makes the run PARTIAL).
    Report(RunCounts),
    /// Fails as a whole.
    Fail(&'static str),
    /// Panics.
    Panic,
    /// Reports progress, then waits for a permit (or for cancellation), then reports.
    Block {
        progress: RunCounts,
        release: Arc<Semaphore>,
    },
}

pub struct TestJob {
    pub name: JobName,
    pub behaviour: std::sync::Mutex<Behaviour>,
}

impl TestJob {
    pub fn new(name: &str, behaviour: Behaviour) -> Arc<Self> {
        Arc::new(Self {
            name: JobName::parse(name).unwrap(),
            behaviour: std::sync::Mutex::new(behaviour),
        })
    }

    pub fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }
}

#[async_trait]
impl Job for TestJob {
    fn name(&self) -> &JobName {
        &self.name
    }

    async fn run(&self, ctx: JobContext) -> Result<JobReport, JobError> {
        let behaviour = self.behaviour.lock().unwrap().clone();
        match behaviour {
            Behaviour::Report(counts) => {
                let mut errors = ErrorLog::default();
                for i in 0..counts.failed_count {
                    errors.push(ItemError {
                        external_id: Some(format!("L-{i}")),
                        stage: "map".into(),
                        message: "bad price".into(),
                    });
                }
                Ok(JobReport {
                    counts,
                    errors,
                    details: None,
                    warning: None,
                })
            }
            Behaviour::Fail(message) => Err(JobError::new(message)),
            Behaviour::Panic => panic!("boom"),
            Behaviour::Block { progress, release } => {
                ctx.progress.set(Progress {
                    counts: progress,
                    expected_total: Some(100),
                    ..Default::default()
                });
                tokio::select! {
                    permit = release.acquire() => drop(permit),
                    () = ctx.cancel.cancelled() => {}
                }
                Ok(JobReport {
                    counts: progress,
                    errors: ErrorLog::default(),
                    details: None,
                    warning: None,
                })
            }
        }
    }
}

/// The delivery policy's 3 attempts with waits of 1 ms, for tests against a real local
/// receiver (whose sockets a paused clock cannot wait on).
pub fn quick_retries() -> propimport_domain::RetryPolicy {
    propimport_domain::RetryPolicy {
        first_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(1),
        jitter: propimport_domain::Jitter::NONE,
        ..propimport_domain::RetryPolicy::delivery()
    }
}

pub fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

pub fn counts(total: i64, success: i64, failed: i64, skipped: i64) -> RunCounts {
    RunCounts {
        total_properties: total,
        success_count: success,
        failed_count: failed,
        skipped_count: skipped,
    }
}

/// A runner on a fresh in-memory store with a Tokio-driven clock.
pub struct Harness {
    pub store: Arc<InMemoryExecutionStore>,
    /// What the runner records through: the store, unless switched down.
    pub flaky: Arc<FlakyStore>,
    pub runner: Arc<TrackedRunner>,
}

impl Harness {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self::with_alerts(start, AlertSettings::default(), None)
    }

    pub fn with_alerts(
        start: DateTime<Utc>,
        alerts: AlertSettings,
        notifier: Option<Arc<dyn Notifier>>,
    ) -> Self {
        let settings = RunSettings {
            instance_id: "test:1".into(),
            heartbeat_interval: Duration::from_secs(10),
            ..RunSettings::default()
        };
        Self::with_settings(start, alerts, notifier, settings)
    }

    pub fn with_settings(
        start: DateTime<Utc>,
        alerts: AlertSettings,
        notifier: Option<Arc<dyn Notifier>>,
        settings: RunSettings,
    ) -> Self {
        let store = Arc::new(InMemoryExecutionStore::new());
        let flaky = Arc::new(FlakyStore::new(store.clone()));
        let clock = Arc::new(TokioClock::starting_at(start));
        let runner = Arc::new(TrackedRunner::new(
            flaky.clone() as Arc<dyn ExecutionStore>,
            clock.clone() as Arc<dyn Clock>,
            Arc::new(Alerts::new(alerts, notifier)),
            settings,
        ));
        Self {
            store,
            flaky,
            runner,
        }
    }

    /// Starts a scheduler with one job.
    pub async fn start(
        &self,
        job: Arc<TestJob>,
        schedule: Option<CronSchedule>,
        settings: SchedulerSettings,
    ) -> SchedulerHandle {
        Scheduler::new(
            self.runner.clone(),
            vec![ScheduledJob { job, schedule }],
            settings,
        )
        .start()
        .await
    }

    /// Records a finished SUCCESS run of `job` that started (and ended) at `at`.
    pub async fn seed_success(
        &self,
        job: &JobName,
        at: DateTime<Utc>,
        tick: Option<DateTime<Utc>>,
    ) {
        let new = NewExecution {
            id: ExecutionId::new(),
            job_name: job.clone(),
            triggered_by: TriggeredBy::Cron,
            started_at: at,
            scheduled_for: tick,
            attempt: 1,
            instance_id: None,
        };
        let e = self.store.create_running(new).await.unwrap();
        let finish = FinishExecution {
            status: ExecutionStatus::Success,
            completed_at: at,
            counts: RunCounts::default(),
            errors: ErrorLog::default(),
            last_error: None,
            details: None,
        };
        self.store.finish(&e.id, finish).await.unwrap();
    }
}
