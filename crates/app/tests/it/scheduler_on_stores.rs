//! The scheduler on the real stores: tracked-run lifecycles on SQLite and PostgreSQL, and
//! two scheduler instances sharing one PostgreSQL database.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use propimport_domain::{
    CancelToken, Clock, ErrorLog, ExecutionStatus, ExecutionStore, HistoryQuery, Job, JobContext,
    JobError, JobName, JobReport, PageLimit, RunCounts, SystemClock, TriggeredBy,
};
use propimport_persistence::testing::TestDatabase;

use crate::rt;
use propimport_scheduler::{
    AlertSettings, Alerts, CronSchedule, RunSettings, ScheduledJob, Scheduler, SchedulerSettings,
    TrackedRunner, WebhookNotifier,
};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A job that takes `pause`, then reports (or fails, or panics).
struct QuickJob {
    name: JobName,
    pause: Duration,
    outcome: Outcome,
}

#[derive(Clone, Copy)]
enum Outcome {
    Success,
    Partial,
    Fail,
    Panic,
    UntilCancelled,
}

#[async_trait]
impl Job for QuickJob {
    fn name(&self) -> &JobName {
        &self.name
    }

    async fn run(&self, ctx: JobContext) -> Result<JobReport, JobError> {
        tokio::time::sleep(self.pause).await;
        let counts = |failed| RunCounts {
            total_properties: 3,
            success_count: 3 - failed,
            failed_count: failed,
            skipped_count: 0,
        };
        match self.outcome {
            Outcome::Success => Ok(JobReport {
                counts: counts(0),
                ..Default::default()
            }),
            Outcome::Partial => {
                let mut errors = ErrorLog::default();
                errors.push(propimport_domain::ItemError {
                    external_id: Some("X".into()),
                    stage: "map".into(),
                    message: "bad".into(),
                });
                Ok(JobReport {
                    counts: counts(1),
                    errors,
                    details: None,
                    warning: None,
                })
            }
            Outcome::Fail => Err(JobError::new("feed unreachable")),
            Outcome::Panic => panic!("boom"),
            Outcome::UntilCancelled => {
                ctx.progress.set(propimport_domain::Progress {
                    counts: counts(0),
                    expected_total: None,
                    ..Default::default()
                });
                ctx.cancel.cancelled().await;
                Ok(JobReport {
                    counts: counts(0),
                    ..Default::default()
                })
            }
        }
    }
}

fn job(name: &str, pause_ms: u64, outcome: Outcome) -> Arc<dyn Job> {
    Arc::new(QuickJob {
        name: JobName::parse(name).unwrap(),
        pause: Duration::from_millis(pause_ms),
        outcome,
    })
}

fn runner(store: Arc<dyn ExecutionStore>, instance: &str) -> Arc<TrackedRunner> {
    runner_with_alerts(store, instance, Alerts::new(AlertSettings::default(), None))
}

fn runner_with_alerts(
    store: Arc<dyn ExecutionStore>,
    instance: &str,
    alerts: Alerts,
) -> Arc<TrackedRunner> {
    Arc::new(TrackedRunner::new(
        store,
        Arc::new(SystemClock) as Arc<dyn Clock>,
        Arc::new(alerts),
        RunSettings {
            instance_id: instance.into(),
            heartbeat_interval: Duration::from_millis(200),
            ..RunSettings::default()
        },
    ))
}

async fn webhook_bodies(server: &MockServer) -> Vec<serde_json::Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.body_json().unwrap())
        .collect()
}

async fn lifecycle(fixture: TestDatabase) {
    let store: Arc<dyn ExecutionStore> = Arc::new(fixture.executions().clone());
    let hook = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&hook)
        .await;
    let notifier = WebhookNotifier::new(
        hook.uri().parse().unwrap(),
        Duration::from_secs(5),
        propimport_domain::RetryPolicy::delivery().with_max_attempts(2),
    )
    .unwrap();
    let settings = AlertSettings {
        threshold: 2,
        cooldown: chrono::Duration::hours(1),
    };
    let r = runner_with_alerts(
        store.clone(),
        "test:1",
        Alerts::new(settings, Some(Arc::new(notifier))),
    );
    let run = |outcome| {
        let r = r.clone();
        async move {
            let done = r
                .run_tracked(
                    job("feed", 10, outcome),
                    TriggeredBy::Cron,
                    None,
                    CancelToken::new(),
                )
                .await
                .unwrap()
                .execution;
            r.alerts().settled().await;
            done
        }
    };
    assert_eq!(run(Outcome::Success).await.status, ExecutionStatus::Success);
    let partial = run(Outcome::Partial).await;
    assert_eq!(
        (partial.status, partial.counts.failed_count),
        (ExecutionStatus::Partial, 1)
    );
    assert_eq!(
        store.get(&partial.id).await.unwrap().unwrap().errors.len(),
        1
    );
    let failed = run(Outcome::Fail).await;
    assert_eq!(
        (failed.status, failed.consecutive_failures),
        (ExecutionStatus::Failed, 1)
    );
    let panicked = run(Outcome::Panic).await;
    assert_eq!(panicked.last_error.as_deref(), Some("job panicked: boom"));
    assert_eq!(panicked.consecutive_failures, 2);
    let sent = webhook_bodies(&hook).await;
    assert_eq!(
        sent.len(),
        1,
        "the second failure in a row reaches the threshold"
    );
    assert_eq!(sent[0]["alert"]["kind"], "failure_threshold");
    assert_eq!(sent[0]["alert"]["consecutiveFailures"], 2);
    assert_eq!(run(Outcome::Fail).await.consecutive_failures, 3);
    assert_eq!(
        webhook_bodies(&hook).await.len(),
        1,
        "no second page within the cooldown"
    );
    assert_eq!(run(Outcome::Success).await.consecutive_failures, 0);
    let sent = webhook_bodies(&hook).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1]["alert"]["kind"], "recovered");
    assert_eq!(sent[1]["alert"]["afterFailures"], 3);

    let cancel = CancelToken::new();
    let (r2, token) = (r.clone(), cancel.clone());
    let cancelled = tokio::spawn(async move {
        r2.run_tracked(
            job("feed", 0, Outcome::UntilCancelled),
            TriggeredBy::Api,
            None,
            token,
        )
        .await
    });
    // A heartbeat (every 200 ms) carries the live counts; wait for one, generously.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let live = store.running(None).await.unwrap();
        assert!(live.len() <= 1, "one run is going: {live:?}");
        if live.first().is_some_and(|e| e.counts.total_properties == 3) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "heartbeats carried the live counts within 30 s: {live:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cancel.cancel();
    let e = cancelled.await.unwrap().unwrap().execution;
    assert_eq!(
        (e.status, e.last_error.as_deref()),
        (ExecutionStatus::Failed, Some("interrupted by shutdown"))
    );
    assert!(store.running(None).await.unwrap().is_empty());
}

