//! Defaults, and one clear line per bad variable.

use std::collections::HashMap;

use super::*;

mod alerting;
mod images;
mod metrics;
mod sources;

fn config(vars: &[(&str, &str)]) -> Result<Config, Vec<String>> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_lookup(|name| vars.get(name).cloned())
}

#[test]
fn defaults_match_the_earlier_service() {
    let c = config(&[]).unwrap();
    assert_eq!(c.database_url, DatabaseUrl::default_sqlite());
    assert_eq!(c.log_format, LogFormat::Text);
    assert_eq!(c.scheduling.schedule.expression(), "0 0 * * *");
    assert_eq!(c.scheduling.schedule.timezone(), chrono_tz::Europe::Skopje);
    assert_eq!(c.scheduling.alerts.threshold, 3);
    assert_eq!(
        c.scheduling.shutdown_grace,
        std::time::Duration::from_secs(30)
    );
    assert_eq!(
        (
            c.scheduling.retention.success_days,
            c.scheduling.retention.failed_days
        ),
        (30, 90)
    );
    assert!(c.scheduling.alert_webhook.is_none());
    assert_eq!(c.database_timeout, std::time::Duration::from_secs(5));
}

#[test]
fn reads_and_checks_the_database_timeout() {
    let c = config(&[("DATABASE_TIMEOUT", "1500ms")]).unwrap();
    assert_eq!(c.database_timeout, std::time::Duration::from_millis(1500));
    assert_eq!(
        config(&[("DATABASE_TIMEOUT", "30")])
            .unwrap()
            .database_timeout,
        std::time::Duration::from_secs(30)
    );
    for bad in ["0s", "soon", "2h"] {
        let problems = config(&[("DATABASE_TIMEOUT", bad)]).unwrap_err();
        assert_eq!(
            problems,
            [format!(
                "DATABASE_TIMEOUT={bad:?}: expected a duration from 100ms to 1h, such as 5s"
            )]
        );
    }
}

#[test]
fn reports_every_bad_variable_at_once_by_name() {
    let problems = config(&[
        ("DATABASE_URL", "mysql://x"),
        ("LOG_FORMAT", "xml"),
        ("IMPORT_CRON_SCHEDULE", "0 0 * *"),
        ("IMPORT_ALERT_THRESHOLD", "zero"),
        ("IMPORT_ALERT_WEBHOOK_URL", "ftp://hooks"),
        ("IMPORT_MISFIRE_POLICY", "always"),
        ("IMPORT_SHUTDOWN_GRACE_SECONDS", "-1"),
    ])
    .unwrap_err();
    let expected = [
        "DATABASE_URL=",
        "LOG_FORMAT=\"xml\": expected text or json",
        "IMPORT_CRON_SCHEDULE=\"0 0 * *\": expected 5 or 6 fields, found 4",
        "IMPORT_ALERT_THRESHOLD=\"zero\": expected a whole number from 1 to 1000",
        "IMPORT_ALERT_WEBHOOK_URL: expected an http:// or https:// URL, not ftp:// (the value is not shown",
        "IMPORT_MISFIRE_POLICY=\"always\": expected run_once or skip",
        "IMPORT_SHUTDOWN_GRACE_SECONDS=\"-1\": expected a whole number from 0 to 3600",
    ];
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for (problem, start) in problems.iter().zip(expected) {
        assert!(
            problem.starts_with(start),
            "{problem:?} should start with {start:?}"
        );
    }
    assert!(
        problems.iter().all(|p| !p.contains("hooks")),
        "a webhook URL is a secret: {problems:#?}"
    );
}

#[test]
fn names_the_time_zone_variable() {
    let problems = config(&[("TZ", "Europe/Skopj")]).unwrap_err();
    assert_eq!(
        problems,
        vec!["TZ=\"Europe/Skopj\": unknown time zone".to_owned()]
    );
}

#[test]
fn reads_durations_in_words() {
    let c = config(&[
        ("IMPORT_MISFIRE_GRACE", "15m"),
        ("IMPORT_LEASE", "5m"),
        ("IMPORT_HEARTBEAT_INTERVAL", "20"),
    ])
    .unwrap();
    assert_eq!(
        c.scheduling.misfire,
        propimport_scheduler::MisfirePolicy::RunOnce {
            grace: chrono::Duration::minutes(15)
        }
    );
    assert_eq!(c.scheduling.lease, std::time::Duration::from_secs(300));
    assert_eq!(c.scheduling.heartbeat, std::time::Duration::from_secs(20));
    let problems = config(&[("IMPORT_LEASE", "20s")]).unwrap_err();
    assert!(
        problems[0].starts_with("IMPORT_LEASE=20s: must be at least three heartbeats"),
        "{problems:?}"
    );
}

