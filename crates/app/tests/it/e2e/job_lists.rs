//! `propimport jobs list` over many jobs, on SQLite and PostgreSQL: the search, the filters
//! (failing, late, paused, running, last status) and pages `/status` has, the summary of every
//! job, and usage errors that name the flag.

use std::process::Output;

use chrono::{Duration, Utc};
use propimport_domain::{
    Alert, AlertClaim, AlertStore, ErrorLog, ExecutionId, ExecutionStatus, ExecutionStore,
    FinishExecution, JobName, JobPause, NewExecution, RunCounts, TriggeredBy,
};
use propimport_persistence::testing::TestDatabase;
use serde_json::{Value, json};

use super::support::{command, url_of, workspace_root};

fn name(i: usize) -> JobName {
    JobName::parse(&format!("feed-{i:02}")).unwrap()
}

/// 25 jobs: feed-03 and feed-13 failed, feed-07 runs, feed-10 is paused, feed-20 is late.
async fn seed(db: &TestDatabase) {
    let store = db.executions();
    for (i, status) in [
        (3, ExecutionStatus::Failed),
        (13, ExecutionStatus::Failed),
        (7, ExecutionStatus::Running),
    ] {
        let started = Utc::now() - Duration::minutes(30);
        let run = store
            .create_running(NewExecution {
                id: ExecutionId::new(),
                job_name: name(i),
                triggered_by: TriggeredBy::Cron,
                started_at: started,
                scheduled_for: None,
                attempt: 1,
                instance_id: None,
            })
            .await
            .unwrap();
        if status.is_finished() {
            let end = FinishExecution {
                status,
                completed_at: started + Duration::seconds(5),
                counts: RunCounts::default(),
                errors: ErrorLog::default(),
                last_error: Some("fetch: 503".into()),
                details: None,
            };
            store.finish(&run.id, end).await.unwrap();
        }
    }
    let pause = JobPause::new(name(10), "cli:ana", Utc::now(), Some("partner upgrade"));
    store.pause_job(&pause).await.unwrap();
    let tick = Utc::now() - Duration::hours(1);
    db.alert_store()
        .claim(&AlertClaim {
            alert: Alert::Late {
                job_name: name(20),
                tick,
                grace_seconds: 300,
            },
            at: tick + Duration::minutes(5),
            cooldown: Duration::hours(6),
            fresh: false,
        })
        .await
        .unwrap();
}

struct Cli {
    dir: tempfile::TempDir,
    url: String,
    sources: String,
}

impl Cli {
    fn run(&self, args: &[&str]) -> Output {
        command(
            self.dir.path(),
            &self.url,
            &[("IMPORT_SOURCES_FILE", self.sources.as_str())],
        )
        .env_remove("RUST_LOG")
        .args(["jobs", "list"])
        .args(args)
        .output()
        .unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.run(&all);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn names(list: &Value) -> Vec<String> {
    list["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|j| j["jobName"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn jobs_list_pages_searches_and_filters(db: &TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let feed = workspace_root().join("examples/feeds/north-macedonia.ndjson");
    let file = dir.path().join("sources.toml");
    let text: String = (0..25)
        .map(|i| {
            format!(
                "[[sources]]\nname = \"{}\"\nformat = \"json\"\nurl = \"{}\"\n\n",
                name(i),
                feed.display()
            )
        })
        .collect();
    std::fs::write(&file, text).unwrap();
    let cli = Cli {
        url: url_of(db),
        sources: file.display().to_string(),
        dir,
    };

    let all = cli.json(&[]);
    assert_eq!(names(&all).len(), 25);
    assert_eq!(
        all["pagination"],
        json!({"total": 25, "limit": 100, "offset": 0, "hasMore": false})
    );
    assert_eq!(
        all["summary"],
        json!({"total": 25, "running": 1, "paused": 1, "late": 1, "failing": 2, "neverRun": 22,
            "byLastStatus": {"RUNNING": 1, "SUCCESS": 0, "FAILED": 2, "PARTIAL": 0}})
    );
    let feed3 = &all["jobs"][3];
    assert_eq!(
        (
            feed3["lastStatus"].clone(),
            feed3["failing"].clone(),
            feed3["consecutiveFailures"].clone()
        ),
        (json!("FAILED"), json!(true), json!(1))
    );

    for (args, wanted) in [
        (&["--failing"][..], vec!["feed-03", "feed-13"]),
        (&["--late"][..], vec!["feed-20"]),
        (&["--paused"][..], vec!["feed-10"]),
        (&["--running"][..], vec!["feed-07"]),
        (&["--status", "running"][..], vec!["feed-07"]),
        (
            &["--search", "FEED-1", "--failing=false", "--paused=false"][..],
            {
                vec![
                    "feed-11", "feed-12", "feed-14", "feed-15", "feed-16", "feed-17", "feed-18",
                    "feed-19",
                ]
            },
        ),
        (
            &["--limit", "5", "--offset", "20"][..],
            vec!["feed-20", "feed-21", "feed-22", "feed-23", "feed-24"],
        ),
    ] {
        let list = cli.json(args);
        assert_eq!(names(&list), wanted, "{args:?}");
        assert_eq!(
            list["summary"], all["summary"],
            "{args:?}: every job counted"
        );
    }
    let page = cli.json(&["--limit", "10", "--offset", "10"]);
    assert_eq!(page["pagination"]["hasMore"], true);

    let table = cli.run(&["--failing"]);
    let out = String::from_utf8_lossy(&table.stdout);
    assert!(table.status.success(), "{out}");
    assert!(out.lines().next().unwrap().contains("STATE"), "{out}");
    assert!(out.contains("failing (1 in a row)"), "{out}");
    assert!(out.contains("jobs 1–2 of 2 matching"), "{out}");
    assert!(
        out.contains("25 jobs: 1 running, 1 paused, 1 late, 2 failing, 22 never run"),
        "{out}"
    );

    for (args, says) in [
        (
            &["--limit", "0"][..],
            "--limit: must be between 1 and 500, got 0",
        ),
        (
            &["--search", ""][..],
            "--search: must be 1 to 64 characters",
        ),
        (&["--status", "DONE"][..], "--status: must be one of"),
    ] {
        let out = cli.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("error: {says}")),
            "{args:?}: {stderr}"
        );
    }
    let bad_flag = cli.run(&["--failing=perhaps"]);
    assert_eq!(bad_flag.status.code(), Some(2));
}

#[test]
fn jobs_list_on_sqlite() {
    let rt = super::super::rt();
    let db = rt.block_on(TestDatabase::sqlite_some()).unwrap();
    rt.block_on(seed(&db));
    jobs_list_pages_searches_and_filters(&db);
}

#[test]
fn jobs_list_on_postgres() {
    let rt = super::super::rt();
    let Some(db) = rt.block_on(TestDatabase::postgres()) else {
        return;
    };
    rt.block_on(seed(&db));
    jobs_list_pages_searches_and_filters(&db);
}