#[test]
fn tracked_runs_on_sqlite() {
    rt().block_on(async { lifecycle(TestDatabase::sqlite().await).await });
}

#[test]
fn tracked_runs_on_postgres() {
    rt().block_on(async {
        if let Some(fixture) = TestDatabase::postgres().await {
            lifecycle(fixture).await;
        }
    });
}

/// Every execution in the store, oldest first.
async fn all_runs(store: &dyn ExecutionStore) -> Vec<propimport_domain::Execution> {
    let mut runs = Vec::new();
    for offset in (0..).step_by(100) {
        let q = HistoryQuery {
            limit: PageLimit::new(100).unwrap(),
            offset,
            ..Default::default()
        };
        let page = store.history(&q).await.unwrap().executions;
        if page.is_empty() {
            break;
        }
        runs.extend(page);
    }
    runs.reverse();
    runs
}

/// Two scheduler instances on one PostgreSQL database, a job every second that takes 300 ms,
/// until ten ticks ran (`REPLICA_TEST_SECONDS` - 1, at least ten; default 11): every tick has exactly one
/// execution and no two runs overlap. Prints the lateness of the starts.
#[test]
fn two_instances_share_one_postgres_database() {
    rt().block_on(async {
        let Some(fixture) = TestDatabase::postgres().await else { return };
        let store: Arc<dyn ExecutionStore> = Arc::new(fixture.executions().clone());
        let schedule = CronSchedule::parse("* * * * * *", "Europe/Skopje").unwrap();
        let mut handles = Vec::new();
        for instance in ["replica-a", "replica-b"] {
            let jobs = vec![ScheduledJob { job: job("feed", 300, Outcome::Success), schedule: Some(schedule.clone()) }];
            handles.push(Scheduler::new(runner(store.clone(), instance), jobs, SchedulerSettings::default()).start().await);
        }
        let started = Utc::now();
        let seconds: u64 = std::env::var("REPLICA_TEST_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(11);
        // Wait for the runs rather than for a time: `seconds - 1` finished runs (ten at least),
        // within a generous deadline for a loaded machine.
        let wanted = usize::try_from(seconds.saturating_sub(1).max(10)).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds * 3 + 30);
        loop {
            let finished = all_runs(store.as_ref()).await.iter().filter(|e| e.completed_at.is_some()).count();
            if finished >= wanted {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{wanted} ticks ran within the deadline, got {finished}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for handle in handles {
            handle.shutdown(Duration::from_secs(5)).await;
        }
        let runs = all_runs(store.as_ref()).await;
        assert!(runs.len() >= wanted, "at least {wanted} ticks ran, got {}", runs.len());
        let ticks: std::collections::HashSet<_> = runs.iter().map(|e| e.scheduled_for.unwrap()).collect();
        assert_eq!(ticks.len(), runs.len(), "one execution per tick");
        for pair in runs.windows(2) {
            assert!(pair[0].completed_at.unwrap() <= pair[1].started_at, "runs never overlap: {pair:?}");
        }
        assert!(runs.iter().all(|e| e.status == ExecutionStatus::Success));
        let instances: std::collections::HashSet<_> = runs.iter().filter_map(|e| e.instance_id.clone()).collect();
        // A tick that passed just before start-up is caught up at once (late by design); the
        // lateness of scheduled starts is measured on the ticks after start-up.
        let mut lateness: Vec<i64> = runs
            .iter()
            .filter(|e| e.scheduled_for.unwrap() >= started)
            .map(|e| (e.started_at - e.scheduled_for.unwrap()).num_milliseconds())
            .collect();
        lateness.sort_unstable();
        println!(
            "two replicas, {} ticks from {started}: instances {instances:?}; lateness of {} on-time starts ms: median {} worst {}",
            runs.len(),
            lateness.len(),
            lateness[lateness.len() / 2],
            lateness[lateness.len() - 1]
        );
    });
}
