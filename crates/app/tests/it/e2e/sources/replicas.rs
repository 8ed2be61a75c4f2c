//! The source catalog on PostgreSQL with two replicas: sources seeded from the file once,
//! created, changed, disabled and deleted through one replica's API and followed by the other,
//! every tick run once, bad requests refused naming the field, every change audited, and a
//! restart with another file not seeding again.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use propimport_domain::ExecutionStatus;
use propimport_persistence::testing::TestDatabase;
use serde_json::json;

use super::super::records::all_executions;
use super::super::support::{Service, workspace_root};
use super::{KEY, SOURCES, call, jobs, sources_file, until_jobs};

#[test]
fn postgres_sources_changed_on_one_replica_are_followed_by_the_other() {
    let rt = super::super::super::rt();
    let Some(db) = rt.block_on(TestDatabase::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = super::super::support::url_of(&db);
    let seed = sources_file(dir.path(), "seeded");
    let feeds_dir = workspace_root()
        .join("examples/feeds")
        .display()
        .to_string();
    let env = [
        ("IMPORT_SOURCES_FILE", seed.as_str()),
        ("SOURCE_CREDENTIALS_KEY", KEY),
        ("IMPORT_MISFIRE_POLICY", "skip"),
        ("IMPORT_FILE_FEEDS_DIR", feeds_dir.as_str()),
    ];
    let mut a = Service::start(dir.path(), &url, &env);
    let b = Service::start(dir.path(), &url, &env);
    let feed = workspace_root().join("examples/feeds/north-macedonia.ndjson");
    rt.block_on(async {
        a.wait_ready().await;
        b.wait_ready().await;
        // Seeded once, by whichever replica came first.
        let (code, _, list) = call(reqwest::Method::GET, &a, SOURCES, None, None).await;
        assert_eq!(code, 200, "{list}");
        let sources = list["data"]["sources"].as_array().unwrap();
        assert_eq!(sources.len(), 1, "{list}");
        assert_eq!(sources[0]["name"], "seeded");
        assert_eq!(sources[0]["createdBy"], "system:seed");
        assert_eq!(list["data"]["readOnly"], false);

        // Created on A, with a credential: write-only, and B schedules it.
        let (code, etag, created) = call(
            reqwest::Method::POST,
            &a,
            SOURCES,
            None,
            Some(json!({
                "name": "every-second",
                "url": feed.display().to_string(),
                "format": "json",
                "schedule": "* * * * * *",
                "timezone": "Europe/Madrid",
                "token": "s3cret-token",
            })),
        )
        .await;
        assert_eq!(code, 201, "{created}");
        assert_eq!(etag.as_deref(), Some("\"1\""));
        assert_eq!(created["data"]["credentials"]["token"], true);
        assert!(!created.to_string().contains("s3cret"), "{created}");
        until_jobs(&b, "every-second", true).await;
        until_jobs(&a, "every-second", true).await;
        let (_, _, one) = call(
            reqwest::Method::GET,
            &b,
            &format!("{SOURCES}/every-second"),
            None,
            None,
        )
        .await;
        assert!(!one.to_string().contains("s3cret"), "{one}");
        assert_eq!(one["data"]["timezone"], "Europe/Madrid");

        // Runs on its schedule, each tick once across the two replicas.
        let started = Instant::now();
        loop {
            let runs = all_executions(db.executions()).await;
            let done = runs
                .iter()
                .filter(|e| {
                    e.job_name.as_str() == "every-second" && e.status != ExecutionStatus::Running
                })
                .count();
            if done >= 4 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no runs: {}",
                b.stderr()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        // Refusals, each naming what was wrong.
        for (body, code, words) in [
            (
                json!({"name": "every-second", "url": "https://feeds.test/x.json"}),
                409,
                "exists already",
            ),
            (
                json!({"name": "bad", "url": "https://feeds.test/x.json", "schedule": "61 * * * *"}),
                400,
                "schedule",
            ),
            (
                json!({"name": "bad", "url": "https://feeds.test/x.json", "shedule": "* * * * *"}),
                400,
                "unknown field `shedule`",
            ),
            (
                json!({"name": "bad", "url": "https://feeds.test/x.json", "format": "xls"}),
                400,
                "format",
            ),
            (
                json!({"name": "bad", "url": "https://feeds.test/x.json", "timezone": "Mars/Base"}),
                400,
                "timezone",
            ),
            (json!({"name": "bad name", "url": "https://feeds.test/x.json"}), 400, "name"),
            (json!({"url": "https://feeds.test/x.json"}), 400, "missing field `name`"),
            (json!(["not", "an", "object"]), 400, "JSON object"),
            (
                json!({"name": "peek", "url": "/etc/hostname"}),
                400,
                "IMPORT_FILE_FEEDS_DIR",
            ),
            (
                json!({"name": "peek", "url": format!("{}/../../Cargo.toml", feeds_dir)}),
                400,
                "IMPORT_FILE_FEEDS_DIR",
            ),
        ] {
            let (got, _, answer) =
                call(reqwest::Method::POST, &a, SOURCES, None, Some(body.clone())).await;
            assert_eq!(got, code, "{body} → {answer}");
            let message = answer["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(words), "{body} → {message}");
        }

        // Disabled on B with the version read; a stale version is refused.
        let (code, etag, disabled) = call(
            reqwest::Method::PATCH,
            &b,
            &format!("{SOURCES}/every-second"),
            Some("\"1\""),
            Some(json!({"enabled": false})),
        )
        .await;
        assert_eq!(code, 200, "{disabled}");
        assert_eq!(etag.as_deref(), Some("\"2\""));
        assert_eq!(disabled["data"]["credentials"]["token"], true, "kept");
        let (code, _, stale) = call(
            reqwest::Method::PATCH,
            &b,
            &format!("{SOURCES}/every-second"),
            Some("\"1\""),
            Some(json!({"enabled": true})),
        )
        .await;
        assert_eq!(code, 412, "{stale}");
        until_jobs(&a, "every-second", false).await;
        until_jobs(&b, "every-second", false).await;
        // Both replicas follow the change by now; a tick decided just before it may still
        // start its run a little later, so only runs started from a second on count.
        let quiet_from = chrono::Utc::now() + chrono::Duration::seconds(1);
        let count = |runs: &[propimport_domain::Execution]| {
            runs.iter()
                .filter(|e| e.job_name.as_str() == "every-second" && e.started_at > quiet_from)
                .count()
        };
        // A run begun before the change may still end: wait until none is in progress.
        let settled = Instant::now();
        while all_executions(db.executions())
            .await
            .iter()
            .any(|e| e.job_name.as_str() == "every-second" && e.status == ExecutionStatus::Running)
        {
            assert!(
                settled.elapsed() < Duration::from_secs(10),
                "a run never ended"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let before = count(&all_executions(db.executions()).await);
        let watched = Instant::now();
        while watched.elapsed() < Duration::from_millis(3_500) {
            let now = count(&all_executions(db.executions()).await);
            assert_eq!(now, before, "disabled: no more runs");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }

        // Deleted: gone from the catalog, its history kept.
        let (code, _, _) = call(
            reqwest::Method::DELETE,
            &a,
            &format!("{SOURCES}/every-second"),
            Some("nope"),
            None,
        )
        .await;
        assert_eq!(code, 400);
        let (code, _, deleted) = call(
            reqwest::Method::DELETE,
            &a,
            &format!("{SOURCES}/every-second"),
            None,
            None,
        )
        .await;
        assert_eq!(code, 200, "{deleted}");
        let (code, _, _) = call(
            reqwest::Method::GET,
            &b,
            &format!("{SOURCES}/every-second"),
            None,
            None,
        )
        .await;
        assert_eq!(code, 404);
        let (code, _, _) = call(
            reqwest::Method::PATCH,
            &b,
            &format!("{SOURCES}/every-second"),
            None,
            Some(json!({"enabled": true})),
        )
        .await;
        assert_eq!(code, 404);
        assert_eq!(count(&all_executions(db.executions()).await), before);

        // Each tick ran once.
        let mut per_tick: HashMap<String, usize> = HashMap::new();
        for e in all_executions(db.executions()).await {
            if let Some(tick) = e.scheduled_for {
                *per_tick
                    .entry(format!("{}@{tick}", e.job_name))
                    .or_default() += 1;
            }
        }
        assert!(per_tick.values().all(|n| *n == 1), "{per_tick:?}");

        // Audited: the changes with their actor, the refusals too.
        let (_, audit) = a.get("/api/v1/admin/audit-log?limit=100").await;
        let actions: Vec<(String, String)> = audit["data"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap_or_default().to_owned(),
                    e["outcome"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        for wanted in [
            ("source.seed", "accepted"),
            ("source.create", "accepted"),
            ("source.create", "refused"),
            ("source.disable", "accepted"),
            ("source.update", "refused"),
            ("source.delete", "accepted"),
        ] {
            assert!(
                actions.iter().any(|(a, o)| a == wanted.0 && o == wanted.1),
                "{wanted:?} in {actions:?}"
            );
        }
        assert!(!audit.to_string().contains("s3cret"));
    });
    // A restart with another sources file does not seed again: the catalog is the truth.
    let (status, _) = a.terminate(Duration::from_secs(20));
    assert!(status.success(), "{}", a.stderr());
    let other = sources_file(dir.path(), "other");
    let c = Service::start(
        dir.path(),
        &url,
        &[
            ("IMPORT_SOURCES_FILE", other.as_str()),
            ("SOURCE_CREDENTIALS_KEY", KEY),
        ],
    );
    rt.block_on(async {
        c.wait_ready().await;
        assert_eq!(jobs(&c).await, ["seeded"]);
    });
}
