//! The source catalog of one process on SQLite: the `config` mode read-only, credentials
//! refused without `SOURCE_CREDENTIALS_KEY`, and sources managed from the command line.

use std::time::Duration;

use serde_json::{Value, json};

use super::super::support::{Service, command, workspace_root};
use super::{KEY, SOURCES, call, jobs, sources_file};

#[test]
fn sqlite_config_mode_is_read_only_and_credentials_need_the_key() {
    let rt = super::super::super::rt();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("e2e.db").display());
    let seed = sources_file(dir.path(), "configured");
    let mut service = Service::start(
        dir.path(),
        &url,
        &[
            ("IMPORT_SOURCES_FILE", seed.as_str()),
            ("IMPORT_SOURCES_MODE", "config"),
        ],
    );
    rt.block_on(async {
        service.wait_ready().await;
        let (code, _, list) = call(reqwest::Method::GET, &service, SOURCES, None, None).await;
        assert_eq!(code, 200, "{list}");
        assert_eq!(list["data"]["readOnly"], true);
        assert_eq!(list["data"]["sources"][0]["name"], "configured");
        let (code, _, refused) = call(
            reqwest::Method::POST,
            &service,
            SOURCES,
            None,
            Some(json!({"name": "new", "url": "x.json"})),
        )
        .await;
        assert_eq!(code, 409, "{refused}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("IMPORT_SOURCES_MODE")
        );
    });
    let (status, _) = service.terminate(Duration::from_secs(20));
    assert!(status.success(), "{}", service.stderr());

    // The database mode without SOURCE_CREDENTIALS_KEY: sources without credentials are
    // fine, a credential is refused naming the variable.
    let service = Service::start(dir.path(), &url, &[("IMPORT_SOURCES_FILE", seed.as_str())]);
    rt.block_on(async {
        service.wait_ready().await;
        let (code, _, refused) = call(
            reqwest::Method::POST,
            &service,
            SOURCES,
            None,
            Some(json!({"name": "secret", "url": "https://feeds.test/a.xml", "token": "t"})),
        )
        .await;
        assert_eq!(code, 400, "{refused}");
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("SOURCE_CREDENTIALS_KEY") && message.starts_with("token"),
            "{message}"
        );
        assert_eq!(jobs(&service).await, ["configured"]);
    });
}

#[test]
fn sqlite_sources_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("e2e.db").display());
    let feed = workspace_root().join("examples/feeds/north-macedonia.ndjson");
    let feeds_dir = workspace_root()
        .join("examples/feeds")
        .display()
        .to_string();
    let run = |args: &[&str]| {
        let out = command(
            dir.path(),
            &url,
            &[
                ("SOURCE_CREDENTIALS_KEY", KEY),
                ("IMPORT_FILE_FEEDS_DIR", feeds_dir.as_str()),
            ],
        )
        .arg("sources")
        .args(args)
        .output()
        .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "cli-s3cret\n").unwrap();
    let (code, out, err) = run(&[
        "add",
        "--name",
        "from-cli",
        "--url",
        &feed.display().to_string(),
        "--format",
        "json",
        "--set",
        "retries=2",
        "--set",
        &format!("token=@{}", token_file.display()),
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("added from-cli (version 1)"), "{out}");
    let (_, list, _) = run(&["list"]);
    assert!(
        list.contains("from-cli") && list.contains("demo-costa-blanca"),
        "seeded with the demo feeds, then added: {list}"
    );
    let (_, show, _) = run(&["show", "from-cli"]);
    assert!(
        show.contains("credentials set: token") && !show.contains("cli-s3cret"),
        "{show}"
    );
    assert!(show.contains("retries: 2"), "{show}");
    let (code, _, err) = run(&["set", "from-cli", "schedule=not a schedule"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("schedule"), "{err}");
    let (code, out, _) = run(&["disable", "from-cli"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("disabled from-cli (version 2)"), "{out}");
    let (_, json, _) = run(&["show", "from-cli", "--json"]);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["enabled"], false);
    assert_eq!(json["credentials"]["token"], true);
    let (code, out, _) = run(&["delete", "from-cli", "--if-version", "2"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, _, err) = run(&["show", "from-cli"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("source from-cli not found"), "{err}");
}
