//! The limit of runs at once on the real binary: two replicas on one PostgreSQL, four sources
//! every second and `IMPORT_MAX_CONCURRENT_RUNS=1`: sampled every 20 ms, never more than one
//! run at once across both, every tick at most once, the runs going on, `/status` saying
//! which jobs wait, and `/metrics` timing the waits.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use propimport_domain::{ExecutionStatus, ExecutionStore};
use propimport_persistence::testing::TestDatabase;

use super::records::all_executions;
use super::support::{Service, workspace_root};

#[test]
fn postgres_two_replicas_never_run_more_than_the_limit() {
    let rt = super::super::rt();
    let Some(db) = rt.block_on(TestDatabase::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = super::support::url_of(&db);
    let feed = workspace_root().join("examples/feeds/costa-blanca.kyero.xml");
    let sources = dir.path().join("sources.toml");
    let text: String = (1..=4)
        .map(|i| {
            format!(
                "[[sources]]\nname = \"limited-{i}\"\nurl = \"{}\"\nformat = \"kyero\"\nschedule = \"* * * * * *\"\n\n",
                feed.display()
            )
        })
        .collect();
    std::fs::write(&sources, text).unwrap();
    let sources = sources.display().to_string();
    let env = [
        ("IMPORT_SOURCES_FILE", sources.as_str()),
        ("IMPORT_MAX_CONCURRENT_RUNS", "1"),
        ("IMPORT_MISFIRE_POLICY", "skip"),
    ];
    let a = Service::start(dir.path(), &url, &env);
    let b = Service::start(dir.path(), &url, &env);
    let store = db.executions();
    rt.block_on(async {
        a.wait_ready().await;
        b.wait_ready().await;
        let started = Instant::now();
        let mut most = 0;
        let mut saw_waiting = false;
        let mut samples = 0;
        while started.elapsed() < Duration::from_secs(8) {
            let running = store.running(None).await.unwrap().len();
            most = most.max(running);
            samples += 1;
            if samples % 25 == 0 {
                let (_, status) = a.get("/api/v1/admin/import-jobs/status").await;
                saw_waiting |= status["data"]["jobs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|j| j["waiting"].is_object());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(most <= 1, "{most} runs at once with a limit of 1");
        assert!(
            saw_waiting,
            "/status never showed a job waiting for a run slot"
        );
        // Every-second ticks keep coming: wait (generously, on a loaded machine) for six
        // finished runs and for both replicas to have run some.
        let waited = Instant::now();
        let (runs, finished, instances) = loop {
            let runs = all_executions(store).await;
            let finished = runs
                .iter()
                .filter(|e| e.status == ExecutionStatus::Success)
                .count();
            let instances: std::collections::HashSet<_> =
                runs.iter().filter_map(|e| e.instance_id.clone()).collect();
            if (finished >= 6 && instances.len() == 2) || waited.elapsed() > Duration::from_secs(30)
            {
                break (runs, finished, instances);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert!(
            finished >= 6,
            "only {finished} runs finished in 38 s:\n{}",
            a.stderr()
        );
        let mut per_tick: HashMap<String, usize> = HashMap::new();
        for e in &runs {
            if let Some(tick) = e.scheduled_for {
                *per_tick
                    .entry(format!("{}@{tick}", e.job_name))
                    .or_default() += 1;
            }
        }
        assert!(
            per_tick.values().all(|n| *n == 1),
            "a tick ran twice: {per_tick:?}"
        );
        assert_eq!(instances.len(), 2, "both replicas ran some: {instances:?}");
        // Runs that waited for the slot are timed, in a described histogram.
        let text = super::metrics::metrics(&a).await;
        assert!(
            text.contains("# HELP propimport_queue_wait_seconds ")
                && text.contains("# TYPE propimport_queue_wait_seconds histogram")
                && text.contains("propimport_queue_wait_seconds_count "),
            "{text}"
        );
        eprintln!(
            "limit-figure: samples={samples} most_at_once={most} finished={finished} ticks={}",
            per_tick.len()
        );
    });
}
