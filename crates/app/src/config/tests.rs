//! Defaults, and one clear line per bad variable.

use std::collections::HashMap;

use super::*;

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
        "IMPORT_ALERT_WEBHOOK_URL=\"ftp://hooks\": expected an http:// or https:// URL",
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
    assert_eq!(s.format, propimport_importer::FeedFormat::Kyero);
    assert_eq!(s.http.bearer_token.as_deref(), Some("s3cret"));
    let problems = config(&[
        ("IMPORT_SOURCE_URL", "https://feeds.example/export"),
        ("IMPORT_SOURCE_FORMAT", "csv"),
    ])
    .unwrap_err();
    assert_eq!(
        problems,
        vec!["IMPORT_SOURCE_FORMAT=\"csv\": expected kyero, json or reso".to_owned()]
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
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("source \"a b\""), "{problems:?}");
    assert!(
        problems[1].contains("cannot tell the format"),
        "{problems:?}"
    );
}

#[test]
fn a_reso_source_from_variables() {
    let c = config(&[
        ("IMPORT_SOURCE_NAME", "mls"),
        ("IMPORT_SOURCE_URL", "https://reso.example/odata/Property"),
        ("IMPORT_SOURCE_PAGE_SIZE", "250"),
        ("IMPORT_SOURCE_RATE_LIMIT", "0.5"),
        ("IMPORT_SOURCE_CURRENCY", "cad"),
        (
            "IMPORT_SOURCE_OAUTH_TOKEN_URL",
            "https://auth.example/token",
        ),
        ("IMPORT_SOURCE_CLIENT_ID", "partner"),
        ("IMPORT_SOURCE_CLIENT_SECRET", "hush"),
        ("IMPORT_SOURCE_OAUTH_SCOPE", "api"),
    ])
    .unwrap();
    let s = &c.sources[0].config;
    assert_eq!(
        s.format,
        propimport_importer::FeedFormat::Reso,
        "told by /odata/"
    );
    assert_eq!(s.reso.page_size.get(), 250);
    assert_eq!(s.reso.rate_limit.map(|r| r.as_per_second()), Some(0.5));
    assert_eq!(
        s.reso.currency.map(|c| c.to_string()).as_deref(),
        Some("CAD")
    );
    let oauth = s.reso.oauth.as_ref().unwrap();
    assert_eq!(
        (
            oauth.token_url.as_str(),
            oauth.client_id.as_str(),
            oauth.client_secret.as_str(),
            oauth.scope.as_deref()
        ),
        ("https://auth.example/token", "partner", "hush", Some("api"))
    );

    let plain = config(&[
        ("IMPORT_SOURCE_URL", "https://reso.example/api/Property"),
        ("IMPORT_SOURCE_FORMAT", "reso-web-api"),
        ("IMPORT_SOURCE_TOKEN", "t"),
    ])
    .unwrap();
    let s = &plain.sources[0].config;
    assert_eq!(s.reso, propimport_importer::ResoSettings::default());
    assert_eq!(s.http.bearer_token.as_deref(), Some("t"));
}

