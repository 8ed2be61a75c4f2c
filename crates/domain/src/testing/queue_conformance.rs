//! The conformance suite of [`RunQueue`], run by every implementation through
//! [`run_queue_conformance!`](crate::run_queue_conformance) against a fresh store.

use chrono::{DateTime, Duration, Utc};

use super::conformance::t0;
use crate::{JobName, QueuedRun, RunLimits, RunQueue};

/// Gives a test its run queue.
pub trait QueueFixture {
    /// The queue under test.
    fn queue(&self) -> &dyn RunQueue;
}

impl QueueFixture for super::InMemoryRunQueue {
    fn queue(&self) -> &dyn RunQueue {
        self
    }
}

/// Expands to one `#[test]` per run-queue conformance case (see
/// [`execution_store_conformance!`](crate::execution_store_conformance) for the arguments).
#[macro_export]
macro_rules! run_queue_conformance {
    (run = $run:path, store = $make:expr) => {
        $crate::run_queue_conformance!(@cases $run, $make;
            turns_go_in_order_of_due_time_across_instances,
            concurrent_turns_never_grant_more_than_the_limit,
            runs_not_said_again_are_dropped, an_ended_turn_is_free_and_its_tick_not_run_again);
    };
    (@cases $run:path, $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $run(async {
                    let Some(fixture) = $make.await else { return };
                    let queue = $crate::testing::queue_conformance::QueueFixture::queue(&fixture);
                    $crate::testing::queue_conformance::$case(queue).await;
                });
            }
        )*
    };
}

fn at(seconds: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(seconds)
}

/// `job`'s run of the tick at `due` seconds, said by `instance` at `seen`.
pub fn queued(job: &str, due: i64, seen: i64, instance: &str) -> QueuedRun {
    QueuedRun {
        job_name: JobName::parse(job).expect("a job name"),
        tick: Some(at(due)),
        due_at: at(due),
        host: Some("https://feeds.test".to_owned()),
        granted_at: None,
        ended_at: None,
        seen_at: at(seen),
        instance_id: instance.to_owned(),
    }
}

fn granted(queue: &[QueuedRun]) -> Vec<&str> {
    let mut names: Vec<&str> = queue
        .iter()
        .filter(|r| r.is_granted())
        .map(|r| r.job_name.as_str())
        .collect();
    names.sort_unstable();
    names
}

const ONE: RunLimits = RunLimits {
    overall: Some(1),
    per_host: None,
};

/// Instance A's earliest run goes first; B's run, due before A's second, goes next.
pub async fn turns_go_in_order_of_due_time_across_instances(queue: &dyn RunQueue) {
    let a = [queued("a-1", 1, 10, "a"), queued("a-2", 3, 10, "a")];
    let after_a = queue.take_turns(&a, &ONE, at(10)).await.unwrap();
    assert_eq!(granted(&after_a), ["a-1"]);
    let after_b = queue
        .take_turns(&[queued("b-1", 2, 11, "b")], &ONE, at(11))
        .await
        .unwrap();
    assert_eq!(granted(&after_b), ["a-1"], "the limit is reached");
    assert_eq!(after_b.len(), 3);
    queue
        .end_turn(&JobName::parse("a-1").unwrap(), Some(at(1)), at(12))
        .await
        .unwrap();
    let next = queue.take_turns(&a[1..], &ONE, at(12)).await.unwrap();
    assert_eq!(
        granted(&next),
        ["b-1"],
        "due before a-2, although A takes the turn"
    );
    let stored = queue.run_queue().await.unwrap();
    let b = stored
        .iter()
        .find(|r| r.job_name.as_str() == "b-1")
        .unwrap();
    assert_eq!(b.granted_at, Some(at(12)));
    assert_eq!(b.host.as_deref(), Some("https://feeds.test"));
    assert_eq!(b.instance_id, "b");
}

/// Ten instances taking turns at once, each for a job of its own: three are granted.
pub async fn concurrent_turns_never_grant_more_than_the_limit(queue: &dyn RunQueue) {
    let limits = RunLimits {
        overall: Some(3),
        per_host: None,
    };
    let runs: Vec<QueuedRun> = (0..10)
        .map(|i| queued(&format!("job-{i}"), i, 20, &format!("i{i}")))
        .collect();
    let turns = runs
        .iter()
        .map(|r| queue.take_turns(std::slice::from_ref(r), &limits, at(20)));
    for result in futures::future::join_all(turns).await {
        result.unwrap();
    }
    let stored = queue.run_queue().await.unwrap();
    assert_eq!(stored.len(), 10);
    assert_eq!(stored.iter().filter(|r| r.is_granted()).count(), 3);
}

/// A run nobody said again for the stale time (its instance died) leaves the queue, turn and
/// all.
pub async fn runs_not_said_again_are_dropped(queue: &dyn RunQueue) {
    queue
        .take_turns(&[queued("dead", 0, 0, "gone")], &ONE, at(0))
        .await
        .unwrap();
    let later = at(0) + crate::QUEUE_STALE_AFTER;
    let now = queue
        .take_turns(&[queued("alive", 1, 30, "b")], &ONE, later)
        .await
        .unwrap();
    assert_eq!(
        granted(&now),
        ["alive"],
        "the dead instance's turn is free again"
    );
    assert_eq!(now.len(), 1);
}

/// An ended turn frees its place; an instance that waited for the same tick does not wait
/// again, a newer tick of the job queues anew; ending another tick changes nothing.
pub async fn an_ended_turn_is_free_and_its_tick_not_run_again(queue: &dyn RunQueue) {
    let job = JobName::parse("job").unwrap();
    queue
        .take_turns(&[queued("job", 5, 5, "a")], &ONE, at(5))
        .await
        .unwrap();
    queue.end_turn(&job, Some(at(4)), at(6)).await.unwrap();
    assert_eq!(
        granted(&queue.run_queue().await.unwrap()),
        ["job"],
        "another tick"
    );
    queue.end_turn(&job, Some(at(5)), at(6)).await.unwrap();
    let ended = queue.run_queue().await.unwrap();
    assert_eq!(ended[0].ended_at, Some(at(6)));
    let again = queue
        .take_turns(
            &[queued("job", 5, 7, "b"), queued("other", 6, 7, "b")],
            &ONE,
            at(7),
        )
        .await
        .unwrap();
    let row = again.iter().find(|r| r.job_name == job).unwrap();
    assert_eq!(
        row.ended_at,
        Some(at(6)),
        "the tick was run: not queued again"
    );
    assert_eq!(granted(&again), ["other"], "its turn is free");
    let newer = queue
        .take_turns(&[queued("job", 9, 9, "b")], &ONE, at(9))
        .await
        .unwrap();
    let row = newer.iter().find(|r| r.job_name == job).unwrap();
    assert!(row.is_waiting() && row.tick == Some(at(9)), "{row:?}");
}
