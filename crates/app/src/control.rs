//! Adapters from the scheduler and the database to the admin API's ports.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use propimport_domain::{
    ControlRefusal, Error, Execution, ExecutionId, JobName, JobPause, TriggerRefusal, TriggeredBy,
};
use propimport_http_api::{
    JobControl, JobFlags, JobState, Readiness, ReadinessCheck, RetryState, TickState,
};
use propimport_persistence::Database;
use propimport_scheduler::{CronSchedule, SchedulerHandle};

/// The admin API's [`JobControl`] over the running scheduler, with each job's period (worked
/// out once from its schedule, for the metrics).
pub struct SchedulerControl {
    scheduler: Arc<SchedulerHandle>,
    periods: std::sync::RwLock<Arc<HashMap<JobName, Duration>>>,
}

impl SchedulerControl {
    /// Controls the jobs of `scheduler`, whose periods are `periods`.
    pub fn new(scheduler: Arc<SchedulerHandle>, periods: HashMap<JobName, Duration>) -> Self {
        Self {
            scheduler,
            periods: std::sync::RwLock::new(Arc::new(periods)),
        }
    }

    /// The jobs' periods, after the jobs changed.
    pub fn set_periods(&self, periods: HashMap<JobName, Duration>) {
        *self
            .periods
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(periods);
    }
}

#[async_trait]
impl JobControl for SchedulerControl {
    fn jobs(&self) -> Vec<JobName> {
        self.scheduler.jobs()
    }

    async fn trigger(
        &self,
        job: Option<&JobName>,
        triggered_by: TriggeredBy,
    ) -> Result<Execution, TriggerRefusal> {
        self.scheduler.trigger(job, triggered_by).await
    }

    async fn pause(
        &self,
        job: &JobName,
        actor: &str,
        reason: Option<&str>,
    ) -> Result<JobPause, ControlRefusal> {
        self.scheduler.pause(job, actor, reason).await
    }

    async fn resume(&self, job: &JobName, actor: &str) -> Result<Option<JobPause>, ControlRefusal> {
        self.scheduler.resume(job, actor).await
    }

    async fn cancel(&self, id: &ExecutionId, actor: &str) -> Result<Execution, ControlRefusal> {
        self.scheduler.cancel(id, actor).await
    }

    async fn overview(&self) -> Result<Vec<JobFlags>, Error> {
        let periods = self
            .periods
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        Ok(self
            .scheduler
            .overview()
            .await?
            .into_iter()
            .map(|j| JobFlags {
                period: periods.get(&j.job_name).copied(),
                job_name: j.job_name,
                is_scheduled: j.is_scheduled,
                running: j.running,
                late: j.late,
                paused: j.paused,
                next_run: j.next_run,
            })
            .collect())
    }

    async fn status(&self, jobs: &[JobName]) -> Result<Vec<JobState>, Error> {
        Ok(self
            .scheduler
            .status_of(jobs)
            .await?
            .into_iter()
            .map(|s| JobState {
                job_name: s.job_name,
                schedule: s.schedule.as_ref().map(|c| c.expression().to_owned()),
                timezone: s.schedule.as_ref().map(|c| c.timezone().name().to_owned()),
                schedule_text: s.schedule.as_ref().map(CronSchedule::describe),
                is_scheduled: s.is_scheduled,
                next_runs: s.next_runs,
                running: s.running,
                live_progress: s.live_progress,
                ticks: TickState {
                    late_tick: s.ticks.late_tick,
                    missed_ticks: s.ticks.missed_ticks,
                    last_missed_tick: s.ticks.last_missed_tick,
                    pending_tick: s.ticks.pending_tick,
                    pending_retry: s.pending_retry.map(|r| RetryState {
                        tick: r.tick,
                        attempt: r.attempt,
                        last_attempt: r.last_attempt,
                        due_at: r.due_at,
                    }),
                },
                pause: s.paused,
                waiting: s.waiting.map(|w| propimport_http_api::WaitState {
                    since: w.since,
                    ahead: w.ahead,
                }),
            })
            .collect())
    }

    fn is_running(&self) -> bool {
        self.scheduler.is_running()
    }
}

/// `/readyz`'s checks: the database answers and has no pending migration.
pub struct DatabaseReadiness(pub Database);

#[async_trait]
impl Readiness for DatabaseReadiness {
    async fn checks(&self) -> Vec<ReadinessCheck> {
        let database = self.0.ping().await.map_err(|e| e.to_string());
        let migrations = match &database {
            Err(_) => Err("unknown while the database is unreachable".to_owned()),
            Ok(()) => match self.0.pending_migrations().await {
                Ok(0) => Ok(()),
                Ok(n) => Err(format!("{n} migrations are pending")),
                Err(e) => Err(e.to_string()),
            },
        };
        vec![
            ReadinessCheck {
                name: "database",
                result: database,
            },
            ReadinessCheck {
                name: "migrations",
                result: migrations,
            },
        ]
    }
}
