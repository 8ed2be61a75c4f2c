//! Alerts at the threshold, the cooldown and the recovery notice, delivered to a real local
//! webhook receiver.

use std::sync::Arc;
use std::time::Duration;

use propimport_domain::{CancelToken, Notifier, TriggeredBy};
use propimport_scheduler::{AlertSettings, WebhookNotifier};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{Behaviour, Harness, TestJob, at, counts};

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
    let notifier: Arc<dyn Notifier> =
        Arc::new(WebhookNotifier::new(url, Duration::from_secs(5), 3).unwrap());
    let settings = AlertSettings {
        threshold: 2,
        cooldown: chrono::Duration::hours(6),
    };
    let h = Harness::with_alerts(at(2025, 6, 1, 0, 0, 0), settings, Some(notifier));
    let job = TestJob::new("kyero", Behaviour::Fail("feed unreachable"));
    let run = || {
        h.runner
            .run_tracked(job.clone(), TriggeredBy::Cron, None, CancelToken::new())
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
        WebhookNotifier::new(server.uri().parse().unwrap(), Duration::from_secs(2), 3).unwrap(),
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
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "three attempts, then it gives up"
    );
}
