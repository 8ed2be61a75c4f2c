//! Operator control on the real stores (SQLite and PostgreSQL): a cancel recorded through
//! another store (another replica's API, or `propimport executions cancel`) stops the run of
//! this instance's scheduler at its next heartbeat; a pause recorded elsewhere is shown by
//! its status.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use propimport_domain::{
    CancelRequest, Clock, ExecutionStatus, ExecutionStore, Job, JobContext, JobError, JobName,
    JobPause, JobReport, SystemClock, TriggeredBy,
};
use propimport_persistence::SqlExecutionStore;
use propimport_persistence::testing::TestDatabase;
use propimport_scheduler::{
    AlertSettings, Alerts, RunSettings, ScheduledJob, Scheduler, SchedulerSettings, TrackedRunner,
};

use crate::rt;

/// Runs until it is cancelled.
struct Endless(JobName);

#[async_trait]
impl Job for Endless {
    fn name(&self) -> &JobName {
        &self.0
    }

    async fn run(&self, ctx: JobContext) -> Result<JobReport, JobError> {
        ctx.cancel.cancelled().await;
        Ok(JobReport::default())
    }
}

async fn cancel_and_pause_from_elsewhere(fixture: TestDatabase) {
    let store: Arc<dyn ExecutionStore> = Arc::new(fixture.executions().clone());
    // Another replica: a store of its own (its own read cache) on the same database.
    let elsewhere = SqlExecutionStore::new(fixture.database().clone());
    let name = JobName::parse("feed").unwrap();
    let runner = Arc::new(TrackedRunner::new(
        store.clone(),
        Arc::new(SystemClock) as Arc<dyn Clock>,
        Arc::new(Alerts::new(AlertSettings::default(), None)),
        RunSettings {
            instance_id: "here:1".into(),
            heartbeat_interval: Duration::from_millis(200),
            ..RunSettings::default()
        },
    ));
    let jobs = vec![ScheduledJob {
        job: Arc::new(Endless(name.clone())) as Arc<dyn Job>,
        schedule: None,
    }];
    let handle = Scheduler::new(runner, jobs, SchedulerSettings::default())
        .start()
        .await;

    let pause = JobPause::new(name.clone(), "jwt:ops", Utc::now(), Some("partner upgrade"));
    let stored = elsewhere.pause_job(&pause).await.unwrap();
    let status = handle.status().await.unwrap();
    assert_eq!(
        status[0].paused.as_ref(),
        Some(&stored),
        "read from the database"
    );

    let run = handle.trigger(Some(&name), TriggeredBy::Api).await.unwrap();
    // Ask once the run is beating (its first heartbeat recorded), within a generous deadline.
    let beating = Instant::now();
    loop {
        let e = elsewhere.get(&run.id).await.unwrap().unwrap();
        if e.heartbeat_at.is_some_and(|at| at > e.started_at) {
            break;
        }
        assert!(
            beating.elapsed() < Duration::from_secs(30),
            "no heartbeat within 30 s: {e:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let asked = Instant::now();
    elsewhere
        .request_cancel(&run.id, &CancelRequest::new("cli:ana", Utc::now()))
        .await
        .unwrap();
    let ended = loop {
        let e = elsewhere.get(&run.id).await.unwrap().unwrap();
        if e.status != ExecutionStatus::Running {
            break e;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "still RUNNING 10 s after the cancel request: {e:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(ended.status, ExecutionStatus::Failed);
    assert_eq!(ended.last_error.as_deref(), Some("cancelled by cli:ana"));
    assert_eq!(
        ended.cancel_requested.map(|c| c.by).as_deref(),
        Some("cli:ana")
    );
    assert_eq!(ended.instance_id.as_deref(), Some("here:1"));
    handle.shutdown(Duration::from_secs(1)).await;
    assert!(elsewhere.resume_job(&name).await.unwrap().is_some());
}

#[test]
fn cancel_and_pause_from_elsewhere_sqlite() {
    rt().block_on(async {
        cancel_and_pause_from_elsewhere(TestDatabase::sqlite().await).await;
    });
}

#[test]
fn cancel_and_pause_from_elsewhere_postgres() {
    rt().block_on(async {
        if let Some(fixture) = TestDatabase::postgres().await {
            cancel_and_pause_from_elsewhere(fixture).await;
        }
    });
}
