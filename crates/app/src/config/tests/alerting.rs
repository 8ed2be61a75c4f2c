//! The alert channels' variables: SMTP as a URL or apart, the signed webhook, routes, links;
//! every problem named, no secret repeated.

use propimport_domain::JobName;

use super::*;

const SMTP_URL: &str = "smtps://alerts%40example.com:hunter2@mail.example.com";
const SOURCE: [(&str, &str); 2] = [
    ("IMPORT_SOURCE_URL", "https://feeds.example/export.xml"),
    ("IMPORT_SOURCE_NAME", "kyero-partner"),
];

/// The configuration of one source (`kyero-partner`) and `vars`.
fn with_source(vars: &[(&str, &str)]) -> Result<Config, Vec<String>> {
    config(&[&SOURCE[..], vars].concat())
}

#[test]
fn no_channel_by_default() {
    let a = config(&[]).unwrap().alerting;
    assert!(a.email.is_none() && a.json_webhook.is_none() && a.public_url.is_none());
    assert_eq!(a.routes, propimport_scheduler::AlertRoutes::new());
}

#[test]
fn reads_every_channel_routes_and_the_public_url() {
    let c = with_source(&[
        ("IMPORT_ALERT_SMTP_URL", SMTP_URL),
        ("IMPORT_ALERT_EMAIL_FROM", "propimport <alerts@example.com>"),
        ("IMPORT_ALERT_EMAIL_TO", "ops@example.com, dev@example.com"),
        (
            "IMPORT_ALERT_JSON_WEBHOOK_URL",
            "https://hooks.example/propimport",
        ),
        ("IMPORT_ALERT_JSON_WEBHOOK_SECRET", "0123456789abcdef0123"),
        (
            "IMPORT_ALERT_WEBHOOK_URL",
            "https://hooks.slack.example/T0/B0/x",
        ),
        ("IMPORT_ALERT_ROUTES", "kyero-partner=email,json-webhook"),
        ("PUBLIC_URL", "https://imports.example.com/"),
    ])
    .unwrap();
    let a = c.alerting;
    let email = a.email.unwrap();
    assert_eq!(email.server.host, "mail.example.com");
    assert_eq!(email.server.port, 465);
    assert_eq!(email.server.tls, propimport_scheduler::SmtpTls::Implicit);
    assert_eq!(email.server.username.as_deref(), Some("alerts@example.com"));
    assert_eq!(email.to, ["ops@example.com", "dev@example.com"]);
    assert_eq!(a.json_webhook.unwrap().secret, "0123456789abcdef0123");
    assert_eq!(a.public_url.as_deref(), Some("https://imports.example.com"));
    let job = |n: &str| JobName::parse(n).unwrap();
    assert!(a.routes.allows(&job("kyero-partner"), "email"));
    assert!(a.routes.allows(&job("kyero-partner"), "json-webhook"));
    assert!(!a.routes.allows(&job("kyero-partner"), "webhook"));
    let debug = format!(
        "{:?}",
        config(&[
            ("IMPORT_ALERT_SMTP_URL", SMTP_URL),
            ("IMPORT_ALERT_EMAIL_FROM", "alerts@example.com"),
            ("IMPORT_ALERT_EMAIL_TO", "ops@example.com"),
            (
                "IMPORT_ALERT_JSON_WEBHOOK_URL",
                "https://hooks.example/propimport"
            ),
            ("IMPORT_ALERT_JSON_WEBHOOK_SECRET", "0123456789abcdef0123"),
        ])
        .unwrap()
    );
    assert!(
        !debug.contains("hunter2") && !debug.contains("0123456789abcdef0123"),
        "{debug}"
    );
}

#[test]
fn reads_the_smtp_server_from_separate_variables() {
    let email = config(&[
        ("IMPORT_ALERT_SMTP_HOST", "relay.internal"),
        ("IMPORT_ALERT_SMTP_TLS", "none"),
        ("IMPORT_ALERT_EMAIL_FROM", "alerts@example.com"),
        ("IMPORT_ALERT_EMAIL_TO", "ops@example.com"),
    ])
    .unwrap()
    .alerting
    .email
    .unwrap();
    assert_eq!(
        (
            email.server.host.as_str(),
            email.server.port,
            email.server.tls
        ),
        ("relay.internal", 25, propimport_scheduler::SmtpTls::None)
    );
    let email = config(&[
        ("IMPORT_ALERT_SMTP_HOST", "mail.example.com"),
        ("IMPORT_ALERT_SMTP_PORT", "2587"),
        ("IMPORT_ALERT_SMTP_USERNAME", "alerts"),
        ("IMPORT_ALERT_SMTP_PASSWORD", "p@ss:word"),
        ("IMPORT_ALERT_EMAIL_FROM", "alerts@example.com"),
        ("IMPORT_ALERT_EMAIL_TO", "ops@example.com"),
    ])
    .unwrap()
    .alerting
    .email
    .unwrap();
    assert_eq!(email.server.port, 2587);
    assert_eq!(email.server.tls, propimport_scheduler::SmtpTls::StartTls);
    assert_eq!(email.server.password.as_deref(), Some("p@ss:word"));
}