#[test]
fn bad_reso_fields_are_named() {
    let reso = [
        ("IMPORT_SOURCE_URL", "https://reso.example/odata/Property"),
        ("IMPORT_SOURCE_CLIENT_SECRET", "hush"),
    ];
    let cases: [(&[(&str, &str)], &str); 8] = [
        (
            &[("IMPORT_SOURCE_PAGE_SIZE", "0")],
            "IMPORT_SOURCE_PAGE_SIZE=\"0\": expected a whole number from 1 to 10000",
        ),
        (
            &[("IMPORT_SOURCE_RATE_LIMIT", "fast")],
            "IMPORT_SOURCE_RATE_LIMIT=\"fast\": expected requests per second, from 0.001 to 1000",
        ),
        (
            &[("IMPORT_SOURCE_CURRENCY", "dollars")],
            "IMPORT_SOURCE_CURRENCY=\"dollars\": expected a currency code",
        ),
        (
            &[("IMPORT_SOURCE_CLIENT_ID", "partner")],
            "IMPORT_SOURCE_OAUTH_TOKEN_URL: is not set",
        ),
        (
            &[("IMPORT_SOURCE_OAUTH_TOKEN_URL", "https://auth.example/t")],
            "IMPORT_SOURCE_CLIENT_ID: is not set",
        ),
        (
            &[
                ("IMPORT_SOURCE_OAUTH_TOKEN_URL", "ftp://auth.example/t"),
                ("IMPORT_SOURCE_CLIENT_ID", "partner"),
            ],
            "IMPORT_SOURCE_OAUTH_TOKEN_URL=\"ftp://auth.example/t\": expected an http:// or https:// URL",
        ),
        (
            &[
                ("IMPORT_SOURCE_OAUTH_TOKEN_URL", "https://auth.example/t"),
                ("IMPORT_SOURCE_CLIENT_ID", "partner"),
                ("IMPORT_SOURCE_TOKEN", "t"),
            ],
            "IMPORT_SOURCE_TOKEN: set a bearer token or OAuth2 client credentials, not both",
        ),
        (
            &[
                ("IMPORT_SOURCE_URL", "/srv/feeds/reso.json"),
                ("IMPORT_SOURCE_FORMAT", "reso"),
            ],
            "IMPORT_SOURCE_URL: a RESO Web API source needs an http(s) URL",
        ),
    ];
    for (extra, expected) in cases {
        let mut vars: Vec<(&str, &str)> = reso.to_vec();
        vars.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        vars.extend_from_slice(extra);
        let problems = config(&vars).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with(expected), "{problems:?}");
        assert!(
            !problems[0].contains("hush"),
            "secrets are not repeated: {problems:?}"
        );
    }
    let problems = config(&[
        ("IMPORT_SOURCE_URL", "https://feeds.example/export.xml"),
        ("IMPORT_SOURCE_PAGE_SIZE", "100"),
    ])
    .unwrap_err();
    assert_eq!(
        problems,
        vec!["IMPORT_SOURCE_PAGE_SIZE: only RESO Web API sources (format reso) use it".to_owned()]
    );
}

#[test]
fn reso_sources_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sources.toml");
    std::fs::write(
        &file,
        r#"
[[sources]]
name = "mls"
format = "reso"
url = "https://reso.example/odata/Property?$expand=Media"
page_size = 500
rate_limit = 2.5
oauth_token_url = "https://auth.example/token"
client_id = "partner"
client_secret = "hush"
"#,
    )
    .unwrap();
    let path = file.to_string_lossy().into_owned();
    let c = config(&[("IMPORT_SOURCES_FILE", &path)]).unwrap();
    let s = &c.sources[0].config;
    assert_eq!(s.reso.page_size.get(), 500);
    assert_eq!(s.reso.rate_limit.map(|r| r.as_per_second()), Some(2.5));
    assert!(s.reso.oauth.as_ref().is_some_and(|o| o.scope.is_none()));

    std::fs::write(
        &file,
        "[[sources]]\nname = \"mls\"\nformat = \"reso\"\nurl = \"https://reso.example/odata/Property\"\npage_size = 20000\n[[sources]]\nname = \"typo\"\nurl = \"https://reso.example/odata/Property\"\npage_sise = 5\n",
    )
    .unwrap();
    let problems = config(&[("IMPORT_SOURCES_FILE", &path)]).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("page_sise"),
        "unknown keys are refused: {problems:?}"
    );

    std::fs::write(
        &file,
        "[[sources]]\nname = \"mls\"\nformat = \"reso\"\nurl = \"https://reso.example/odata/Property\"\npage_size = 20000\n",
    )
    .unwrap();
    let problems = config(&[("IMPORT_SOURCES_FILE", &path)]).unwrap_err();
    assert_eq!(
        problems,
        vec![format!(
            "IMPORT_SOURCES_FILE={path:?}: source \"mls\": page_size=20000: expected a whole number from 1 to 10000"
        )]
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
