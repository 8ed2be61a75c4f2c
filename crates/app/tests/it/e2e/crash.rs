//! A crash (`kill -9`) and a SIGTERM during a slow import, on SQLite.

use std::time::Duration;

use propimport_domain::{ExternalId, ListingStore, SourceName};

use super::support::{Service, SlowFeed};

const JOB: &str = "slow-feed";

fn slow_env(feed: &SlowFeed) -> Vec<(&'static str, String)> {
    vec![
        ("IMPORT_SOURCE_NAME", JOB.to_owned()),
        ("IMPORT_SOURCE_URL", feed.url.clone()),
        ("IMPORT_SOURCE_FORMAT", "json".to_owned()),
        ("IMPORT_HEARTBEAT_INTERVAL", "1s".to_owned()),
        ("IMPORT_LEASE", "3s".to_owned()),
        ("IMPORT_SHUTDOWN_GRACE_SECONDS", "2".to_owned()),
    ]
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn kill_9_mid_import_is_recovered_and_nothing_duplicates() {
    let rt = super::super::rt();
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("crash.db");
    let url = format!("sqlite://{}", db_path.display());
    let feed = rt.block_on(SlowFeed::start(Duration::from_millis(150)));
    let env = slow_env(&feed);
    let mut service = Service::start(dir.path(), &url, &borrowed(&env));
    let crashed = rt.block_on(async {
        service.wait_ready().await;
        let id = service.trigger(JOB).await;
        service.wait_progress(&id, 3).await;
        id
    });
    service.kill();
    feed.set_delay(Duration::ZERO);
    let service = Service::start(dir.path(), &url, &borrowed(&env));
    rt.block_on(async {
        service.wait_ready().await;
        // The dead run is recovered once its lease (3 s) lapses: wait for it, generously.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let old = loop {
            let (_, old) = service
                .get(&format!("/api/v1/admin/import-jobs/{crashed}"))
                .await;
            if old["data"]["status"] != "RUNNING" {
                break old;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the dead run is still RUNNING after 60 s: {old}\n{}",
                service.stderr()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(old["data"]["status"], "FAILED", "{old}");
        assert!(
            old["data"]["lastError"]
                .as_str()
                .is_some_and(|e| e.starts_with("abandoned")),
            "{old}"
        );
        let id = service.trigger(JOB).await;
        let run = service.wait_finished(&id, Duration::from_secs(60)).await;
        assert_eq!(run["status"], "SUCCESS", "{run}");
        assert_eq!(
            run["totalProperties"],
            i64::try_from(SlowFeed::records()).unwrap()
        );
    });
    drop(service);
    let counted = rt.block_on(async {
        let db = propimport_persistence::Database::connect(
            &propimport_persistence::DatabaseUrl::parse(&url).unwrap(),
            propimport_persistence::PoolOptions::default(),
        )
        .await
        .unwrap();
        let listings = propimport_persistence::SqlListingStore::new(db);
        let source = SourceName::parse(JOB).unwrap();
        let active = listings.count_active(&source).await.unwrap();
        let first = listings
            .get_listing(&source, &ExternalId::parse("MK-501").unwrap())
            .await
            .unwrap();
        (active, first.is_some())
    });
    assert_eq!(
        counted.0,
        i64::try_from(SlowFeed::records()).unwrap(),
        "no listing duplicated or lost"
    );
    assert!(counted.1, "the feed's first listing, MK-501, is stored");
}

#[test]
fn sigterm_mid_import_records_the_run_and_exits_0() {
    let rt = super::super::rt();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("term.db").display());
    let feed = rt.block_on(SlowFeed::start(Duration::from_millis(500)));
    let env = slow_env(&feed);
    let mut service = Service::start(dir.path(), &url, &borrowed(&env));
    let id = rt.block_on(async {
        service.wait_ready().await;
        let id = service.trigger(JOB).await;
        service.wait_progress(&id, 2).await;
        id
    });
    // The feed alone would take 10 s more; the exit comes after the grace (2 s), and a
    // generous deadline, not a tight time, bounds the wait. That the run was cut short, not
    // waited for, is read from its record below.
    let (status, _) = service.terminate(Duration::from_secs(60));
    assert!(status.success(), "exit {status:?}: {}", service.stderr());
    let log = service.stderr();
    let service = Service::start(dir.path(), &url, &borrowed(&env));
    rt.block_on(async {
        let (_, run) = service
            .get(&format!("/api/v1/admin/import-jobs/{id}"))
            .await;
        assert_ne!(run["data"]["status"], "RUNNING", "{run}\n{log}");
        assert!(
            run["data"]["lastError"]
                .as_str()
                .is_some_and(|e| e.contains("interrupted by shutdown")),
            "{run}"
        );
        let counted = run["data"]["totalProperties"].as_i64().unwrap_or(0);
        assert!(counted >= 2, "counts so far: {run}");
        assert!(
            counted < i64::try_from(SlowFeed::records()).unwrap(),
            "the run was interrupted before the feed ended: {run}"
        );
    });
}