#[test]
fn one_source_from_variables() {
    let c = config(&[
        ("IMPORT_SOURCE_NAME", "kyero-partner"),
        ("IMPORT_SOURCE_URL", "https://feeds.example/export.xml"),
        ("IMPORT_SOURCE_TOKEN", "s3cret"),
    ])
    .unwrap();
    assert_eq!(c.sources.len(), 1);
    let s = &c.sources[0].config;
    assert_eq!(s.name.as_str(), "kyero-partner");
    assert_eq!(
        s.format,
        propimport_importer::FeedFormat::AUTO,
        "detected at each run"
    );
    assert_eq!(s.http.bearer_token.as_deref(), Some("s3cret"));
    let problems = config(&[
        ("IMPORT_SOURCE_URL", "https://feeds.example/export"),
        ("IMPORT_SOURCE_FORMAT", "csv"),
    ])
    .unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("IMPORT_SOURCE_FORMAT=\"csv\": expected one of kyero, ")
            && problems[0].contains("json"),
        "{problems:?}"
    );
}

#[test]
fn several_sources_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sources.toml");
    std::fs::write(
        &file,
        r#"
[[sources]]
name = "kyero-partner"
url = "https://feeds.example/export.xml"
schedule = "0 */6 * * *"

[[sources]]
name = "own"
format = "json"
url = "/srv/feeds/own.ndjson"
max_withdraw_fraction = 0.1
"#,
    )
    .unwrap();
    let path = file.to_string_lossy().into_owned();
    let c = config(&[("IMPORT_SOURCES_FILE", &path)]).unwrap();
    assert_eq!(c.sources.len(), 2);
    assert_eq!(
        c.sources[0]
            .schedule
            .as_ref()
            .map(|s| s.expression().to_owned()),
        Some("0 */6 * * *".into())
    );
    assert!((c.sources[1].config.max_withdraw_fraction - 0.1).abs() < f64::EPSILON);

    std::fs::write(&file, "[[sources]]\nname = \"a b\"\nurl = \"x.xml\"\n[[sources]]\nname = \"ok\"\nurl = \"y.txt\"\n").unwrap();
    let problems = config(&[("IMPORT_SOURCES_FILE", &path)]).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("source \"a b\""), "{problems:?}");
    // A format that is not named is detected from the feed's content at each run (an OData
    // URL is a RESO Web API).
    std::fs::write(&file, "[[sources]]\nname = \"ok\"\nurl = \"y.txt\"\n[[sources]]\nname = \"mls\"\nurl = \"https://mls.example/odata/Property\"\n").unwrap();
    let c = config(&[("IMPORT_SOURCES_FILE", &path)]).unwrap();
    let formats: Vec<_> = c.sources.iter().map(|s| s.config.format).collect();
    assert_eq!(
        formats,
        [
            propimport_importer::FeedFormat::AUTO,
            propimport_importer::FeedFormat::RESO
        ]
    );
}

#[test]
fn reads_lateness_and_the_maximum_run_duration() {
    let c = config(&[]).unwrap();
    let s = &c.scheduling;
    assert_eq!(s.late_grace, Some(std::time::Duration::from_secs(300)));
    assert_eq!(
        s.max_run_duration,
        Some(std::time::Duration::from_secs(6 * 3600))
    );
    assert!(!s.cancel_overlong);
    let c = config(&[
        ("IMPORT_LATE_GRACE", "off"),
        ("IMPORT_MAX_RUN_DURATION", "90m"),
        ("IMPORT_OVERLONG_RUNS", "cancel"),
    ])
    .unwrap();
    let s = &c.scheduling;
    assert_eq!(s.late_grace, None);
    assert_eq!(
        s.max_run_duration,
        Some(std::time::Duration::from_secs(90 * 60))
    );
    assert!(s.cancel_overlong);
    let problems = config(&[
        ("IMPORT_LATE_GRACE", "soon"),
        ("IMPORT_OVERLONG_RUNS", "kill"),
    ])
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "IMPORT_OVERLONG_RUNS=\"kill\": expected alert or cancel".to_owned(),
            "IMPORT_LATE_GRACE=\"soon\": expected a duration such as 90s, 15m or 1h, or off"
                .to_owned(),
        ]
    );
}

#[test]
fn reads_the_hosts_images_may_reach() {
    assert!(config(&[]).unwrap().image_allowed_hosts.is_empty());
    let c = config(&[("IMAGE_ALLOWED_HOSTS", " cdn.intranet, 10.0.0.7 ,,[::1]")]).unwrap();
    assert_eq!(c.image_allowed_hosts, ["cdn.intranet", "10.0.0.7", "[::1]"]);
    let problems = config(&[("IMAGE_ALLOWED_HOSTS", "http://cdn/x")]).unwrap_err();
    assert_eq!(
        problems,
        [
            "IMAGE_ALLOWED_HOSTS: \"http://cdn/x\" is not a host name or address (list hosts, not URLs, separated by commas)"
        ]
    );
}

