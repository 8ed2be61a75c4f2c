//! Jobs changed while the scheduler runs (`set_jobs`): added jobs tick from then on, changed
//! ones on their new schedule, removed ones stop; a job added after one of its ticks is not
//! late for it.

use std::collections::HashMap;
use std::time::Duration;

use propimport_domain::{
    ExecutionStore, HistoryQuery, JobName, PageLimit, TriggerRefusal, TriggeredBy,
};
use propimport_scheduler::{
    CronSchedule, JobChanges, MisfirePolicy, ScheduledJob, Scheduler, SchedulerSettings,
};

use crate::support::{Behaviour, Harness, TestJob, at, counts};

fn schedule(expression: &str) -> Option<CronSchedule> {
    Some(CronSchedule::parse(expression, "UTC").unwrap())
}

/// The ticks each job ran, in order.
async fn ticks(h: &Harness) -> HashMap<String, Vec<u32>> {
    let q = HistoryQuery {
        limit: PageLimit::new(100).unwrap(),
        ..Default::default()
    };
    let mut runs = h.store.history(&q).await.unwrap().executions;
    runs.reverse();
    let mut by_job: HashMap<String, Vec<u32>> = HashMap::new();
    for e in runs {
        let second = e.scheduled_for.map_or(99, |t| {
            u32::try_from((t - at(2025, 6, 1, 0, 0, 0)).num_seconds()).unwrap()
        });
        by_job
            .entry(e.job_name.to_string())
            .or_default()
            .push(second);
    }
    by_job
}

#[tokio::test(start_paused = true)]
async fn jobs_added_changed_and_removed_while_ticking() {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 0));
    let a = TestJob::new("a", Behaviour::Report(counts(1, 1, 0, 0)));
    let b = TestJob::new("b", Behaviour::Report(counts(1, 1, 0, 0)));
    let job_a = ScheduledJob {
        job: a.clone(),
        schedule: schedule("* * * * * *"),
    };
    let settings = SchedulerSettings {
        misfire: MisfirePolicy::Skip,
        ..Default::default()
    };
    let handle = Scheduler::new(h.runner.clone(), vec![job_a.clone()], settings)
        .start()
        .await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let added = handle.set_jobs(
        vec![
            job_a.clone(),
            ScheduledJob {
                job: b.clone(),
                schedule: schedule("* * * * * *"),
            },
        ],
        HashMap::new(),
    );
    assert_eq!(
        added,
        JobChanges {
            added: 1,
            changed: 0,
            removed: 0
        }
    );
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    let changed = handle.set_jobs(
        vec![ScheduledJob {
            job: b.clone(),
            schedule: schedule("*/2 * * * * *"),
        }],
        HashMap::new(),
    );
    assert_eq!(
        changed,
        JobChanges {
            added: 0,
            changed: 1,
            removed: 1
        }
    );
    assert_eq!(handle.jobs(), vec![JobName::parse("b").unwrap()]);
    let refused = handle
        .trigger(Some(&JobName::parse("a").unwrap()), TriggeredBy::Api)
        .await;
    assert!(
        matches!(refused, Err(TriggerRefusal::UnknownJob { .. })),
        "{refused:?}"
    );
    tokio::time::sleep(Duration::from_millis(4_000)).await;
    assert!(handle.is_running(), "every loop is alive");
    handle.shutdown(Duration::from_secs(5)).await;
    let ran = ticks(&h).await;
    assert_eq!(ran["a"], [1, 2, 3, 4, 5], "a stops when removed");
    assert_eq!(
        ran["b"],
        [3, 4, 5, 6, 8],
        "b ticks from its addition, then every 2 s"
    );
}

#[tokio::test(start_paused = true)]
async fn a_job_added_after_its_tick_is_not_late_for_it() {
    let h = Harness::new(at(2025, 5, 31, 23, 59, 0));
    let settings = SchedulerSettings {
        misfire: MisfirePolicy::Skip,
        lease: chrono::Duration::seconds(20),
        late_after: Some(chrono::Duration::minutes(5)),
        ..Default::default()
    };
    let handle = Scheduler::new(h.runner.clone(), Vec::new(), settings)
        .start()
        .await;
    // 00:20: a job whose last tick (00:00) passed before it was added.
    tokio::time::sleep(Duration::from_secs(21 * 60)).await;
    handle.set_jobs(
        vec![ScheduledJob {
            job: TestJob::new("hourly", Behaviour::Report(counts(1, 1, 0, 0))),
            schedule: schedule("0 * * * *"),
        }],
        HashMap::new(),
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    let overview = handle.overview().await.unwrap();
    assert_eq!(overview.len(), 1);
    assert!(!overview[0].late, "its 00:00 tick was before it existed");
    assert!(overview[0].is_scheduled);
    assert_eq!(overview[0].next_run, Some(at(2025, 6, 1, 1, 0, 0)));
    handle.shutdown(Duration::from_secs(5)).await;
}
