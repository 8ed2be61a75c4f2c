//! A database outage mid-run: PostgreSQL reached through a TCP proxy on 127.0.0.1 that the
//! test cuts and restores. Meanwhile `/readyz` is not ready and admin reads are 503; the run
//! ends FAILED with a clear error once the database is back, without a restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use propimport_persistence::testing::TestDatabase;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use super::support::{Service, SlowFeed, url_of};

/// A TCP proxy to PostgreSQL that can be cut (open connections dropped, new ones refused).
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (flag, tasks) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                tasks.lock().await.push(tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Self { port, up, links }
    }

    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[test]
fn postgres_outage_mid_run() {
    let rt = super::super::rt();
    let Some(db) = rt.block_on(TestDatabase::postgres()) else {
        return;
    };
    let direct = reqwest::Url::parse(&url_of(&db)).unwrap();
    let target = format!(
        "{}:{}",
        direct.host_str().unwrap_or("127.0.0.1"),
        direct.port().unwrap_or(5432)
    );
    let dir = tempfile::tempdir().unwrap();
    let (proxy, feed) = rt.block_on(async {
        (
            Proxy::start(target).await,
            SlowFeed::start(Duration::from_millis(300)).await,
        )
    });
    let mut through = direct.clone();
    through.set_port(Some(proxy.port)).unwrap();
    let feed_url = feed.url.clone();
    let env = [
        ("IMPORT_SOURCE_NAME", "slow-feed"),
        ("IMPORT_SOURCE_URL", feed_url.as_str()),
        ("IMPORT_SOURCE_FORMAT", "json"),
        ("IMPORT_HEARTBEAT_INTERVAL", "1s"),
        ("IMPORT_LEASE", "30s"),
    ];
    let service = Service::start(dir.path(), through.as_str(), &env);
    rt.block_on(async {
        service.wait_ready().await;
        let id = service.trigger("slow-feed").await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        proxy.cut().await;

        let started = Instant::now();
        let mut saw_not_ready = false;
        let mut saw_503 = false;
        while started.elapsed() < Duration::from_secs(9) {
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
                recovered.elapsed() < Duration::from_secs(20),
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
