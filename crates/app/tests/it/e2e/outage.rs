//! A database outage mid-run: PostgreSQL reached through a TCP proxy on 127.0.0.1 that the
//! test cuts and restores. Meanwhile `/readyz` is not ready and admin reads are 503; the run
//! ends FAILED with a clear error once the database is back, without a restart.

use std::time::{Duration, Instant};

use propimport_persistence::testing::TestDatabase;

use super::proxy::Proxy;
use super::support::{Service, SlowFeed, url_of};

#[test]
fn postgres_outage_mid_run() {
    let rt = super::super::rt();
    let Some(db) = rt.block_on(TestDatabase::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ((proxy, through), feed) = rt.block_on(async {
        (
            Proxy::for_url(&url_of(&db)).await,
            SlowFeed::start(Duration::from_millis(300)).await,
        )
    });
    let feed_url = feed.url.clone();
    let env = [
        ("IMPORT_SOURCE_NAME", "slow-feed"),
        ("IMPORT_SOURCE_URL", feed_url.as_str()),
        ("IMPORT_SOURCE_FORMAT", "json"),
        ("IMPORT_HEARTBEAT_INTERVAL", "1s"),
        ("IMPORT_LEASE", "30s"),
    ];
    let service = Service::start(dir.path(), &through, &env);
    rt.block_on(async {
        service.wait_ready().await;
        let id = service.trigger("slow-feed").await;
        service.wait_progress(&id, 1).await;
        proxy.cut();

        // The outage lasts 9 s at least (past the feed's end, so the run meets it), and until
        // both signs of it were seen, within a generous deadline.
        let started = Instant::now();
        let mut saw_not_ready = false;
        let mut saw_503 = false;
        while started.elapsed() < Duration::from_secs(9) || !(saw_not_ready && saw_503) {
            if started.elapsed() > Duration::from_secs(90) {
                break;
            }
            let (ready, body) = service.get("/readyz").await;
            saw_not_ready |= ready == 503 && body["checks"]["database"]["status"] == "failed";
            let (status, body) = service.get("/api/v1/admin/import-jobs/history").await;
            if status == 503 {
                assert_eq!(body["error"]["code"], "UNAVAILABLE");
                saw_503 = true;
            }
            assert_ne!(status, 500, "{body}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        assert!(
            saw_not_ready,
            "/readyz reported not ready during the outage"
        );
        assert!(saw_503, "admin reads answered 503 during the outage");

        proxy.restore();
        let run = service.wait_finished(&id, Duration::from_secs(60)).await;
        assert_eq!(run["status"], "FAILED", "{run}");
        let error = run["lastError"].as_str().unwrap_or_default().to_owned();
        assert!(
            error.contains("unavailable") || error.contains("database"),
            "a clear last error: {error}"
        );
        let recovered = Instant::now();
        while service.get("/readyz").await.0 != 200 {
            assert!(
                recovered.elapsed() < Duration::from_secs(60),
                "{}",
                service.stderr()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        feed.set_delay(Duration::ZERO);
        let again = service.trigger("slow-feed").await;
        let run = service.wait_finished(&again, Duration::from_secs(60)).await;
        assert_eq!(
            run["status"], "SUCCESS",
            "recovers without a restart: {run}"
        );
    });
}
