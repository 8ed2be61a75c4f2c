//! The limit of runs at once through a run queue: scheduled runs beyond it wait their turn in
//! order of due time and start when a turn frees up, on one instance or two sharing the
//! queue; the status says which jobs wait and how many are ahead; manual runs take a turn at
//! once.

use std::sync::Arc;
use std::time::Duration;

use propimport_domain::testing::InMemoryRunQueue;
use propimport_domain::{
    Clock, ExecutionStatus, ExecutionStore, HistoryQuery, PageLimit, RunLimits, RunQueue,
    TriggeredBy,
};
use propimport_scheduler::{
    AlertSettings, Alerts, CronSchedule, MisfirePolicy, RunSettings, ScheduledJob, Scheduler,
    SchedulerSettings, TokioClock, TrackedRunner,
};
use tokio::sync::Semaphore;

use crate::support::{Behaviour, Harness, TestJob, at, counts};

fn minutely() -> Option<CronSchedule> {
    Some(CronSchedule::parse("0 * * * * *", "UTC").unwrap())
}

fn settings() -> SchedulerSettings {
    SchedulerSettings {
        misfire: MisfirePolicy::Skip,
        ..Default::default()
    }
}

/// Each job's gate: a permit ends its run (a permit is given back when a run ends, so one
/// gate per job).
#[derive(Default)]
struct Gates(std::collections::HashMap<String, Arc<Semaphore>>);

impl Gates {
    fn job(&mut self, name: &str) -> ScheduledJob {
        let gate = self
            .0
            .entry(name.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(0)));
        ScheduledJob {
            job: TestJob::new(
                name,
                Behaviour::Block {
                    progress: counts(1, 1, 0, 0),
                    release: gate.clone(),
                },
            ),
            schedule: minutely(),
        }
    }

    fn open(&self, name: &str) {
        self.0[name].add_permits(1);
    }
}

async fn running(h: &Harness) -> Vec<String> {
    let mut names: Vec<String> = h
        .store
        .running(None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.job_name.to_string())
        .collect();
    names.sort();
    names
}

const TWO: RunLimits = RunLimits {
    overall: Some(2),
    per_host: None,
};

#[tokio::test(start_paused = true)]
async fn runs_beyond_the_limit_wait_their_turn_in_order() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 30));
    let mut gates = Gates::default();
    let jobs = ["d", "b", "a", "c"].iter().map(|n| gates.job(n)).collect();
    let queue = Arc::new(InMemoryRunQueue::new());
    let handle = Scheduler::new(h.runner.clone(), jobs, settings())
        .with_run_queue(queue.clone(), TWO)
        .start()
        .await;
    tokio::time::sleep(Duration::from_millis(31_000)).await;
    assert_eq!(
        running(&h).await,
        ["a", "b"],
        "two turns, by due time then name"
    );
    let status = handle.status().await.unwrap();
    let waiting: Vec<(String, usize)> = status
        .iter()
        .filter_map(|s| s.waiting.map(|w| (s.job_name.to_string(), w.ahead)))
        .collect();
    assert_eq!(waiting, [("d".to_owned(), 1), ("c".to_owned(), 0)]);
    let overview = handle.overview().await.unwrap();
    assert_eq!(overview.iter().filter(|o| o.waiting).count(), 2);

    // One run ends: the next in order starts within a turn.
    gates.open("a");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(running(&h).await, ["b", "c"]);
    for name in ["b", "c", "d"] {
        gates.open(name);
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert!(running(&h).await.is_empty());
    handle.shutdown(Duration::from_secs(5)).await;

    let q = HistoryQuery {
        limit: PageLimit::new(100).unwrap(),
        ..Default::default()
    };
    let runs = h.store.history(&q).await.unwrap().executions;
    assert_eq!(runs.len(), 4, "each job ran its tick once");
    for e in &runs {
        assert_eq!(e.status, ExecutionStatus::Success);
        assert_eq!(e.scheduled_for, Some(at(2025, 6, 1, 0, 1, 0)));
    }
    let d = runs.iter().find(|e| e.job_name.as_str() == "d").unwrap();
    assert!(
        d.started_at > at(2025, 6, 1, 0, 1, 0),
        "its lateness is recorded: {d:?}"
    );
    let rows = queue.run_queue().await.unwrap();
    assert!(
        rows.iter().all(|r| r.ended_at.is_some()),
        "every turn ended: {rows:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn two_instances_share_the_limit_and_run_each_tick_once() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 30));
    let mut gates = Gates::default();
    let clock = Arc::new(TokioClock::starting_at(at(2025, 6, 1, 0, 0, 30)));
    let second_runner = Arc::new(TrackedRunner::new(
        h.flaky.clone() as Arc<dyn ExecutionStore>,
        clock as Arc<dyn Clock>,
        Arc::new(Alerts::new(AlertSettings::default(), None)),
        RunSettings {
            instance_id: "test:2".into(),
            ..RunSettings::default()
        },
    ));
    let queue: Arc<dyn RunQueue> = Arc::new(InMemoryRunQueue::new());
    let names = ["a", "b", "c", "d", "e"];
    let mut jobs = |_: usize| names.iter().map(|n| gates.job(n)).collect::<Vec<_>>();
    let one = RunLimits {
        overall: Some(1),
        per_host: None,
    };
    let first = Scheduler::new(h.runner.clone(), jobs(1), settings())
        .with_run_queue(queue.clone(), one)
        .start()
        .await;
    let second = Scheduler::new(second_runner, jobs(2), settings())
        .with_run_queue(queue.clone(), one)
        .start()
        .await;
    tokio::time::sleep(Duration::from_millis(30_600)).await;
    for name in names {
        assert_eq!(
            running(&h).await,
            [name],
            "one run at a time across both, in order"
        );
        gates.open(name);
        tokio::time::sleep(Duration::from_millis(1_200)).await;
    }
    assert!(running(&h).await.is_empty());
    first.shutdown(Duration::from_secs(5)).await;
    second.shutdown(Duration::from_secs(5)).await;
    let q = HistoryQuery {
        limit: PageLimit::new(100).unwrap(),
        ..Default::default()
    };
    let mut ran: Vec<String> = h
        .store
        .history(&q)
        .await
        .unwrap()
        .executions
        .into_iter()
        .map(|e| e.job_name.to_string())
        .collect();
    ran.sort();
    assert_eq!(ran, names, "each tick ran once");
}

#[tokio::test(start_paused = true)]
async fn a_manual_run_takes_a_turn_at_once() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 30));
    let mut gates = Gates::default();
    let queue = Arc::new(InMemoryRunQueue::new());
    let one = RunLimits {
        overall: Some(1),
        per_host: None,
    };
    let handle = Scheduler::new(
        h.runner.clone(),
        vec![gates.job("cron"), gates.job("manual")],
        settings(),
    )
    .with_run_queue(queue.clone(), one)
    .start()
    .await;
    let name = propimport_domain::JobName::parse("manual").unwrap();
    handle.trigger(Some(&name), TriggeredBy::Api).await.unwrap();
    tokio::time::sleep(Duration::from_millis(30_600)).await;
    assert_eq!(
        running(&h).await,
        ["manual"],
        "the tick waits for the manual run's turn"
    );
    gates.open("manual");
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(running(&h).await, ["cron"]);
    gates.open("cron");
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    handle.shutdown(Duration::from_secs(5)).await;
}
