//! Alerts on the real stores, as two replicas (two pools on one SQLite file or one PostgreSQL
//! database, each with its own runner and `Alerts`) meet them: one alert per condition between
//! them, none again within the cooldown after a restart, one recovery notice; each delivery to
//! a real local receiver of the signed JSON webhook, and recorded in the history.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use propimport_domain::{
    AlertEventQuery, AlertStore, CancelToken, Clock, ExecutionStore, Job, JobContext, JobError,
    JobName, JobReport, SystemClock, TriggeredBy,
};
use propimport_persistence::testing::TestDatabase;
use propimport_persistence::{Database, PoolOptions, SqlAlertStore, SqlExecutionStore};
use propimport_scheduler::signed_webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER, verify};
use propimport_scheduler::{
    AlertSettings, Alerts, RunSettings, SignedWebhookNotifier, TrackedRunner,
};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::rt;

const SECRET: &[u8] = b"replica-shared-secret-0123";

/// A job that fails or succeeds as told.
struct Switch {
    name: JobName,
    fail: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Job for Switch {
    fn name(&self) -> &JobName {
        &self.name
    }

    async fn run(&self, _: JobContext) -> Result<JobReport, JobError> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            Err(JobError::new("feed unreachable"))
        } else {
            Ok(JobReport::default())
        }
    }
}

/// One replica: its own pool on the shared database, its runner and alerts.
struct Replica {
    runner: TrackedRunner,
    db: Database,
}

impl Replica {
    async fn start(db: &Database, receiver: &MockServer, name: &str) -> Self {
        let db = Database::connect(db.url(), PoolOptions::default())
            .await
            .unwrap();
        let hook = SignedWebhookNotifier::new(
            receiver.uri().parse().unwrap(),
            SECRET,
            Duration::from_secs(5),
            propimport_domain::RetryPolicy::delivery(),
        )
        .unwrap();
        let alerts = Alerts::builder(AlertSettings {
            threshold: 2,
            cooldown: chrono::Duration::hours(1),
        })
        .store(Arc::new(SqlAlertStore::new(db.clone())))
        .channel(Arc::new(hook))
        .build();
        let runner = TrackedRunner::new(
            Arc::new(SqlExecutionStore::with_read_cache_ttl(
                db.clone(),
                Duration::ZERO,
            )) as Arc<dyn ExecutionStore>,
            Arc::new(SystemClock) as Arc<dyn Clock>,
            Arc::new(alerts),
            RunSettings {
                instance_id: name.into(),
                heartbeat_interval: Duration::from_millis(200),
                ..RunSettings::default()
            },
        );
        Self { runner, db }
    }

    async fn run(&self, job: &Arc<Switch>) -> propimport_domain::FinishedRun {
        let done = self
            .runner
            .run_tracked(job.clone(), TriggeredBy::Cron, None, CancelToken::new())
            .await
            .unwrap();
        self.runner.alerts().settled().await;
        done
    }
}

/// The events the receiver got, in order (`raised`, `repeated`, `recovered`), each signed.
async fn received(receiver: &MockServer) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for r in receiver.received_requests().await.unwrap_or_default() {
        let header = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok());
        verify(
            SECRET,
            header(TIMESTAMP_HEADER),
            header(SIGNATURE_HEADER),
            &r.body,
            Utc::now(),
        )
        .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        out.push((text(&body["event"]), text(&body["alert"]["kind"])));
    }
    out
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

async fn replicas_alert_once(fixture: TestDatabase) {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&receiver)
        .await;
    let (a, b) = tokio::join!(
        Replica::start(fixture.database(), &receiver, "replica-a:1"),
        Replica::start(fixture.database(), &receiver, "replica-b:1")
    );
    let job = Arc::new(Switch {
        name: JobName::parse("feed").unwrap(),
        fail: true.into(),
    });
    // Failures alternate between the replicas: B reaches the threshold, A's next failure is
    // within the cooldown that B's alert started (A never saw it in memory).
    a.run(&job).await;
    let second = b.run(&job).await;
    assert_eq!(second.execution.consecutive_failures, 2);
    assert_eq!(
        received(&receiver).await,
        owned(&[("raised", "failure_threshold")])
    );
    a.run(&job).await;
    assert_eq!(received(&receiver).await.len(), 1, "within the cooldown");

    // Both replicas see the same late tick, and both handle the same finished run: one each.
    let tick = Utc::now() - chrono::Duration::minutes(10);
    let grace = chrono::Duration::minutes(5);
    let other = JobName::parse("other").unwrap();
    let (alerts_a, alerts_b) = (a.runner.alerts(), b.runner.alerts());
    tokio::join!(
        alerts_a.late(&other, tick, grace),
        alerts_b.late(&other, tick, grace)
    );
    let failing = Arc::new(Switch {
        name: JobName::parse("third").unwrap(),
        fail: true.into(),
    });
    a.run(&failing).await;
    let finished = b.run(&failing).await;
    assert_eq!(
        received(&receiver).await.len(),
        3,
        "late + third's threshold"
    );
    let now = Utc::now();
    tokio::join!(
        alerts_a.after_finish(&finished, now),
        alerts_b.after_finish(&finished, now)
    );
    alerts_a.settled().await;
    alerts_b.settled().await;
    assert_eq!(
        received(&receiver).await,
        owned(&[
            ("raised", "failure_threshold"),
            ("raised", "late"),
            ("raised", "failure_threshold"),
        ]),
        "the same condition seen twice is sent once"
    );

    // A restarted replica (new pool, new `Alerts`, nothing in memory) does not page again.
    let restarted = Replica::start(fixture.database(), &receiver, "replica-a:2").await;
    restarted.run(&job).await;
    assert_eq!(received(&receiver).await.len(), 3);

    // The job succeeds on B: one recovery notice; the next failure episode alerts at once.
    job.fail.store(false, std::sync::atomic::Ordering::SeqCst);
    b.run(&job).await;
    a.run(&job).await;
    let sent = received(&receiver).await;
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert_eq!(sent[3], ("recovered".to_owned(), "recovered".to_owned()));

    let history = SqlAlertStore::new(a.db.clone())
        .events(&AlertEventQuery::default())
        .await
        .unwrap();
    let count = |event: &str| {
        history
            .events
            .iter()
            .filter(|e| e.event.as_str() == event)
            .count()
    };
    assert_eq!(
        (count("raised"), count("recovered"), count("delivered")),
        (3, 1, 4)
    );
    assert_eq!(count("failed"), 0);
    for r in [a, b, restarted] {
        r.db.close();
    }
}

#[test]
fn sqlite_replicas_alert_once() {
    rt().block_on(async { replicas_alert_once(TestDatabase::sqlite().await).await });
}

#[test]
fn postgres_replicas_alert_once() {
    rt().block_on(async {
        if let Some(fixture) = TestDatabase::postgres().await {
            replicas_alert_once(fixture).await;
        }
    });
}
