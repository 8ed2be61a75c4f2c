//! Every database wait is bounded by `DATABASE_TIMEOUT`: against a PostgreSQL behind a proxy
//! that black-holes (a frozen server) or refuses (a server that is down), store calls fail
//! with `Unavailable` within the timeout and a second, and the same `Database` works again
//! once the server answers.

use std::time::{Duration, Instant};

use chrono::Utc;
use propimport_domain::testing::listing_conformance::listing;
use propimport_domain::{
    Error, ExecutionId, ExecutionStore as _, JobName, ListingRecord, ListingStore as _,
    NewExecution, StatisticsQuery, TriggeredBy, WindowDays,
};
use propimport_persistence::testing::{TestDatabase, execute_bounded, pg_setting, pool_size};
use propimport_persistence::{
    Database, DatabaseUrl, PoolOptions, SqlExecutionStore, SqlListingStore,
};

use super::proxy::{Mode, Proxy};

const TIMEOUT: Duration = Duration::from_secs(1);

/// A database behind a proxy, with its stores (no read cache).
struct Proxied {
    proxy: Proxy,
    db: Database,
    executions: SqlExecutionStore,
    listings: SqlListingStore,
    _test_db: TestDatabase,
}

/// `url` with its `host:port` replaced by `addr`, and the `host:port` it named.
fn through(url: &str, addr: std::net::SocketAddr) -> (String, String) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let path_at = rest.find('/').unwrap_or(rest.len());
    let host_at = rest[..path_at].rfind('@').map_or(0, |i| i + 1);
    let upstream = rest[host_at..path_at].to_owned();
    let proxied = format!(
        "{}{}{addr}{}",
        &url[..after_scheme],
        &rest[..host_at],
        &rest[path_at..]
    );
    (proxied, upstream)
}

async fn proxied() -> Option<Proxied> {
    let test_db = TestDatabase::postgres().await?;
    let DatabaseUrl::Postgres(url) = test_db.database().url().clone() else {
        unreachable!("a PostgreSQL test database");
    };
    let (_, upstream) = through(&url, "127.0.0.1:1".parse().unwrap());
    let proxy = Proxy::start(upstream).await;
    let (proxied_url, _) = through(&url, proxy.addr());
    let options = PoolOptions::default().with_timeout(TIMEOUT);
    let db = Database::connect(&DatabaseUrl::Postgres(proxied_url), options)
        .await
        .expect("connect through the proxy");
    Some(Proxied {
        proxy,
        executions: SqlExecutionStore::with_read_cache_ttl(db.clone(), Duration::ZERO),
        listings: SqlListingStore::new(db.clone()),
        db,
        _test_db: test_db,
    })
}

fn new_run(job: &str) -> NewExecution {
    NewExecution {
        id: ExecutionId::new(),
        job_name: JobName::parse(job).unwrap(),
        triggered_by: TriggeredBy::Manual,
        started_at: Utc::now(),
        scheduled_for: None,
        attempt: 1,
        instance_id: None,
    }
}

/// Asserts a timeout error that names the setting and came within the timeout and a second.
fn assert_timed_out<T: std::fmt::Debug>(what: &str, result: Result<T, Error>, took: Duration) {
    eprintln!("{what}: {result:?} after {took:?}");
    let Err(Error::Unavailable { message, .. }) = &result else {
        panic!("{what}: expected Unavailable, got {result:?}");
    };
    assert!(
        message.contains("did not answer within 1 s") && message.contains("DATABASE_TIMEOUT"),
        "{what}: {message}"
    );
    assert!(
        took >= TIMEOUT - Duration::from_millis(50),
        "{what}: {took:?}"
    );
    assert!(took < TIMEOUT + Duration::from_secs(1), "{what}: {took:?}");
}

async fn timed<T>(call: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let value = call.await;
    (value, started.elapsed())
}