#[test]
fn every_alerting_problem_is_named_without_its_secret() {
    let problems = with_source(&[
        (
            "IMPORT_ALERT_SMTP_URL",
            "smtp://u:hunter2@mail.example.com?tls=maybe",
        ),
        ("IMPORT_ALERT_SMTP_HOST", "mail.example.com"),
        ("IMPORT_ALERT_EMAIL_TO", "ops@example.com"),
        (
            "IMPORT_ALERT_JSON_WEBHOOK_URL",
            "ftp://hooks.example/secret-path",
        ),
        ("IMPORT_ALERT_JSON_WEBHOOK_SECRET", "short"),
        (
            "IMPORT_ALERT_ROUTES",
            "nope=email; kyero-partner=pager; broken",
        ),
        ("PUBLIC_URL", "imports.example.com"),
        ("IMPORT_SOURCES_MODE", "config"),
    ])
    .unwrap_err();
    let text = problems.join("\n");
    for expected in [
        "IMPORT_ALERT_SMTP_HOST: set IMPORT_ALERT_SMTP_URL or the separate",
        "IMPORT_ALERT_SMTP_URL: tls=maybe: expected starttls or none",
        "IMPORT_ALERT_JSON_WEBHOOK_URL: expected an http:// or https:// URL",
        "IMPORT_ALERT_JSON_WEBHOOK_SECRET: expected at least 16 characters",
        "IMPORT_ALERT_ROUTES: no job \"nope\" (configured: kyero-partner)",
        "IMPORT_ALERT_ROUTES: job kyero-partner: no channel \"pager\" (none is configured",
        "IMPORT_ALERT_ROUTES: \"broken\" is not job=channel,channel",
        "PUBLIC_URL=\"imports.example.com\": expected the http:// or https:// address",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    assert!(
        !text.contains("hunter2") && !text.contains("secret-path"),
        "{text}"
    );
    let missing = config(&[("IMPORT_ALERT_SMTP_URL", "smtp://mail.example.com")]).unwrap_err();
    assert_eq!(
        missing,
        [
            "IMPORT_ALERT_EMAIL_FROM: required with an SMTP server (the sender, e.g. propimport <alerts@example.com>)"
        ]
    );
    let orphans = config(&[
        ("IMPORT_ALERT_EMAIL_FROM", "alerts@example.com"),
        ("IMPORT_ALERT_SMTP_PORT", "25"),
        ("IMPORT_ALERT_JSON_WEBHOOK_SECRET", "0123456789abcdef0123"),
    ])
    .unwrap_err();
    assert_eq!(
        orphans,
        [
            "IMPORT_ALERT_JSON_WEBHOOK_SECRET: set without IMPORT_ALERT_JSON_WEBHOOK_URL",
            "IMPORT_ALERT_SMTP_PORT: set without IMPORT_ALERT_SMTP_HOST",
            "IMPORT_ALERT_EMAIL_FROM: set without an SMTP server (IMPORT_ALERT_SMTP_URL or IMPORT_ALERT_SMTP_HOST)",
        ]
    );
    let bad = config(&[
        ("IMPORT_ALERT_SMTP_URL", "smtp://mail.example.com"),
        ("IMPORT_ALERT_EMAIL_FROM", "not a mailbox"),
        ("IMPORT_ALERT_EMAIL_TO", "ops@example.com"),
        ("IMPORT_ALERT_SMTP_CA_FILE", "/nonexistent/ca.pem"),
    ])
    .unwrap_err();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(
        bad[0].starts_with("IMPORT_ALERT_SMTP_CA_FILE=\"/nonexistent/ca.pem\": cannot be read"),
        "{bad:?}"
    );
}
