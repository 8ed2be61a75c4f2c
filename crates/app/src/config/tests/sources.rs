//! Source settings from variables and from a sources file, each bad value named: RESO Web API
//! fields, HTTP timeouts and `allow_empty`.

use std::time::Duration;

use super::config;

#[test]
fn source_timeouts_and_allow_empty_from_variables() {
    let url = ("IMPORT_SOURCE_URL", "https://feeds.example/export.xml");
    let c = config(&[url]).unwrap();
    let s = &c.sources[0].config;
    assert_eq!(
        (
            s.http.connect_timeout,
            s.http.read_timeout,
            s.http.timeout,
            s.allow_empty
        ),
        (
            Duration::from_secs(10),
            Duration::from_secs(30),
            Duration::from_secs(300),
            false
        )
    );
    let c = config(&[
        url,
        ("IMPORT_SOURCE_CONNECT_TIMEOUT", "2s"),
        ("IMPORT_SOURCE_READ_TIMEOUT", "45"),
        ("IMPORT_SOURCE_TIMEOUT", "10m"),
        ("IMPORT_SOURCE_ALLOW_EMPTY", "true"),
    ])
    .unwrap();
    let s = &c.sources[0].config;
    assert_eq!(
        (
            s.http.connect_timeout,
            s.http.read_timeout,
            s.http.timeout,
            s.allow_empty
        ),
        (
            Duration::from_secs(2),
            Duration::from_secs(45),
            Duration::from_secs(600),
            true
        )
    );
    let cases = [
        (
            ("IMPORT_SOURCE_READ_TIMEOUT", "0"),
            "IMPORT_SOURCE_READ_TIMEOUT=\"0\": expected a duration from 100ms to 1h, such as 30s",
        ),
        (
            ("IMPORT_SOURCE_CONNECT_TIMEOUT", "2h"),
            "IMPORT_SOURCE_CONNECT_TIMEOUT=\"2h\": expected a duration from 100ms to 10m, such as 10s",
        ),
        (
            ("IMPORT_SOURCE_TIMEOUT", "soon"),
            "IMPORT_SOURCE_TIMEOUT=\"soon\": expected a duration from 1s to 12h, such as 5m",
        ),
        (
            ("IMPORT_SOURCE_ALLOW_EMPTY", "maybe"),
            "IMPORT_SOURCE_ALLOW_EMPTY=\"maybe\": expected true or false",
        ),
    ];
    for (bad, expected) in cases {
        assert_eq!(config(&[url, bad]).unwrap_err(), [expected]);
    }
    let problems = config(&[
        ("IMPORT_SOURCE_URL", "https://reso.example/odata/Property"),
        ("IMPORT_SOURCE_ALLOW_EMPTY", "true"),
    ])
    .unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("IMPORT_SOURCE_ALLOW_EMPTY: only feeds read whole use it"),
        "{problems:?}"
    );
}

#[test]
fn source_timeouts_and_allow_empty_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sources.toml");
    std::fs::write(
        &file,
        r#"
[[sources]]
name = "quiet-partner"
url = "https://feeds.example/export.xml"
allow_empty = true
connect_timeout = "5s"
read_timeout = "2m"
timeout = 900
"#,
    )
    .unwrap();
    let path = file.to_string_lossy().into_owned();
    let c = config(&[("IMPORT_SOURCES_FILE", &path)]).unwrap();
    let s = &c.sources[0].config;
    assert!(s.allow_empty);
    assert_eq!(
        (s.http.connect_timeout, s.http.read_timeout, s.http.timeout),
        (
            Duration::from_secs(5),
            Duration::from_secs(120),
            Duration::from_secs(900)
        )
    );

    std::fs::write(
        &file,
        "[[sources]]\nname = \"a\"\nurl = \"https://feeds.example/a.xml\"\nread_timeout = \"forever\"\n\
         [[sources]]\nname = \"b\"\nurl = \"https://feeds.example/b.json\"\nallow_empty = \"perhaps\"\n",
    )
    .unwrap();
    let problems = config(&[("IMPORT_SOURCES_FILE", &path)]).unwrap_err();
    assert_eq!(
        problems,
        [
            format!(
                "IMPORT_SOURCES_FILE={path:?}: source \"a\": read_timeout=\"forever\": expected a duration from 100ms to 1h, such as 30s"
            ),
            format!(
                "IMPORT_SOURCES_FILE={path:?}: source \"b\": allow_empty=\"perhaps\": expected true or false"
            ),
        ]
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
        propimport_importer::FeedFormat::RESO,
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
fn a_source_may_set_its_own_retries() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sources.toml");
    std::fs::write(
        &file,
        "[[sources]]\nname = \"a\"\nurl = \"https://feeds.example/a.xml\"\nretries = 4\n\
         [[sources]]\nname = \"b\"\nurl = \"https://feeds.example/b.xml\"\nretry_delays = \"1m,2m\"\n\
         [[sources]]\nname = \"c\"\nurl = \"https://feeds.example/c.xml\"\n",
    )
    .unwrap();
    let path = file.to_string_lossy().into_owned();
    let c = config(&[("IMPORT_SOURCES_FILE", &path), ("IMPORT_RETRIES", "1")]).unwrap();
    let of = |name: &str| {
        let source = c.sources.iter().find(|s| s.config.name.as_str() == name)?;
        crate::config::retry_policy_of(source, &c.scheduling.retry)
            .map(|p| (p.retries, p.delays.clone()))
    };
    assert_eq!(of("c"), None, "c follows the variables");
    let minutes = |m: u64| Duration::from_secs(m * 60);
    assert_eq!(of("a"), Some((4, vec![minutes(5), minutes(30)])));
    assert_eq!(of("b"), Some((1, vec![minutes(1), minutes(2)])));

    std::fs::write(
        &file,
        "[[sources]]\nname = \"a\"\nurl = \"https://feeds.example/a.xml\"\nretries = 11\nretry_delays = \"soon\"\n",
    )
    .unwrap();
    let problems = config(&[("IMPORT_SOURCES_FILE", &path)]).unwrap_err();
    assert_eq!(
        problems,
        [format!(
            "IMPORT_SOURCES_FILE={path:?}: source \"a\": retries=11: expected a whole number from 0 to 10"
        )]
    );
}
