//! The email channel end to end against a real SMTP server started on 127.0.0.1: plain SMTP
//! with AUTH, STARTTLS and implicit TLS (the server's certificate signed by a CA made in the
//! test, trusted through `extra_roots_pem`), retries of a transient refusal, and a failure
//! recorded in the alert history.

use std::sync::Arc;
use std::time::Duration;

use propimport_domain::testing::{InMemoryAlertStore, InMemoryExecutionStore};
use propimport_domain::{
    AlertEventKind, AlertEventQuery, AlertStore, CancelToken, Clock, ExecutionStore, SystemClock,
    TriggeredBy,
};
use propimport_scheduler::{
    AlertSettings, Alerts, EmailNotifier, EmailSettings, RunSettings, SmtpServer, SmtpTls,
    TrackedRunner,
};

use crate::support::smtp::{self, Security};
use crate::support::{Behaviour, TestJob};

fn settings(server: &smtp::SmtpServer, tls: SmtpTls, trust: bool) -> EmailSettings {
    EmailSettings {
        server: SmtpServer {
            host: "localhost".into(),
            port: server.port,
            tls,
            username: Some("alerts".into()),
            password: Some("s3cret pass".into()),
        },
        from: "propimport <alerts@example.com>".into(),
        to: vec!["ops@example.com".into(), "Dev <dev@example.com>".into()],
        extra_roots_pem: trust.then(|| server.ca_pem.clone().into_bytes()),
        timeout: Duration::from_secs(10),
        retry: crate::support::quick_retries(),
    }
}

/// A runner with alerts at the second failure, sending email with `settings`, recording in
/// an in-memory alert store.
fn runner(settings: &EmailSettings) -> (TrackedRunner, Arc<InMemoryAlertStore>) {
    let history = Arc::new(InMemoryAlertStore::new());
    let alerts = Alerts::builder(AlertSettings {
        threshold: 2,
        cooldown: chrono::Duration::hours(6),
    })
    .store(history.clone())
    .channel(Arc::new(EmailNotifier::new(settings).unwrap()))
    .public_url(Some("https://ops.example/".into()))
    .build();
    let runner = TrackedRunner::new(
        Arc::new(InMemoryExecutionStore::new()) as Arc<dyn ExecutionStore>,
        Arc::new(SystemClock) as Arc<dyn Clock>,
        Arc::new(alerts),
        RunSettings {
            instance_id: "test:1".into(),
            ..RunSettings::default()
        },
    );
    (runner, history)
}

/// Fails the job twice (reaching the threshold), waits for the deliveries; gives the id of
/// the run that raised the alert.
async fn fail_twice(runner: &TrackedRunner) -> String {
    let job = TestJob::new("kyero", Behaviour::Fail("feed unreachable"));
    let mut last = None;
    for _ in 0..2 {
        let run = runner
            .run_tracked(job.clone(), TriggeredBy::Cron, None, CancelToken::new())
            .await
            .unwrap();
        last = Some(run.execution.id.to_string());
    }
    runner.alerts().settled().await;
    last.unwrap()
}

async fn delivery_events(history: &InMemoryAlertStore) -> Vec<(AlertEventKind, Option<String>)> {
    history
        .events(&AlertEventQuery::default())
        .await
        .unwrap()
        .events
        .into_iter()
        .filter(|e| e.channel.is_some())
        .map(|e| (e.event, e.message))
        .collect()
}

/// The text of a quoted-printable body (soft line breaks joined, `=XX` decoded).
fn quoted_printable(data: &str) -> String {
    let joined = data.replace("=\r\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = joined
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn delivers(security: Security, tls: SmtpTls) {
    let server = smtp::SmtpServer::start(security, Some(("alerts", "s3cret pass")), 0).await;
    let (runner, history) = runner(&settings(&server, tls, true));
    let execution = fail_twice(&runner).await;
    let messages = server.messages();
    assert_eq!(messages.len(), 1, "{security:?}: one email");
    let m = &messages[0];
    let text = quoted_printable(&m.data);
    assert_eq!(m.encrypted, security != Security::Plain);
    assert_eq!(m.user.as_deref(), Some("alerts"), "authenticated");
    assert!(m.from.contains("<alerts@example.com>"), "{}", m.from);
    assert_eq!(m.to.len(), 2, "{:?}", m.to);
    for expected in [
        "Subject: [propimport] job kyero failed 2 times in a row",
        "Content-Type: text/plain; charset=utf-8",
        "Last error:  feed unreachable",
        &format!("Execution:   {execution}"),
        &format!("Dashboard:   https://ops.example/dashboard/#/executions/{execution}"),
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    assert_eq!(
        delivery_events(&history).await,
        [(AlertEventKind::Delivered, None)]
    );
}

#[tokio::test]
async fn plain_smtp_with_auth_delivers_the_alert_email() {
    delivers(Security::Plain, SmtpTls::None).await;
}

#[tokio::test]
async fn starttls_delivers_the_alert_email() {
    delivers(Security::StartTls, SmtpTls::StartTls).await;
}

#[tokio::test]
async fn implicit_tls_delivers_the_alert_email() {
    delivers(Security::Implicit, SmtpTls::Implicit).await;
}

#[tokio::test]
async fn a_transient_refusal_is_retried() {
    let server = smtp::SmtpServer::start(Security::Plain, Some(("alerts", "s3cret pass")), 2).await;
    let (runner, history) = runner(&settings(&server, SmtpTls::None, false));
    fail_twice(&runner).await;
    assert_eq!(server.messages().len(), 1, "the third attempt is accepted");
    assert_eq!(
        delivery_events(&history).await,
        [(AlertEventKind::Delivered, None)]
    );
}

#[tokio::test]
async fn an_untrusted_certificate_fails_once_and_is_recorded() {
    let server = smtp::SmtpServer::start(Security::StartTls, None, 0).await;
    let (runner, history) = runner(&settings(&server, SmtpTls::StartTls, false));
    fail_twice(&runner).await;
    assert!(server.messages().is_empty());
    assert_eq!(
        server.connections.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a certificate error is not retried"
    );
    let events = delivery_events(&history).await;
    assert!(
        matches!(events.as_slice(), [(AlertEventKind::Failed, Some(reason))] if reason.contains("invalid peer certificate")),
        "{events:?}"
    );
}

#[tokio::test]
async fn wrong_credentials_fail_and_never_show_the_password() {
    let server = smtp::SmtpServer::start(Security::Plain, Some(("alerts", "other")), 0).await;
    let (runner, history) = runner(&settings(&server, SmtpTls::None, false));
    fail_twice(&runner).await;
    assert!(server.messages().is_empty());
    let events = delivery_events(&history).await;
    let [(AlertEventKind::Failed, Some(reason))] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert!(!reason.contains("s3cret"), "{reason}");
}
