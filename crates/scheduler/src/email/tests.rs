//! SMTP URLs, the checks of the settings (TLS configuration included), and the email text.

use chrono::{TimeZone, Utc};
use propimport_domain::{Alert, AlertNotice, ExecutionId, JobName};

use super::*;

fn settings(server: SmtpServer) -> EmailSettings {
    EmailSettings {
        server,
        from: "propimport <alerts@example.com>".into(),
        to: vec![
            "ops@example.com".into(),
            "Dev Team <dev@example.com>".into(),
        ],
        extra_roots_pem: None,
        timeout: Duration::from_secs(10),
        retry: propimport_domain::RetryPolicy::delivery(),
    }
}

#[test]
fn urls_name_the_tls_mode_port_and_credentials() {
    let s = SmtpServer::from_url("smtps://alerts%40example.com:p%3Ass@mail.example.com").unwrap();
    assert_eq!(
        (s.host.as_str(), s.port, s.tls),
        ("mail.example.com", 465, SmtpTls::Implicit)
    );
    assert_eq!(s.username.as_deref(), Some("alerts@example.com"));
    assert_eq!(s.password.as_deref(), Some("p:ss"));
    let s = SmtpServer::from_url("smtp://mail.example.com").unwrap();
    assert_eq!((s.port, s.tls, s.username), (587, SmtpTls::StartTls, None));
    let s = SmtpServer::from_url("smtp://relay:2525?tls=none").unwrap();
    assert_eq!((s.port, s.tls), (2525, SmtpTls::None));
    let s = SmtpServer::from_url("smtp://mail.example.com:25?tls=starttls").unwrap();
    assert_eq!((s.port, s.tls), (25, SmtpTls::StartTls));
    for (bad, why) in [
        ("http://mail.example.com", "scheme"),
        ("smtp://mail.example.com?tls=tls", "smtps://"),
        ("smtp://mail.example.com?mode=x", "unknown parameter"),
        ("smtp://mail.example.com/x", "path"),
        ("smtp://:secret@mail.example.com", "user name"),
        ("mail.example.com", "URL"),
    ] {
        let e = SmtpServer::from_url(bad).unwrap_err();
        assert!(e.contains(why), "{bad}: {e}");
        assert!(!e.contains("secret"), "{e}");
    }
    let debug = format!("{:?}", SmtpServer::from_url("smtps://u:hunter2@h").unwrap());
    assert!(!debug.contains("hunter2"), "{debug}");
}

#[test]
fn every_tls_mode_builds_and_bad_settings_are_named() {
    for tls in [SmtpTls::Implicit, SmtpTls::StartTls, SmtpTls::None] {
        let server = SmtpServer {
            host: "mail.example.com".into(),
            port: tls.default_port(),
            tls,
            username: Some("u".into()),
            password: Some("p".into()),
        };
        assert!(EmailNotifier::new(&settings(server)).is_ok(), "{tls:?}");
    }
    let server = SmtpServer::from_url("smtps://mail.example.com").unwrap();
    let mut bad = settings(server.clone());
    bad.from = "not a mailbox".into();
    assert!(matches!(
        EmailNotifier::new(&bad),
        Err(EmailConfigError::From(_))
    ));
    let mut bad = settings(server.clone());
    bad.to = vec![];
    assert!(matches!(
        EmailNotifier::new(&bad),
        Err(EmailConfigError::To(_))
    ));
    let mut bad = settings(server);
    bad.extra_roots_pem = Some(b"not a certificate".to_vec());
    assert!(matches!(
        EmailNotifier::new(&bad),
        Err(EmailConfigError::Certificate(_))
    ));
}

#[test]
fn the_email_names_the_job_the_run_the_error_the_time_and_the_link() {
    let id = ExecutionId::new();
    let notice = AlertNotice {
        alert: Alert::FailureThreshold {
            job_name: JobName::parse("kyero").unwrap(),
            consecutive_failures: 3,
            threshold: 3,
            last_error: Some("feed unreachable".into()),
            execution_id: id,
        },
        at: Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap(),
        repeated: false,
        link: Some(format!("https://ops.example/dashboard/#/executions/{id}")),
    };
    let (subject, body) = render(&notice);
    assert_eq!(subject, "[propimport] job kyero failed 3 times in a row");
    for expected in [
        "Job:         kyero",
        "Last error:  feed unreachable",
        &format!("Execution:   {id}"),
        "When:        2025-06-01T12:00:00.000Z",
        &format!("Dashboard:   https://ops.example/dashboard/#/executions/{id}"),
    ] {
        assert!(body.contains(expected), "{expected:?} in\n{body}");
    }
    let late = AlertNotice {
        alert: Alert::Late {
            job_name: JobName::parse("kyero").unwrap(),
            tick: Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap(),
            grace_seconds: 300,
        },
        repeated: true,
        link: None,
        ..notice
    };
    let (subject, body) = render(&late);
    assert_eq!(subject, "[propimport] job kyero is late (still on)");
    assert!(body.contains("Due at:"), "{body}");
    assert!(
        !body.contains("Execution:") && !body.contains("Dashboard:"),
        "{body}"
    );
}