#[test]
fn calls_to_a_frozen_database_fail_within_the_timeout_and_then_recover() {
    super::run(async {
        let Some(p) = proxied().await else { return };
        let source = JobName::parse("feed").unwrap();
        let batch = [ListingRecord::new(listing("A", 100), |_| "h-A".to_owned())];
        p.listings.count_active(&source).await.unwrap();
        assert_eq!(pg_setting(&p.db, "statement_timeout").await.unwrap(), "1s");

        p.proxy.set(Mode::BlackHole);
        let (read, took) = timed(p.listings.count_active(&source)).await;
        assert_timed_out("a read", read, took);
        let (write, took) = timed(p.executions.create_running(new_run("job-a"))).await;
        assert_timed_out("an insert", write, took);
        let (upsert, took) = timed(p.listings.upsert_batch(&source, &batch, Utc::now())).await;
        assert_timed_out("a chunk upsert", upsert, took);
        let query = StatisticsQuery {
            days: WindowDays::DEFAULT,
            job_name: None,
            now: Utc::now(),
        };
        let (snapshot, took) = timed(p.executions.statistics(&query)).await;
        assert_timed_out("a snapshot read", snapshot, took);
        let (migrate, took) = timed(p.db.migrate()).await;
        eprintln!("migrate: {migrate:?} after {took:?}");
        let message = migrate.unwrap_err().to_string();
        assert!(message.contains("DATABASE_TIMEOUT"), "{message}");
        assert!(took < TIMEOUT + Duration::from_secs(1), "migrate: {took:?}");

        p.proxy.set(Mode::Forward);
        assert_eq!(p.listings.count_active(&source).await.unwrap(), 0);
        p.executions.create_running(new_run("job-b")).await.unwrap();
        p.listings
            .upsert_batch(&source, &batch, Utc::now())
            .await
            .unwrap();
        assert_eq!(p.listings.count_active(&source).await.unwrap(), 1);
        p.db.close();
    });
}

#[test]
fn a_connection_abandoned_mid_statement_is_closed_not_reused() {
    super::run(async {
        let Some(p) = proxied().await else { return };
        execute_bounded(&p.db, "SELECT 1").await.unwrap();
        assert_eq!(pool_size(&p.db), 1);

        // The statement is sent, then the server freezes before its answer comes back.
        let db = p.db.clone();
        let call =
            tokio::spawn(async move { timed(execute_bounded(&db, "SELECT pg_sleep(3)")).await });
        tokio::time::sleep(Duration::from_millis(150)).await;
        p.proxy.set(Mode::BlackHole);
        let (result, took) = call.await.unwrap();
        assert_timed_out("a statement", result, took);
        assert_eq!(
            pool_size(&p.db),
            0,
            "the abandoned connection left the pool"
        );

        p.proxy.set(Mode::Forward);
        execute_bounded(&p.db, "SELECT 1").await.unwrap();
        assert_eq!(pool_size(&p.db), 1);
        p.db.close();
    });
}

#[test]
fn calls_to_a_refusing_database_fail_at_once_and_then_recover() {
    super::run(async {
        let Some(p) = proxied().await else { return };
        let source = JobName::parse("feed").unwrap();
        p.listings.count_active(&source).await.unwrap();
        let before = p.proxy.accepted();

        p.proxy.set(Mode::Refuse);
        let (read, took) = timed(p.listings.count_active(&source)).await;
        eprintln!("refused read: {read:?} after {took:?}");
        assert!(matches!(read, Err(Error::Unavailable { .. })), "{read:?}");
        assert!(took < TIMEOUT, "{took:?}");
        let (write, _) = timed(p.executions.create_running(new_run("job-a"))).await;
        assert!(matches!(write, Err(Error::Unavailable { .. })), "{write:?}");

        p.proxy.set(Mode::Forward);
        let mut recovered = p.listings.count_active(&source).await;
        for _ in 0..50 {
            if recovered.is_ok() {
                break;
            }
            // The proxy listens again within milliseconds; until then connects are refused.
            tokio::time::sleep(Duration::from_millis(20)).await;
            recovered = p.listings.count_active(&source).await;
        }
        assert_eq!(recovered.unwrap(), 0);
        p.executions.create_running(new_run("job-b")).await.unwrap();
        assert!(p.proxy.accepted() > before);
        p.db.close();
    });
}

#[test]
fn connecting_to_a_frozen_database_fails_within_the_timeout() {
    super::run(async {
        let Some(p) = proxied().await else { return };
        p.proxy.set(Mode::BlackHole);
        let url = p.db.url().clone();
        let options = PoolOptions::default().with_timeout(TIMEOUT);
        let (connected, took) = timed(Database::connect(&url, options)).await;
        eprintln!("connect: {connected:?} after {took:?}");
        let message = connected.unwrap_err().to_string();
        assert!(message.contains("DATABASE_TIMEOUT"), "{message}");
        assert!(took < TIMEOUT + Duration::from_secs(1), "{took:?}");
        p.db.close();
    });
}

#[test]
fn rewrites_the_server_address() {
    let addr = "127.0.0.1:7000".parse().unwrap();
    assert_eq!(
        through("postgres://u:p@db.example:5432/x?sslmode=disable", addr),
        (
            "postgres://u:p@127.0.0.1:7000/x?sslmode=disable".to_owned(),
            "db.example:5432".to_owned()
        )
    );
    assert_eq!(
        through("postgres://127.0.0.1:5432/x", addr).1,
        "127.0.0.1:5432"
    );
}