#[test]
fn reads_and_checks_the_retry_settings() {
    let c = config(&[]).unwrap();
    assert_eq!(
        c.scheduling.retry,
        propimport_scheduler::RunRetryPolicy::default()
    );
    let c = config(&[
        ("IMPORT_RETRIES", "3"),
        ("IMPORT_RETRY_DELAYS", "1m, 10m,1h"),
    ])
    .unwrap();
    assert_eq!(c.scheduling.retry.retries, 3);
    assert_eq!(
        c.scheduling.retry.delays,
        [60, 600, 3600].map(std::time::Duration::from_secs)
    );
    let problems =
        config(&[("IMPORT_RETRIES", "11"), ("IMPORT_RETRY_DELAYS", "5m,,30m")]).unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].starts_with("IMPORT_RETRIES=\"11\": expected a whole number from 0 to 10"));
    assert!(problems[1].starts_with("IMPORT_RETRY_DELAYS=\"5m,,30m\": expected a comma-separated"));
}

#[test]
fn the_retry_policies_are_read_in_one_place_and_reach_the_sources_and_channels() {
    use propimport_domain::RetryPolicy;
    let c = config(&[]).unwrap();
    assert_eq!(c.retrying, Retrying::default());
    assert_eq!(c.retrying.feed, RetryPolicy::feed());
    assert_eq!(c.retrying.feed.max_attempts, Some(4));
    assert_eq!(c.retrying.delivery.max_attempts, Some(3));
    assert_eq!(
        c.retrying.store.max_attempts, None,
        "until the database answers"
    );
    let email = [
        ("IMPORT_ALERT_SMTP_URL", "smtp://relay:25?tls=none"),
        ("IMPORT_ALERT_EMAIL_FROM", "alerts@example.com"),
        ("IMPORT_ALERT_EMAIL_TO", "ops@example.com"),
    ];
    let mut vars = vec![
        ("IMPORT_FETCH_ATTEMPTS", "1"),
        ("IMPORT_ALERT_ATTEMPTS", "5"),
    ];
    vars.extend(email);
    let c = config(&vars).unwrap();
    assert_eq!(c.retrying.feed, RetryPolicy::feed().with_max_attempts(1));
    assert_eq!(c.retrying.delivery.max_attempts, Some(5));
    assert!(!c.sources.is_empty());
    assert!(
        c.sources
            .iter()
            .all(|s| s.config.http.retry == c.retrying.feed),
        "every source fetches with the configured policy"
    );
    assert_eq!(c.alerting.email.unwrap().retry, c.retrying.delivery);
    let problems = config(&[
        ("IMPORT_FETCH_ATTEMPTS", "0"),
        ("IMPORT_ALERT_ATTEMPTS", "x"),
    ])
    .unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0]
            .starts_with("IMPORT_FETCH_ATTEMPTS=\"0\": expected a whole number from 1 to 10"),
        "{problems:#?}"
    );
    assert!(
        problems[1]
            .starts_with("IMPORT_ALERT_ATTEMPTS=\"x\": expected a whole number from 1 to 10"),
        "{problems:#?}"
    );
}

#[test]
fn relative_paths_in_a_sources_file_are_relative_to_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sources.toml");
    std::fs::write(
        &file,
        "[[sources]]\nname = \"a\"\nurl = \"feeds/a.xml\"\n\n[[sources]]\nname = \"b\"\nurl = \"file://b.ndjson\"\n\n[[sources]]\nname = \"c\"\nurl = \"/srv/c.xml\"\n\n[[sources]]\nname = \"d\"\nurl = \"https://feeds.example/d.xml\"\n",
    )
    .unwrap();
    let c = config(&[("IMPORT_SOURCES_FILE", &file.display().to_string())]).unwrap();
    let locations: Vec<String> = c
        .sources
        .iter()
        .map(|s| s.config.location.redacted())
        .collect();
    assert_eq!(
        locations,
        [
            dir.path().join("feeds/a.xml").display().to_string(),
            dir.path().join("b.ndjson").display().to_string(),
            "/srv/c.xml".to_owned(),
            "https://feeds.example/d.xml".to_owned(),
        ]
    );
}

#[test]
fn the_demo_feeds_are_read_from_the_data_folder() {
    let c = config(&[("DATABASE_URL", "sqlite:///srv/app/data/p.db")]).unwrap();
    let locations: Vec<String> = c
        .sources
        .iter()
        .map(|s| s.config.location.redacted())
        .collect();
    assert_eq!(
        locations,
        [
            "/srv/app/data/demo-feeds/costa-blanca.kyero.xml",
            "/srv/app/data/demo-feeds/north-macedonia.ndjson"
        ]
    );
    assert!(c.sources.iter().all(|s| s.embedded.is_some()));
}
