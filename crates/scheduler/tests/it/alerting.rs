//! Alerts at the threshold, the cooldown and the recovery notice, delivered to a real local
//! webhook receiver; the signed JSON webhook; routes; one alert between replicas sharing a
//! store.

use std::sync::Arc;
use std::time::Duration;

use propimport_domain::{CancelToken, Notifier, RetryPolicy, TriggeredBy};
use propimport_scheduler::{AlertSettings, WebhookNotifier};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{Behaviour, Harness, TestJob, at, counts, quick_retries};

async fn bodies(server: &MockServer) -> Vec<serde_json::Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.body_json().unwrap())
        .collect()
}

#[tokio::test]
async fn alerts_at_threshold_respects_cooldown_and_announces_recovery() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let url = format!("{}/hook", server.uri()).parse().unwrap();
    let notifier: Arc<dyn Notifier> = Arc::new(
        WebhookNotifier::new(url, Duration::from_secs(5), RetryPolicy::delivery()).unwrap(),
    );
    let settings = AlertSettings {
        threshold: 2,
        cooldown: chrono::Duration::hours(6),
    };
    let h = Harness::with_alerts(at(2025, 6, 1, 0, 0, 0), settings, Some(notifier));
    let job = TestJob::new("kyero", Behaviour::Fail("feed unreachable"));
    let run = || async {
        let done = h
            .runner
            .run_tracked(job.clone(), TriggeredBy::Cron, None, CancelToken::new())
            .await;
        h.runner.alerts().settled().await;
        done
    };

    assert_eq!(run().await.unwrap().execution.consecutive_failures, 1);
    assert!(
        bodies(&server).await.is_empty(),
        "below the threshold nothing is sent"
    );
    let second = run().await.unwrap().execution;
    let sent = bodies(&server).await;
    assert_eq!(sent.len(), 1);
    let text = sent[0]["text"].as_str().unwrap();
    assert!(text.contains("kyero has failed 2 times in a row"), "{text}");
    assert!(text.contains("feed unreachable"), "{text}");
    assert_eq!(
        sent[0]["content"], sent[0]["text"],
        "Discord reads content, Slack reads text"
    );
    assert_eq!(sent[0]["alert"]["kind"], "failure_threshold");
    assert_eq!(
        sent[0]["alert"]["executionId"]
            .as_str()
            .or(sent[0]["alert"]["execution_id"].as_str()),
        Some(second.id.to_string().as_str())
    );

    run().await.unwrap();
    assert_eq!(
        bodies(&server).await.len(),
        1,
        "a third failure within the cooldown is not sent again"
    );

    job.set(Behaviour::Report(counts(3, 3, 0, 0)));
    run().await.unwrap();
    let sent = bodies(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1]["alert"]["kind"], "recovered");
    assert!(
        sent[1]["text"]
            .as_str()
            .unwrap()
            .contains("succeeded again after 3 failed runs")
    );
}

#[tokio::test]
async fn a_failing_webhook_never_fails_the_run() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let notifier: Arc<dyn Notifier> = Arc::new(
        WebhookNotifier::new(
            server.uri().parse().unwrap(),
            Duration::from_secs(2),
            quick_retries(),
        )
        .unwrap(),
    );
    let settings = AlertSettings {
        threshold: 1,
        cooldown: chrono::Duration::hours(6),
    };
    let h = Harness::with_alerts(at(2025, 6, 1, 0, 0, 0), settings, Some(notifier));
    let job = TestJob::new("kyero", Behaviour::Fail("boom"));
    let e = h
        .runner
        .run_tracked(job, TriggeredBy::Cron, None, CancelToken::new())
        .await
        .unwrap()
        .execution;
    assert_eq!(e.consecutive_failures, 1);
    h.runner.alerts().settled().await;
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "three attempts, then it gives up"
    );
}

mod signed {
    //! The signed JSON webhook, routes, and replicas sharing one alert store.

    use std::sync::Arc;
    use std::time::Duration;

    use chrono::Utc;
    use propimport_domain::testing::InMemoryAlertStore;
    use propimport_domain::{AlertEventQuery, AlertStore, JobName};
    use propimport_scheduler::signed_webhook::{
        DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify,
    };
    use propimport_scheduler::{AlertRoutes, AlertSettings, Alerts, SignedWebhookNotifier};
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const SECRET: &[u8] = b"a-shared-secret-0123456789";

