//! The dashboard in headless Chromium (`e2e/dashboard/dashboard.test.mjs`, Playwright) against
//! the real binary on SQLite seeded with a few dozen executions, with 34 jobs (more than a page
//! of cards), one of them failing.
//!
//! It needs Node.js, `npm ci` in `e2e/dashboard` and Debian's `chromium`. Without them it says
//! so and returns, unless `REQUIRE_BROWSER=1` (CI) makes it fail.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use propimport_persistence::{Database, DatabaseUrl, PoolOptions, SqlExecutionStore};

use super::support::{Service, SlowFeed, TOKEN, workspace_root};

fn missing_tools(script_dir: &Path) -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!("no Chromium at {chromium}"));
    }
    if !script_dir.join("node_modules/playwright-core").exists() {
        return Some("playwright-core is not installed (npm ci in e2e/dashboard)".into());
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    None
}

/// An alert history to show: a failure alert raised and delivered by one channel and not by
/// another, a late job, and a recovery.
async fn seed_alerts(db: &Database) {
    use propimport_domain::{
        Alert, AlertClaim, AlertDelivery, AlertKind, AlertStore, DeliveryOutcome, ExecutionId,
        JobName,
    };
    let alerts = propimport_persistence::SqlAlertStore::new(db.clone());
    let job = JobName::parse("demo-costa-blanca").unwrap();
    let now = chrono::Utc::now();
    let run = ExecutionId::new();
    let raised = alerts
        .claim(&AlertClaim {
            alert: Alert::FailureThreshold {
                job_name: job.clone(),
                consecutive_failures: 3,
                threshold: 3,
                last_error: Some("cannot fetch the feed: timed out after 30 s".into()),
                execution_id: run,
            },
            at: now - chrono::Duration::hours(3),
            cooldown: chrono::Duration::hours(6),
            fresh: true,
        })
        .await
        .unwrap()
        .event_id;
    for (channel, outcome) in [
        ("email", DeliveryOutcome::Delivered),
        (
            "webhook",
            DeliveryOutcome::Failed {
                reason: "after 3 attempts: HTTP status 503 Service Unavailable".into(),
            },
        ),
    ] {
        alerts
            .record_delivery(&AlertDelivery {
                alert_id: raised,
                job_name: job.clone(),
                kind: AlertKind::FailureThreshold,
                execution_id: Some(run),
                channel: channel.into(),
                at: now - chrono::Duration::hours(3) + chrono::Duration::seconds(2),
                outcome,
            })
            .await
            .unwrap();
    }
    let other = JobName::parse("demo-north-macedonia").unwrap();
    alerts
        .claim(&AlertClaim {
            alert: Alert::Late {
                job_name: other,
                tick: now - chrono::Duration::hours(2),
                grace_seconds: 300,
            },
            at: now - chrono::Duration::hours(2) + chrono::Duration::minutes(5),
            cooldown: chrono::Duration::hours(6),
            fresh: false,
        })
        .await
        .unwrap();
    alerts
        .recover(
            &Alert::Recovered {
                job_name: job,
                after_failures: 3,
                execution_id: ExecutionId::new(),
            },
            now - chrono::Duration::hours(1),
        )
        .await
        .unwrap();
}

/// Thirty partner feeds that never ran: more jobs than a page of cards holds.
fn partner_feeds(root: &Path) -> String {
    let feed = root.join("examples/feeds/north-macedonia.ndjson");
    (1..=30)
        .map(|i| {
            format!(
                "[[sources]]\nname = \"partner-feed-{i:02}\"\nformat = \"json\"\nurl = \"{}\"\n\n",
                feed.display()
            )
        })
        .collect()
}

#[test]
fn dashboard_in_headless_chromium() {
    let script_dir = workspace_root().join("e2e/dashboard");
    if let Some(missing) = missing_tools(&script_dir) {
        assert!(
            std::env::var("REQUIRE_BROWSER").as_deref() != Ok("1"),
            "REQUIRE_BROWSER=1 but {missing}"
        );
        propimport_persistence::testing::report_skipped(&format!("no browser ({missing})"));
        return;
    }
    let rt = super::super::rt();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("dashboard.db").display());
    rt.block_on(async {
        let db = Database::connect(&DatabaseUrl::parse(&url).unwrap(), PoolOptions::default())
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let store = SqlExecutionStore::new(db.clone());
        propimport_http_api::testing::seed(
            &store,
            &["demo-costa-blanca", "demo-north-macedonia"],
            40,
        )
        .await;
        seed_alerts(&db).await;
        db.close();
    });
    let feed = rt.block_on(SlowFeed::start(Duration::from_millis(250)));
    let sources = dir.path().join("sources.toml");
    let root = workspace_root();
    std::fs::write(
        &sources,
        format!(
            "[[sources]]\nname = \"demo-costa-blanca\"\nformat = \"kyero\"\nurl = \"{}\"\n\n\
             [[sources]]\nname = \"demo-north-macedonia\"\nformat = \"json\"\nurl = \"{}\"\n\n\
             [[sources]]\nname = \"slow-feed\"\nformat = \"json\"\nurl = \"{}\"\n\n\
             [[sources]]\nname = \"broken-feed\"\nformat = \"json\"\nurl = \"{}\"\n\n{}",
            root.join("examples/feeds/costa-blanca.kyero.xml").display(),
            root.join("examples/feeds/north-macedonia.ndjson").display(),
            feed.url,
            dir.path().join("no-such-feed.ndjson").display(),
            partner_feeds(&root)
        ),
    )
    .unwrap();
    let sources_env = sources.display().to_string();
    let feeds_dir = root.join("examples/feeds").display().to_string();
    let service = Service::start(
        dir.path(),
        &url,
        &[
            ("IMPORT_SOURCES_FILE", sources_env.as_str()),
            ("IMPORT_FILE_FEEDS_DIR", feeds_dir.as_str()),
        ],
    );
    rt.block_on(async {
        service.wait_ready().await;
        // A failing job, for the summary line ("1 job failing") and the failing chip.
        let id = service.trigger("broken-feed").await;
        let run = service.wait_finished(&id, Duration::from_secs(60)).await;
        assert_eq!(run["status"], "FAILED", "{run}");
    });
    let screenshots = root.join("target/dashboard-screenshots");
    let output = Command::new("node")
        .arg("dashboard.test.mjs")
        .current_dir(&script_dir)
        .env("BASE_URL", &service.base)
        .env("ADMIN_TOKEN", TOKEN)
        .env("JOB_NAME", "slow-feed")
        .env(
            "FEED_PATH",
            root.join("examples/feeds/north-macedonia.ndjson"),
        )
        .env("EXPECT_CONFLICT", "1")
        .env("MIN_RUNS", "30")
        .env("MIN_DAYS_WITH_RUNS", "10")
        .env("SCREENSHOT_DIR", &screenshots)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser test failed:\n{stdout}\n{stderr}\nservice log:\n{}",
        service.stderr()
    );
    eprintln!("{stdout}");
}
