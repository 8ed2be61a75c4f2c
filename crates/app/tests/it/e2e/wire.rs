//! One wire format: `executions show --json` and `executions list --json` print exactly the
//! documents the API answers for the same records (its `data`), times in UTC as `…Z`; `jobs
//! list --json` writes each job's fields as `/status` does.

use std::time::Duration;

use serde_json::Value;

use super::support::{Service, command};

const JOB: &str = "demo-costa-blanca";

/// The JSON document `propimport args…` printed on stdout.
fn cli_json(dir: &std::path::Path, url: &str, args: &[&str]) -> Value {
    let output = command(dir, url, &[])
        .env_remove("RUST_LOG")
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} printed no JSON document ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[tokio::test]
async fn the_cli_prints_the_apis_documents() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("wire.db").display());
    let service = Service::start(dir.path(), &url, &[]);
    service.wait_ready().await;
    let id = service.trigger(JOB).await;
    service.wait_finished(&id, Duration::from_secs(60)).await;

    let (status, api) = service
        .get(&format!("/api/v1/admin/import-jobs/{id}"))
        .await;
    assert_eq!(status, 200, "{api}");
    let cli = cli_json(dir.path(), &url, &["executions", "show", &id, "--json"]);
    assert_eq!(
        cli, api["data"],
        "executions show --json is the API's execution"
    );
    for field in ["startedAt", "completedAt", "createdAt", "updatedAt"] {
        let time = cli[field].as_str().unwrap_or_default();
        assert!(
            time.ends_with('Z') && time.len() == "2025-12-24T00:04:32.123Z".len(),
            "{field} in UTC with milliseconds: {time:?}"
        );
    }

    let (status, api) = service
        .get("/api/v1/admin/import-jobs/history?limit=20")
        .await;
    assert_eq!(status, 200, "{api}");
    let cli = cli_json(
        dir.path(),
        &url,
        &["executions", "list", "--limit", "20", "--json"],
    );
    assert_eq!(
        cli, api["data"],
        "executions list --json is the API's history"
    );
    assert_eq!(cli["executions"][0]["id"], id.as_str());

    // `jobs list --json` has the fields `/status` gives each job, written the same way.
    let (status, api) = service.get("/api/v1/admin/import-jobs/status").await;
    assert_eq!(status, 200, "{api}");
    let cli = cli_json(dir.path(), &url, &["jobs", "list", "--json"]);
    let (cli_jobs, api_jobs) = (cli["jobs"].as_array().unwrap(), &api["data"]["jobs"]);
    assert!(!cli_jobs.is_empty(), "{cli}");
    for (i, job) in cli_jobs.iter().enumerate() {
        let fields = [
            "jobName",
            "schedule",
            "timezone",
            "scheduleText",
            "paused",
            "pausedBy",
            "pausedAt",
            "pauseReason",
        ];
        for field in fields {
            assert_eq!(job[field], api_jobs[i][field], "{field} of job {i}");
        }
        assert_eq!(job["nextRun"], api_jobs[i]["nextRuns"][0], "job {i}");
        let utc = job["nextRun"]["utc"].as_str().unwrap_or_default();
        assert!(utc.ends_with('Z'), "{utc:?}");
    }
    // The same search, filters and pages, the same summary of every job.
    for (args, query) in [
        (&[][..], ""),
        (&["--search", "COSTA"][..], "?q=COSTA"),
        (&["--status", "success"][..], "?status=success"),
        (
            &["--failing=false", "--paused"][..],
            "?failing=false&paused=true",
        ),
        (
            &["--running=false", "--limit", "1", "--offset", "1"][..],
            "?running=false&limit=1&offset=1",
        ),
    ] {
        let (status, api) = service
            .get(&format!("/api/v1/admin/import-jobs/status{query}"))
            .await;
        assert_eq!(status, 200, "{api}");
        let mut all = vec!["jobs", "list", "--json"];
        all.extend_from_slice(args);
        let cli = cli_json(dir.path(), &url, &all);
        let names = |jobs: &Value| -> Vec<Value> {
            jobs.as_array()
                .into_iter()
                .flatten()
                .map(|j| j["jobName"].clone())
                .collect()
        };
        assert_eq!(names(&cli["jobs"]), names(&api["data"]["jobs"]), "{args:?}");
        assert_eq!(cli["pagination"], api["data"]["pagination"], "{args:?}");
        assert_eq!(cli["summary"], api["data"]["summary"], "{args:?}");
    }
}