    async fn receiver() -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(204))
            .mount(&server)
            .await;
        server
    }

    fn alerts(server: &MockServer, store: Arc<InMemoryAlertStore>, routes: AlertRoutes) -> Alerts {
        let hook = SignedWebhookNotifier::new(
            server.uri().parse().unwrap(),
            SECRET,
            Duration::from_secs(5),
            propimport_domain::RetryPolicy::delivery(),
        )
        .unwrap();
        Alerts::builder(AlertSettings::default())
            .store(store)
            .channel(Arc::new(hook))
            .routes(routes)
            .public_url(Some("https://ops.example".into()))
            .build()
    }

    fn job() -> JobName {
        JobName::parse("kyero").unwrap()
    }

    #[tokio::test]
    async fn signed_json_verifies_and_carries_the_alert() {
        let server = receiver().await;
        let store = Arc::new(InMemoryAlertStore::new());
        let a = alerts(&server, store.clone(), AlertRoutes::new());
        let tick = Utc::now();
        a.late(&job(), tick, chrono::Duration::minutes(5)).await;
        a.settled().await;
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 1);
        let r = &requests[0];
        let header = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(header("content-type"), Some("application/json"));
        assert!(header(DELIVERY_HEADER).is_some_and(|d| d.len() == 36));
        assert_eq!(
            verify(
                SECRET,
                header(TIMESTAMP_HEADER),
                header(SIGNATURE_HEADER),
                &r.body,
                Utc::now()
            ),
            Ok(()),
            "the signature covers the raw body"
        );
        assert!(
            verify(
                b"wrong",
                header(TIMESTAMP_HEADER),
                header(SIGNATURE_HEADER),
                &r.body,
                Utc::now()
            )
            .is_err()
        );
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["event"], "raised");
        assert_eq!(body["title"], "job kyero is late");
        assert_eq!(body["link"], "https://ops.example/dashboard/");
        assert_eq!(body["alert"]["kind"], "late");
        assert_eq!(body["alert"]["jobName"], "kyero");
        assert_eq!(body["alert"]["graceSeconds"], 300);
        let history = store.events(&AlertEventQuery::default()).await.unwrap();
        let events: Vec<(&str, Option<&str>)> = history
            .events
            .iter()
            .map(|e| (e.event.as_str(), e.channel.as_deref()))
            .collect();
        assert_eq!(
            events,
            [("delivered", Some("json-webhook")), ("raised", None)]
        );
        assert_eq!(history.events[0].alert_id, Some(history.events[1].id));
    }

    #[tokio::test]
    async fn a_job_routed_elsewhere_is_recorded_but_not_sent() {
        let server = receiver().await;
        let store = Arc::new(InMemoryAlertStore::new());
        let routes = AlertRoutes::new().route(job(), vec!["email".into()]);
        let a = alerts(&server, store.clone(), routes);
        a.late(&job(), Utc::now(), chrono::Duration::minutes(5))
            .await;
        a.settled().await;
        assert!(server.received_requests().await.unwrap().is_empty());
        let history = store.events(&AlertEventQuery::default()).await.unwrap();
        assert_eq!(history.pagination.total, 1, "raised, with no delivery");
    }

    #[tokio::test]
    async fn replicas_sharing_a_store_send_one_alert() {
        let server = receiver().await;
        let store = Arc::new(InMemoryAlertStore::new());
        let replicas: Vec<Alerts> = (0..3)
            .map(|_| alerts(&server, store.clone(), AlertRoutes::new()))
            .collect();
        let tick = Utc::now();
        futures_join(&replicas, tick).await;
        for r in &replicas {
            r.settled().await;
        }
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
        // A restarted replica (a new `Alerts` on the same store) does not send it again.
        let restarted = alerts(&server, store.clone(), AlertRoutes::new());
        restarted
            .late(
                &job(),
                tick + chrono::Duration::minutes(1),
                chrono::Duration::minutes(5),
            )
            .await;
        restarted.settled().await;
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "a later tick within the cooldown is not sent again"
        );
    }

    async fn futures_join(replicas: &[Alerts], tick: chrono::DateTime<Utc>) {
        let grace = chrono::Duration::minutes(5);
        let (a, b, c) = (&replicas[0], &replicas[1], &replicas[2]);
        let job = job();
        tokio::join!(
            a.late(&job, tick, grace),
            b.late(&job, tick, grace),
            c.late(&job, tick, grace)
        );
    }
}
