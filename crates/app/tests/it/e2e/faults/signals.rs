//! A second SIGTERM once the first was received, while an import runs (SQLite) and the
//! shutdown grace would let it go on: the process exits 130 within about a second, and the
//! run is recorded FAILED "interrupted: forced shutdown" with its counts so far.

use std::time::{Duration, Instant};

use propimport_domain::{ExecutionId, ExecutionStatus, ExecutionStore};
use propimport_persistence::{Database, DatabaseUrl, PoolOptions, SqlExecutionStore};

use super::super::support::{Service, SlowFeed};
use super::{Env, figures, ms};

const JOB: &str = "slow-feed";
/// How soon after the second signal the process must be gone.
const EXIT_BOUND: Duration = Duration::from_millis(1500);

#[test]
fn sqlite_second_sigterm_records_the_run_and_exits_130() {
    let rt = super::super::super::rt();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("signals.db").display());
    let feed = rt.block_on(SlowFeed::start(Duration::from_millis(400)));
    let env = Env::base()
        .source(JOB, &feed.url)
        .set("IMPORT_SHUTDOWN_GRACE_SECONDS", "30");
    let mut service = Service::start(dir.path(), &url, &env.pairs());
    let id = rt.block_on(async {
        service.wait_ready().await;
        let id = service.trigger(JOB).await;
        service.wait_progress(&id, 2).await;
        id
    });
    service.signal("TERM");
    // The second signal comes once the first was received (its log line), whatever the load.
    let first = Instant::now();
    while !service.stderr().contains("received, shutting down") {
        assert!(
            first.elapsed() < Duration::from_secs(30),
            "the first SIGTERM was not received within 30 s\n{}",
            service.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = Instant::now();
    service.signal("TERM");
    let exit = service.wait_exit(Duration::from_secs(15));
    let took = second.elapsed();
    let log = service.stderr();
    figures::record(
        "double_sigterm",
        &[
            ("exit_after_second_signal_ms", ms(took)),
            ("bound_ms", ms(EXIT_BOUND)),
        ],
    );
    let exit =
        exit.unwrap_or_else(|| panic!("still running {took:?} after the second SIGTERM\n{log}"));
    assert_eq!(exit.code(), Some(130), "exit {exit:?}\n{log}");
    assert!(
        took <= EXIT_BOUND,
        "exited {took:?} after the second signal\n{log}"
    );

    let run = rt.block_on(async {
        let db = Database::connect(&DatabaseUrl::parse(&url).unwrap(), PoolOptions::default())
            .await
            .unwrap();
        let store = SqlExecutionStore::new(db.clone());
        let run = store
            .get(&ExecutionId::parse(&id).unwrap())
            .await
            .unwrap()
            .expect("the run's row");
        db.close();
        run
    });
    assert_eq!(run.status, ExecutionStatus::Failed, "{run:?}\n{log}");
    assert_eq!(
        run.last_error.as_deref(),
        Some("interrupted: forced shutdown"),
        "{run:?}\n{log}"
    );
    let completed = run.completed_at.expect("completedAt");
    assert!(completed >= run.started_at, "{run:?}");
    assert_eq!(
        run.duration_ms,
        Some((completed - run.started_at).num_milliseconds()),
        "{run:?}"
    );
    assert!(
        run.counts.total_properties >= 2,
        "its counts so far are kept: {run:?}"
    );
    assert!(
        run.counts.total_properties < i64::try_from(SlowFeed::records()).unwrap(),
        "it was still going: {run:?}"
    );
}
