//! The limit of runs at once across the cluster (`RunLimits`), when the scheduler has a run
//! queue: a due tick (or retry) waits in this instance's list and in the database's queue; a
//! loop takes a turn over the queue twice a second (and at once when a run ends here or a run
//! is queued) and starts the runs whose turn was granted, in order of due time across every
//! instance. A run ends its turn when it ends. Manual runs are never held: they take a turn at
//! once (counted, even over the limit). The database still decides which instance starts a
//! tick's run; the queue only decides when.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::{
    CancelToken, Error, Job, JobName, QueuedRun, RunLimits, RunQueue, TriggerRefusal, TriggeredBy,
};
use tokio::sync::Notify;

use super::Shared;

/// How often a turn is taken while runs wait.
const POLL: Duration = Duration::from_millis(500);

/// A run this instance waits for, or runs under a turn.
#[derive(Clone)]
struct LocalRun {
    job: Arc<dyn Job>,
    /// The tick the execution is for (`None`: a manual run).
    tick: Option<DateTime<Utc>>,
    /// The queue's key of the turn: the tick, or a retry's due time.
    key: Option<DateTime<Utc>>,
    due_at: DateTime<Utc>,
    attempt: i32,
    granted_at: Option<DateTime<Utc>>,
    /// Whether its run was started here (or tried).
    started: bool,
}

/// A job waiting for a turn, as the status shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueWait {
    /// Since when it waits (its due time).
    pub since: DateTime<Utc>,
    /// How many runs wait before it, on every instance.
    pub ahead: usize,
}

/// The run queue of a scheduler and the runs this instance has in it.
pub(crate) struct Dispatcher {
    store: Arc<dyn RunQueue>,
    limits: RunLimits,
    local: Mutex<HashMap<JobName, LocalRun>>,
    pub(crate) wake: Notify,
    /// The queue as last read: every instance's runs.
    last: Mutex<Vec<QueuedRun>>,
}

impl Dispatcher {
    pub(crate) fn new(store: Arc<dyn RunQueue>, limits: RunLimits) -> Self {
        Self {
            store,
            limits,
            local: Mutex::new(HashMap::new()),
            wake: Notify::new(),
            last: Mutex::new(Vec::new()),
        }
    }

    fn local(&self) -> MutexGuard<'_, HashMap<JobName, LocalRun>> {
        self.local.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The jobs waiting for a turn, with how many runs wait before each (as last read), in
    /// one pass over the queue whatever the number of jobs.
    pub(crate) fn waiting(&self) -> HashMap<JobName, QueueWait> {
        let last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let mut waiting: Vec<&QueuedRun> = last.iter().filter(|r| r.is_waiting()).collect();
        waiting.sort_by(|a, b| (a.due_at, &a.job_name).cmp(&(b.due_at, &b.job_name)));
        waiting
            .into_iter()
            .enumerate()
            .map(|(ahead, r)| {
                (
                    r.job_name.clone(),
                    QueueWait {
                        since: r.due_at,
                        ahead,
                    },
                )
            })
            .collect()
    }
}

impl Shared {
    pub(crate) fn dispatcher(&self) -> Option<&Dispatcher> {
        self.queue.get().filter(|d| d.limits.is_limited())
    }

    /// Queues the run of `job` for `tick` (attempt `attempt`, due at `due_at`); a newer tick
    /// replaces one still waiting. Gives `false` when a run of the job is held here already.
    pub(crate) fn enqueue(
        &self,
        job: &Arc<dyn Job>,
        tick: DateTime<Utc>,
        key: DateTime<Utc>,
        attempt: i32,
    ) -> bool {
        let Some(dispatcher) = self.dispatcher() else {
            return false;
        };
        let mut local = dispatcher.local();
        if local.get(job.name()).is_some_and(|r| r.started) {
            return false;
        }
        let due_at = local
            .get(job.name())
            .map_or(key, |waiting| waiting.due_at.min(key));
        local.insert(
            job.name().clone(),
            LocalRun {
                job: job.clone(),
                tick: Some(tick),
                key: Some(key),
                due_at,
                attempt,
                granted_at: None,
                started: false,
            },
        );
        drop(local);
        dispatcher.wake.notify_one();
        true
    }

    /// Counts a manual run about to start here: it holds a turn (over the limit if need be)
    /// until it ends; a tick of the job waiting here is superseded by it.
    pub(crate) fn hold_manual_turn(&self, job: &Arc<dyn Job>) {
        let Some(dispatcher) = self.dispatcher() else {
            return;
        };
        let now = self.now();
        dispatcher.local().insert(
            job.name().clone(),
            LocalRun {
                job: job.clone(),
                tick: None,
                key: None,
                due_at: now,
                attempt: 1,
                granted_at: Some(now),
                started: true,
            },
        );
        dispatcher.wake.notify_one();
    }

    /// Forgets the turn of a manual run that did not start.
    pub(crate) fn forget_turn(&self, job: &JobName) {
        if let Some(dispatcher) = self.dispatcher() {
            dispatcher.local().remove(job);
        }
    }

