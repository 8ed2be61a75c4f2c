//! The per-job gauges of `/metrics`, read from the scheduler and the execution store each
//! time it is scraped, so every configured job has its series from the first scrape and every
//! replica reports the same values (the database's, not only this process's runs).
//!
//! The last success of a job is the one value that can need more than the two reads every
//! scrape makes (the scheduler's status and each job's newest execution): it is kept per job
//! with the newest execution (and its status) it was worked out from, and looked up in the
//! history only when that execution changed and is not itself a success.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::{
    Execution, ExecutionId, ExecutionStatus, ExecutionStore, HistoryQuery, JobName, PageLimit,
};

use crate::{JobControl, JobState};

/// 1 while a run of the job is in progress on any instance, else 0.
pub const RUNNING: &str = "propimport_job_running";
/// When the job last ended SUCCESS or PARTIAL (Unix seconds); 0 when it never has.
pub const LAST_SUCCESS: &str = "propimport_job_last_success_timestamp_seconds";
/// The failed runs (ticks) since the job's last SUCCESS or PARTIAL.
pub const CONSECUTIVE_FAILURES: &str = "propimport_consecutive_failures";
/// 1 while the job is late (a tick older than the lateness grace has no run), else 0.
pub const LATE: &str = "propimport_job_late";
/// 1 while the job is paused, else 0.
pub const PAUSED: &str = "propimport_job_paused";
/// The job's next scheduled run (Unix seconds); absent for an unscheduled job.
pub const NEXT_RUN: &str = "propimport_job_next_run_timestamp_seconds";

/// What is remembered of each job between scrapes.
#[derive(Default)]
pub(crate) struct JobMetrics {
    memo: Mutex<HashMap<JobName, Memo>>,
}

/// One job's gauge values.
#[derive(Debug, Clone, PartialEq)]
struct Gauges {
    running: bool,
    late: bool,
    paused: bool,
    consecutive_failures: i32,
    last_success: Option<DateTime<Utc>>,
    next_run: Option<DateTime<Utc>>,
}

/// The last success of a job and the newest execution it was worked out from.
#[derive(Clone)]
struct Memo {
    newest: (ExecutionId, ExecutionStatus),
    last_success: Option<DateTime<Utc>>,
    consecutive_failures: i32,
}

