//! Conformance cases for the attempts of a tick: retries of a failed scheduled run.

use chrono::Duration;

use super::{finish_with, job, new_run, t0};
use crate::{Error, Execution, ExecutionStatus, ExecutionStore, JobName, RunCounts, TriggeredBy};

async fn attempt_of(
    store: &dyn ExecutionStore,
    j: &JobName,
    minutes: i64,
    attempt: i32,
    status: ExecutionStatus,
) -> Execution {
    let tick = t0();
    let mut new = new_run(j, tick + Duration::minutes(minutes), TriggeredBy::Cron);
    new.scheduled_for = Some(tick);
    new.attempt = attempt;
    let created = store.create_running(new).await.expect("create");
    assert_eq!(created.attempt, attempt);
    let done = store
        .finish(
            &created.id,
            finish_with(
                status,
                tick + Duration::minutes(minutes) + Duration::seconds(1),
                RunCounts::default(),
            ),
        )
        .await
        .expect("finish");
    done.execution
}

/// Each attempt of a tick is its own execution, claimed once; the attempt is stored and read
/// back, and a tick with any attempt counts as claimed.
pub async fn tick_attempts_are_claimed_once(store: &dyn ExecutionStore) {
    let j = job("attempts");
    let tick = t0();
    let first = attempt_of(store, &j, 0, 1, ExecutionStatus::Failed).await;
    assert!(store.tick_claimed(&j, tick).await.expect("claimed?"));
    let second = attempt_of(store, &j, 5, 2, ExecutionStatus::Failed).await;
    let read = store.get(&second.id).await.expect("get").expect("found");
    assert_eq!(read.attempt, 2);
    assert_eq!(read.scheduled_for, Some(tick));
    assert_eq!(
        store.get(&first.id).await.expect("get").map(|e| e.attempt),
        Some(1)
    );
    let mut again = new_run(&j, tick + Duration::minutes(9), TriggeredBy::Cron);
    again.scheduled_for = Some(tick);
    again.attempt = 2;
    assert_eq!(
        store.create_running(again).await,
        Err(Error::TickAlreadyClaimed {
            job_name: j.clone(),
            scheduled_for: tick
        }),
        "one execution per tick and attempt"
    );
    let manual = store
        .create_running(new_run(&j, tick + Duration::minutes(10), TriggeredBy::Api))
        .await
        .expect("manual run");
    assert_eq!(manual.attempt, 1);
}

/// The failure count counts failed ticks: a FAILED retry keeps the previous run's count, a
/// FAILED first attempt adds one, SUCCESS and PARTIAL reset it.
pub async fn failed_retries_keep_the_failure_count(store: &dyn ExecutionStore) {
    use ExecutionStatus::{Failed, Success};
    let j = job("retried");
    let one = attempt_of(store, &j, 0, 1, Failed).await;
    assert_eq!(one.consecutive_failures, 1);
    let two = attempt_of(store, &j, 5, 2, Failed).await;
    assert_eq!(two.consecutive_failures, 1, "a failed retry adds nothing");
    let three = attempt_of(store, &j, 35, 3, Failed).await;
    assert_eq!(three.consecutive_failures, 1);
    let mut next = new_run(&j, t0() + Duration::hours(1), TriggeredBy::Cron);
    next.scheduled_for = Some(t0() + Duration::hours(1));
    let next = store.create_running(next).await.expect("next tick");
    let next = store
        .finish(
            &next.id,
            finish_with(Failed, t0() + Duration::minutes(61), RunCounts::default()),
        )
        .await
        .expect("finish");
    assert_eq!(
        next.execution.consecutive_failures, 2,
        "the next tick adds one"
    );
    let mut retry = new_run(&j, t0() + Duration::minutes(70), TriggeredBy::Cron);
    retry.scheduled_for = Some(t0() + Duration::hours(1));
    retry.attempt = 2;
    let retry = store.create_running(retry).await.expect("retry");
    let retry = store
        .finish(
            &retry.id,
            finish_with(Success, t0() + Duration::minutes(71), RunCounts::default()),
        )
        .await
        .expect("finish");
    assert_eq!(retry.previous_consecutive_failures, 2);
    assert_eq!(retry.execution.consecutive_failures, 0, "a success resets");
}