    /// Ends the turn of the run of `job` that ended here, if it held one.
    pub(crate) async fn end_turn_here(&self, job: &JobName) {
        let Some(dispatcher) = self.dispatcher() else {
            return;
        };
        let ended = {
            let mut local = dispatcher.local();
            match local.get(job) {
                Some(run) if run.started => local.remove(job).map(|r| r.key),
                _ => None,
            }
        };
        if let Some(key) = ended {
            self.end_turn(job, key).await;
        }
    }

    /// Ends `key`'s turn of `job` in the queue.
    async fn end_turn(&self, job: &JobName, key: Option<DateTime<Utc>>) {
        let Some(dispatcher) = self.dispatcher() else {
            return;
        };
        if let Err(e) = dispatcher.store.end_turn(job, key, self.now()).await {
            tracing::warn!(job_name = %job, error = %e, "the run's turn could not be ended; it is freed when it goes stale");
        }
        dispatcher.wake.notify_one();
    }

    /// Takes turns until stopped: twice a second while runs wait or run here, at once when
    /// woken.
    pub(crate) async fn queue_loop(self: Arc<Self>, stop: CancelToken) {
        let Some(dispatcher) = self.dispatcher() else {
            return;
        };
        loop {
            let idle = dispatcher.local().is_empty();
            let refresh = if idle { Duration::from_secs(5) } else { POLL };
            tokio::select! {
                () = stop.cancelled() => return,
                () = dispatcher.wake.notified() => {}
                () = tokio::time::sleep(refresh) => {}
            }
            self.take_turn(dispatcher).await;
        }
    }

    /// One turn: says this instance's runs, reads the queue, starts the runs granted.
    async fn take_turn(self: &Arc<Self>, dispatcher: &Dispatcher) {
        let now = self.now();
        let instance = self.runner.instance_id().to_owned();
        let mine: Vec<QueuedRun> = dispatcher
            .local()
            .iter()
            .map(|(name, run)| QueuedRun {
                job_name: name.clone(),
                tick: run.key,
                due_at: run.due_at,
                host: run.job.host(),
                granted_at: run.granted_at,
                ended_at: None,
                seen_at: now,
                instance_id: instance.clone(),
            })
            .collect();
        let queue = match dispatcher
            .store
            .take_turns(&mine, &dispatcher.limits, now)
            .await
        {
            Ok(queue) => queue,
            Err(e) => {
                tracing::debug!(error = %e, "cannot take a turn in the run queue; trying again");
                return;
            }
        };
        let mut start = Vec::new();
        {
            let mut local = dispatcher.local();
            local.retain(|name, run| {
                if run.started {
                    return true;
                }
                match queue.iter().find(|r| &r.job_name == name) {
                    Some(row) if row.tick == run.key && row.ended_at.is_some() => {
                        tracing::debug!(job_name = %name, "tick already run by another instance");
                        false
                    }
                    Some(row) if row.is_granted() && row.tick == run.key => {
                        run.started = true;
                        run.granted_at = row.granted_at;
                        start.push(run.clone());
                        true
                    }
                    Some(row) if row.is_granted() => {
                        tracing::warn!(job_name = %name, tick = ?run.tick, "queued tick skipped: a run of the job is in progress");
                        metrics::counter!("propimport_skipped_ticks_total", "job_name" => name.to_string())
                            .increment(1);
                        false
                    }
                    _ => true,
                }
            });
        }
        *dispatcher
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = queue;
        for run in start {
            self.start_granted(run).await;
        }
    }

    /// Starts a run whose turn was granted (unless its job was paused meanwhile); a run that
    /// cannot start ends its local entry (its turn is freed by the instance that runs the tick,
    /// or when it goes stale).
    async fn start_granted(self: &Arc<Self>, run: LocalRun) {
        let name = run.job.name().clone();
        let Some(tick) = run.tick else {
            return;
        };
        let forget = || {
            if let Some(d) = self.dispatcher() {
                d.local().remove(&name);
            }
        };
        if self.jobs.find(&name).is_none() {
            tracing::info!(job_name = %name, tick = %tick, "queued run dropped: the job was removed");
            forget();
            self.end_turn(&name, run.key).await;
            return;
        }
        if self.skip_paused(&name, tick).await {
            forget();
            self.end_turn(&name, run.key).await;
            return;
        }
        if self.running_here(&name).is_some() {
            tracing::warn!(job_name = %name, tick = %tick, "queued tick skipped: the previous run is still in progress");
            forget();
            self.end_turn(&name, run.key).await;
            return;
        }
        if let Some(granted) = run.granted_at {
            let waited = (granted - run.due_at).to_std().unwrap_or_default();
            metrics::histogram!("propimport_queue_wait_seconds").record(waited.as_secs_f64());
        }
        match self
            .spawn_attempt(run.job.clone(), TriggeredBy::Cron, Some(tick), run.attempt)
            .await
        {
            Ok(e) => {
                if run.attempt == 1 {
                    self.watch.ran(&name, tick);
                }
                tracing::debug!(job_name = %name, execution_id = %e.id, "queued run started");
            }
            Err(TriggerRefusal::Store(Error::TickAlreadyClaimed { .. })) => {
                self.watch.ran(&name, tick);
                forget();
            }
            Err(e) => {
                tracing::warn!(job_name = %name, tick = %tick, error = %e, "queued run not started");
                forget();
            }
        }
    }
}