impl JobMetrics {
    /// Sets every job's gauges from the scheduler's status and the store, within the
    /// readiness timeout (`within`); when that fails the gauges keep their last values (logged at DEBUG:
    /// `/readyz` is where an unreachable database shows).
    pub(crate) async fn refresh_from(
        &self,
        control: &dyn JobControl,
        store: &dyn ExecutionStore,
        within: Duration,
    ) {
        let work = async {
            let jobs = control.status().await?;
            self.refresh(&jobs, store).await
        };
        match actix_web::rt::time::timeout(within, work).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "job gauges not refreshed; /metrics shows their last values")
            }
            Err(_) => tracing::debug!(
                "job gauges not refreshed within the readiness timeout; /metrics shows their last values"
            ),
        }
    }

    /// Sets every job's gauges from its state and the store.
    ///
    /// # Errors
    /// The store's error; the gauges keep their previous values then.
    pub(crate) async fn refresh(
        &self,
        jobs: &[JobState],
        store: &dyn ExecutionStore,
    ) -> Result<(), propimport_domain::Error> {
        for (name, g) in self.gauges(jobs, store).await? {
            let name = name.as_str().to_owned();
            metrics::gauge!(RUNNING, "job_name" => name.clone()).set(flag(g.running));
            metrics::gauge!(LATE, "job_name" => name.clone()).set(flag(g.late));
            metrics::gauge!(PAUSED, "job_name" => name.clone()).set(flag(g.paused));
            metrics::gauge!(CONSECUTIVE_FAILURES, "job_name" => name.clone())
                .set(f64::from(g.consecutive_failures));
            metrics::gauge!(LAST_SUCCESS, "job_name" => name.clone())
                .set(g.last_success.map_or(0.0, unix_seconds));
            if let Some(next) = g.next_run {
                metrics::gauge!(NEXT_RUN, "job_name" => name).set(unix_seconds(next));
            }
        }
        Ok(())
    }

    /// Every job's gauge values, in the order of `jobs`.
    async fn gauges(
        &self,
        jobs: &[JobState],
        store: &dyn ExecutionStore,
    ) -> Result<Vec<(JobName, Gauges)>, propimport_domain::Error> {
        let names: Vec<JobName> = jobs.iter().map(|j| j.job_name.clone()).collect();
        let newest = store.last_of_jobs(&names).await?;
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            let memo = match newest.iter().find(|e| e.job_name == job.job_name) {
                Some(e) => Some(self.memo_for(e, store).await?),
                None => None,
            };
            out.push((
                job.job_name.clone(),
                Gauges {
                    running: job.running.is_some(),
                    late: job.ticks.late_tick.is_some(),
                    paused: job.pause.is_some(),
                    consecutive_failures: memo.as_ref().map_or(0, |m| m.consecutive_failures),
                    last_success: memo.and_then(|m| m.last_success),
                    next_run: job.next_runs.first().copied(),
                },
            ));
        }
        Ok(out)
    }

    /// The memo of `newest`'s job, worked out again when `newest` is not the execution it was
    /// last worked out from.
    async fn memo_for(
        &self,
        newest: &Execution,
        store: &dyn ExecutionStore,
    ) -> Result<Memo, propimport_domain::Error> {
        let kept = self
            .memo
            .lock()
            .ok()
            .and_then(|m| m.get(&newest.job_name).cloned());
        if let Some(kept) = kept.filter(|k| k.newest == (newest.id, newest.status)) {
            return Ok(kept);
        }
        let memo = match newest.status {
            ExecutionStatus::Success | ExecutionStatus::Partial => Memo {
                newest: (newest.id, newest.status),
                last_success: newest.completed_at,
                consecutive_failures: 0,
            },
            ExecutionStatus::Failed => Memo {
                newest: (newest.id, newest.status),
                last_success: last_success(&newest.job_name, store).await?,
                consecutive_failures: newest.consecutive_failures,
            },
            ExecutionStatus::Running => {
                let finished = last_finished(&newest.job_name, store).await?;
                Memo {
                    newest: (newest.id, newest.status),
                    last_success: last_success(&newest.job_name, store).await?,
                    consecutive_failures: finished.map_or(0, |e| e.consecutive_failures),
                }
            }
        };
        if let Ok(mut m) = self.memo.lock() {
            m.insert(newest.job_name.clone(), memo.clone());
        }
        Ok(memo)
    }
}

/// When `job` last ended SUCCESS or PARTIAL.
async fn last_success(
    job: &JobName,
    store: &dyn ExecutionStore,
) -> Result<Option<DateTime<Utc>>, propimport_domain::Error> {
    let mut latest = None;
    for status in [ExecutionStatus::Success, ExecutionStatus::Partial] {
        let page = store.history(&query(job, Some(status), 1)).await?;
        let ended = page.executions.first().and_then(|e| e.completed_at);
        latest = latest.max(ended);
    }
    Ok(latest)
}

/// The newest finished execution of `job` (one job has one RUNNING execution at most, so it
/// is among the newest two).
async fn last_finished(
    job: &JobName,
    store: &dyn ExecutionStore,
) -> Result<Option<Execution>, propimport_domain::Error> {
    let page = store.history(&query(job, None, 2)).await?;
    Ok(page.executions.into_iter().find(|e| e.status.is_finished()))
}

fn query(job: &JobName, status: Option<ExecutionStatus>, limit: i64) -> HistoryQuery {
    HistoryQuery {
        limit: PageLimit::new(limit).unwrap_or_default(),
        status,
        job_name: Some(job.clone()),
        ..HistoryQuery::default()
    }
}

