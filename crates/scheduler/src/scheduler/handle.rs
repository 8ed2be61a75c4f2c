//! The handle of a started scheduler: manual triggers and the bounded shutdown (its status
//! reads are in `status.rs`).

use std::sync::Arc;
use std::time::Duration;

use propimport_domain::{CancelToken, Error, Execution, JobName, TriggerRefusal, TriggeredBy};
use tokio::task::JoinHandle;

use crate::scheduler::Shared;

/// A started scheduler: trigger runs, read status, shut down.
pub struct SchedulerHandle {
    pub(crate) shared: Arc<Shared>,
    pub(crate) stop_ticking: CancelToken,
    pub(crate) loops: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl SchedulerHandle {
    /// Starts a run now in the background and returns its RUNNING execution. With one job the
    /// name may be omitted. A run in progress (here or on another replica) gives
    /// [`TriggerRefusal::AlreadyRunning`] naming it; once shutdown has begun,
    /// [`TriggerRefusal::ShuttingDown`].
    pub async fn trigger(
        &self,
        job: Option<&JobName>,
        triggered_by: TriggeredBy,
    ) -> Result<Execution, TriggerRefusal> {
        let shared = self.shared.clone();
        let stopping = self.stop_ticking.is_cancelled();
        let job = job.cloned();
        let work = async move {
            let scheduled = shared.find_job(job.as_ref())?.job.clone();
            if stopping {
                return Err(TriggerRefusal::ShuttingDown);
            }
            if let Some(running) = shared.running_here(scheduled.name()) {
                return Err(TriggerRefusal::AlreadyRunning {
                    job_name: running.job_name,
                    execution_id: running.id,
                });
            }
            let name = scheduled.name().clone();
            shared.hold_manual_turn(&scheduled);
            let execution = match shared.spawn_run(scheduled, triggered_by, None).await {
                Ok(execution) => execution,
                Err(refused) => {
                    shared.forget_turn(&name);
                    return Err(refused);
                }
            };
            shared.retries.supersede(&name, None, "a manual run");
            Ok(execution)
        };
        // On the scheduler's runtime, so that a caller on another runtime (an HTTP worker's)
        // neither owns the run nor the database connections it opens.
        match self.shared.runtime.get() {
            Some(runtime) => runtime.spawn(work).await.unwrap_or_else(|e| {
                Err(TriggerRefusal::Store(Error::storage_caused_by(
                    "the trigger task failed",
                    e,
                )))
            }),
            None => work.await,
        }
    }

    /// The jobs this scheduler knows.
    pub fn jobs(&self) -> Vec<JobName> {
        self.shared
            .jobs
            .list()
            .iter()
            .map(|j| j.job.name().clone())
            .collect()
    }

    /// Whether the tick loops are running.
    pub fn is_running(&self) -> bool {
        !self.stop_ticking.is_cancelled()
            && self
                .loops
                .lock()
                .is_ok_and(|loops| loops.iter().all(|l| !l.is_finished()))
            && self.shared.jobs.loops_alive()
    }

    /// Records every run this instance drives as FAILED "interrupted: forced shutdown" with
    /// its counts so far, for a process about to exit without waiting for them (a second
    /// shutdown signal); returns how many were recorded. The caller bounds how long it waits.
    pub async fn record_forced_exit(&self) -> usize {
        let mut recorded = 0;
        for run in self.shared.runs_here() {
            match self
                .shared
                .runner
                .record_forced_exit(&run.execution, &run.progress)
                .await
            {
                Ok(_) => recorded += 1,
                Err(e) => {
                    tracing::error!(execution_id = %run.execution.id, error = %e, "cannot record the run before exiting; the next start recovers it as abandoned")
                }
            }
        }
        recorded
    }

    /// Stops ticking, lets running jobs finish within `grace`, then cancels them and waits for
    /// their records (a little longer); every task is joined before this returns.
    pub async fn shutdown(&self, grace: Duration) {
        self.stop_ticking.cancel();
        let mut loops = match self.loops.lock() {
            Ok(mut loops) => std::mem::take(&mut *loops),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        loops.extend(self.shared.jobs.take_handles());
        for handle in loops {
            if let Err(e) = handle.await {
                tracing::error!(error = %e, "a scheduler loop ended abnormally");
            }
        }
        let runs = &self.shared.runs;
        runs.close();
        tracing::info!(
            runs = runs.len(),
            grace_seconds = grace.as_secs(),
            "waiting for running imports"
        );
        if tokio::time::timeout(grace, runs.wait()).await.is_err() {
            tracing::warn!(
                grace_seconds = grace.as_secs(),
                "runs still in progress after the grace period; cancelling them"
            );
            self.shared.cancel_runs.cancel();
            if tokio::time::timeout(Duration::from_secs(15), runs.wait())
                .await
                .is_err()
            {
                tracing::error!(
                    "a cancelled run did not stop; the next start will recover it as abandoned"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use propimport_domain::testing::InMemoryExecutionStore;
    use propimport_domain::{
        Clock, ExecutionStore, Job, JobContext, JobError, JobReport, SystemClock,
    };

    use super::*;
    use crate::{AlertSettings, Alerts, RunSettings, ScheduledJob, Scheduler, TrackedRunner};

    struct Idle(JobName);

    #[async_trait]
    impl Job for Idle {
        fn name(&self) -> &JobName {
            &self.0
        }

        async fn run(&self, _ctx: JobContext) -> Result<JobReport, JobError> {
            Ok(JobReport::default())
        }
    }

    /// The shutdown has stopped taking runs (it waits for those in flight) while a trigger
    /// that began before it goes on: the trigger is refused as shutting down, never as a
    /// store that is unavailable.
    #[tokio::test]
    async fn a_trigger_that_meets_the_closed_runs_is_refused_as_shutting_down() {
        let runner = Arc::new(TrackedRunner::new(
            Arc::new(InMemoryExecutionStore::new()) as Arc<dyn ExecutionStore>,
            Arc::new(SystemClock) as Arc<dyn Clock>,
            Arc::new(Alerts::new(AlertSettings::default(), None)),
            RunSettings::default(),
        ));
        let job = ScheduledJob {
            job: Arc::new(Idle(JobName::parse("feed").expect("a job name"))),
            schedule: None,
        };
        let handle = Scheduler::new(runner, vec![job], Default::default())
            .start()
            .await;
        handle.shared.runs.close();
        let refused = handle.trigger(None, TriggeredBy::Api).await;
        assert!(
            matches!(refused, Err(TriggerRefusal::ShuttingDown)),
            "{refused:?}"
        );
        handle.shutdown(Duration::from_secs(1)).await;
    }
}