fn flag(on: bool) -> f64 {
    if on { 1.0 } else { 0.0 }
}

#[expect(
    clippy::cast_precision_loss,
    reason = "Unix milliseconds far below 2^52"
)]
fn unix_seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use propimport_domain::testing::InMemoryExecutionStore;
    use propimport_domain::{ExecutionId, FinishExecution, NewExecution, RunCounts, TriggeredBy};

    use super::*;

    fn job(name: &str) -> JobState {
        JobState {
            job_name: JobName::parse(name).unwrap(),
            schedule: Some("0 0 * * *".into()),
            timezone: Some("UTC".into()),
            schedule_text: None,
            is_scheduled: true,
            next_runs: vec![],
            running: None,
            live_progress: None,
            ticks: crate::TickState::default(),
            pause: None,
        }
    }

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(minute)
    }

    /// Starts a run of `name` at `minute` and, unless `status` is RUNNING, ends it a minute
    /// later with that status.
    async fn run(
        store: &InMemoryExecutionStore,
        name: &str,
        minute: i64,
        status: ExecutionStatus,
    ) -> ExecutionId {
        let e = store
            .create_running(NewExecution {
                id: ExecutionId::new(),
                job_name: JobName::parse(name).unwrap(),
                triggered_by: TriggeredBy::Manual,
                started_at: at(minute),
                scheduled_for: None,
                attempt: 1,
                instance_id: None,
            })
            .await
            .unwrap();
        if status.is_finished() {
            finish(store, &e.id, minute + 1, status).await;
        }
        e.id
    }

    async fn finish(
        store: &InMemoryExecutionStore,
        id: &ExecutionId,
        minute: i64,
        status: ExecutionStatus,
    ) {
        let end = FinishExecution {
            status,
            completed_at: at(minute),
            counts: RunCounts::default(),
            errors: propimport_domain::ErrorLog::default(),
            last_error: None,
            details: None,
        };
        store.finish(id, end).await.unwrap();
    }

    #[tokio::test]
    async fn the_last_success_and_the_failures_come_from_the_history() {
        let store = InMemoryExecutionStore::new();
        let metrics = JobMetrics::default();
        let jobs = [job("feed-a"), job("feed-b")];
        let values = |g: &[(JobName, Gauges)]| {
            g.iter()
                .map(|(n, g)| (n.to_string(), g.last_success, g.consecutive_failures))
                .collect::<Vec<_>>()
        };

        // Every configured job has its values before any run.
        let g = metrics.gauges(&jobs, &store).await.unwrap();
        assert_eq!(
            values(&g),
            [("feed-a".into(), None, 0), ("feed-b".into(), None, 0)]
        );

        run(&store, "feed-a", 0, ExecutionStatus::Success).await;
        run(&store, "feed-a", 10, ExecutionStatus::Partial).await;
        run(&store, "feed-a", 20, ExecutionStatus::Failed).await;
        run(&store, "feed-a", 30, ExecutionStatus::Failed).await;
        let g = metrics.gauges(&jobs, &store).await.unwrap();
        assert_eq!(values(&g)[0], ("feed-a".into(), Some(at(11)), 2));

        // A run in progress keeps the finished runs' values until it ends.
        let running = run(&store, "feed-a", 40, ExecutionStatus::Running).await;
        let g = metrics.gauges(&jobs, &store).await.unwrap();
        assert_eq!(values(&g)[0], ("feed-a".into(), Some(at(11)), 2));
        finish(&store, &running, 45, ExecutionStatus::Success).await;
        let g = metrics.gauges(&jobs, &store).await.unwrap();
        assert_eq!(values(&g)[0], ("feed-a".into(), Some(at(45)), 0));

        run(&store, "feed-b", 50, ExecutionStatus::Success).await;
        let g = metrics.gauges(&jobs, &store).await.unwrap();
        assert_eq!(values(&g)[1], ("feed-b".into(), Some(at(51)), 0));
    }
}
