//! The conformance suite of [`ExecutionStore`]: one async function per rule, run by every
//! implementation through [`execution_store_conformance!`](crate::execution_store_conformance)
//! against a fresh, empty store each.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::{
    AuditOutcome, AuditQuery, Error, ErrorLog, Execution, ExecutionId, ExecutionStatus,
    ExecutionStore, FinishExecution, HistoryQuery, ItemError, JobName, NewAuditEntry, NewExecution,
    PageLimit, Progress, RetentionPolicy, RunCounts, StatisticsQuery, TimeRange, TriggeredBy,
    WindowDays,
};

/// Gives a test its store; implemented by each backend's fixture (which may own a temp dir or a
/// database that it drops afterwards).
pub trait StoreFixture {
    /// The store under test.
    fn store(&self) -> &dyn ExecutionStore;
}

impl StoreFixture for super::InMemoryExecutionStore {
    fn store(&self) -> &dyn ExecutionStore {
        self
    }
}

/// Expands to one `#[test]` per conformance case. `run` is a function that drives a future to
/// completion (for example `futures::executor::block_on` or a Tokio runtime's `block_on`);
/// `store` is an expression giving a future of `Option<impl StoreFixture>`; `None` means the
/// backend is not available and the case returns (the fixture says so).
#[macro_export]
macro_rules! execution_store_conformance {
    (run = $run:path, store = $make:expr) => {
        $crate::execution_store_conformance!(@cases $run, $make;
            create_and_get, one_running_per_job, concurrent_creators_one_wins,
            tick_is_claimed_once, heartbeat_writes_progress, finish_records_the_outcome,
            consecutive_failures_per_job, last_is_newest, running_lists_in_progress,
            history_filters_combine, history_pagination_edges, history_aggregates,
            history_omits_error_lists, statistics_window_and_timeline, statistics_by_job,
            stale_runs_are_recovered, retention_purges_by_status, audit_log_pages);
    };
    (@cases $run:path, $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $run(async {
                    let Some(fixture) = $make.await else { return };
                    let store = $crate::testing::conformance::StoreFixture::store(&fixture);
                    $crate::testing::conformance::$case(store).await;
                });
            }
        )*
    };
}

/// The base time of every case: 2025-01-30T10:00:00Z.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 30, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

fn job(name: &str) -> JobName {
    JobName::parse(name).unwrap_or_else(|_| JobName::default_import())
}

fn new_run(job_name: &JobName, started_at: DateTime<Utc>, by: TriggeredBy) -> NewExecution {
    NewExecution {
        id: ExecutionId::new(),
        job_name: job_name.clone(),
        triggered_by: by,
        started_at,
        scheduled_for: None,
        instance_id: Some("test-instance".into()),
    }
}

fn counts(total: i64, success: i64, failed: i64, skipped: i64) -> RunCounts {
    RunCounts {
        total_properties: total,
        success_count: success,
        failed_count: failed,
        skipped_count: skipped,
    }
}

fn finish_with(
    status: ExecutionStatus,
    completed_at: DateTime<Utc>,
    c: RunCounts,
) -> FinishExecution {
    let mut errors = ErrorLog::default();
    if c.failed_count > 0 {
        errors.push(ItemError {
            external_id: Some("A-1".into()),
            stage: "map".into(),
            message: "price: not a number".into(),
        });
    }
    FinishExecution {
        status,
        completed_at,
        counts: c,
        errors,
        last_error: (status != ExecutionStatus::Success).then(|| format!("{status} run")),
        details: Some(serde_json::json!({"inserted": c.success_count})),
    }
}

/// Creates and finishes one run that took `duration_ms`.
async fn run(
    store: &dyn ExecutionStore,
    job_name: &JobName,
    started_at: DateTime<Utc>,
    status: ExecutionStatus,
    c: RunCounts,
    by: TriggeredBy,
) -> Execution {
    let created = store
        .create_running(new_run(job_name, started_at, by))
        .await
        .expect("create");
    let done = finish_with(
        status,
        started_at + Duration::milliseconds(1000 + c.total_properties),
        c,
    );
    store
        .finish(&created.id, done)
        .await
        .expect("finish")
        .execution
}

/// A created execution reads back as it was written.
pub async fn create_and_get(store: &dyn ExecutionStore) {
    let j = job("property_import");
    let mut new = new_run(&j, t0(), TriggeredBy::Cron);
    new.scheduled_for = Some(t0());
    let created = store.create_running(new.clone()).await.expect("create");
    assert_eq!(created, Execution::start(&new));
    let read = store.get(&new.id).await.expect("get").expect("found");
    assert_eq!(read, created);
    assert_eq!(read.status, ExecutionStatus::Running);
    assert_eq!(read.triggered_by, TriggeredBy::Cron);
    assert_eq!(read.instance_id.as_deref(), Some("test-instance"));
    assert_eq!(store.get(&ExecutionId::new()).await.expect("get"), None);
    store.ping().await.expect("ping");
}

/// A second run of a running job is refused with the running one's id; other jobs may run.
pub async fn one_running_per_job(store: &dyn ExecutionStore) {
    let j = job("a");
    let first = store
        .create_running(new_run(&j, t0(), TriggeredBy::Cron))
        .await
        .expect("first");
    let second = store
        .create_running(new_run(&j, t0(), TriggeredBy::Api))
        .await;
    assert_eq!(
        second,
        Err(Error::AlreadyRunning {
            job_name: j.clone(),
            execution_id: first.id
        })
    );
    store
        .create_running(new_run(&job("b"), t0(), TriggeredBy::Api))
        .await
        .expect("other job");
    store
        .finish(
            &first.id,
            finish_with(ExecutionStatus::Success, t0(), RunCounts::default()),
        )
        .await
        .expect("finish");
    store
        .create_running(new_run(&j, t0() + Duration::seconds(1), TriggeredBy::Api))
        .await
        .expect("after finish");
}

/// Twenty creators racing for one job: exactly one wins, the others learn its id.
pub async fn concurrent_creators_one_wins(store: &dyn ExecutionStore) {
    let j = job("race");
    let attempts = (0..20).map(|i| {
        store.create_running(new_run(
            &j,
            t0() + Duration::milliseconds(i),
            TriggeredBy::Api,
        ))
    });
    let results = futures::future::join_all(attempts).await;
    let winners: Vec<&Execution> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one creator wins: {results:?}");
    let winner = winners[0].id;
    for r in results.iter().filter(|r| r.is_err()) {
        assert_eq!(
            r,
            &Err(Error::AlreadyRunning {
                job_name: j.clone(),
                execution_id: winner
            })
        );
    }
    assert_eq!(store.running(Some(&j)).await.expect("running").len(), 1);
}

/// A tick has at most one execution, even after the first finished.
pub async fn tick_is_claimed_once(store: &dyn ExecutionStore) {
    let j = job("ticks");
    let tick = t0();
    assert!(!store.tick_claimed(&j, tick).await.expect("claimed?"));
    let mut new = new_run(&j, tick, TriggeredBy::Cron);
    new.scheduled_for = Some(tick);
    let first = store.create_running(new).await.expect("claim");
    let mut same_tick = new_run(&j, tick, TriggeredBy::Cron);
    same_tick.scheduled_for = Some(tick);
    assert_eq!(
        store.create_running(same_tick).await,
        Err(Error::TickAlreadyClaimed {
            job_name: j.clone(),
            scheduled_for: tick
        }),
        "a claimed tick is reported as such even while its run is in progress"
    );
    store
        .finish(
            &first.id,
            finish_with(ExecutionStatus::Success, tick, RunCounts::default()),
        )
        .await
        .expect("finish");
    assert!(store.tick_claimed(&j, tick).await.expect("claimed?"));
    let mut again = new_run(&j, tick + Duration::seconds(1), TriggeredBy::Cron);
    again.scheduled_for = Some(tick);
    assert_eq!(
        store.create_running(again).await,
        Err(Error::TickAlreadyClaimed {
            job_name: j.clone(),
            scheduled_for: tick
        })
    );
    let mut next = new_run(&j, tick + Duration::minutes(1), TriggeredBy::Cron);
    next.scheduled_for = Some(tick + Duration::minutes(1));
    store.create_running(next).await.expect("next tick");
    assert!(
        !store
            .tick_claimed(&job("other"), tick)
            .await
            .expect("claimed?")
    );
}

/// Heartbeats write live counts; a finished execution refuses them.
pub async fn heartbeat_writes_progress(store: &dyn ExecutionStore) {
    let j = job("beat");
    let e = store
        .create_running(new_run(&j, t0(), TriggeredBy::Cron))
        .await
        .expect("create");
    let progress = Progress {
        counts: counts(40, 30, 2, 8),
        expected_total: Some(100),
    };
    let at = t0() + Duration::seconds(10);
    store.heartbeat(&e.id, &progress, at).await.expect("beat");
    let read = store.get(&e.id).await.expect("get").expect("found");
    assert_eq!(read.counts, progress.counts);
    assert_eq!(read.expected_total, Some(100));
    assert_eq!(read.heartbeat_at, Some(at));
    assert_eq!(read.updated_at, at);
    store
        .finish(
            &e.id,
            finish_with(ExecutionStatus::Success, at, progress.counts),
        )
        .await
        .expect("finish");
    assert_eq!(
        store.heartbeat(&e.id, &progress, at).await,
        Err(Error::NotRunning {
            execution_id: e.id,
            status: ExecutionStatus::Success
        })
    );
    assert_eq!(
        store
            .heartbeat(&ExecutionId::new(), &progress, at)
            .await
            .map_err(|e| matches!(e, Error::NotFound(_))),
        Err(true)
    );
}

/// Finishing records status, counts, duration and errors, once.
pub async fn finish_records_the_outcome(store: &dyn ExecutionStore) {
    let j = job("finish");
    let e = store
        .create_running(new_run(&j, t0(), TriggeredBy::Manual))
        .await
        .expect("create");
    let done_at = t0() + Duration::milliseconds(272_123);
    let finish = finish_with(ExecutionStatus::Partial, done_at, counts(50, 46, 2, 2));
    let finished = store.finish(&e.id, finish.clone()).await.expect("finish");
    assert_eq!(finished.previous_consecutive_failures, 0);
    let read = store.get(&e.id).await.expect("get").expect("found");
    assert_eq!(read, finished.execution);
    assert_eq!(read.status, ExecutionStatus::Partial);
    assert_eq!(read.completed_at, Some(done_at));
    assert_eq!(read.duration_ms, Some(272_123));
    assert_eq!(read.counts, counts(50, 46, 2, 2));
    assert_eq!(read.errors, finish.errors.items);
    assert_eq!(read.last_error.as_deref(), Some("PARTIAL run"));
    assert_eq!(read.details, Some(serde_json::json!({"inserted": 46})));
    assert_eq!(
        store.finish(&e.id, finish.clone()).await,
        Err(Error::NotRunning {
            execution_id: e.id,
            status: ExecutionStatus::Partial
        })
    );
    let unknown = ExecutionId::new();
    assert_eq!(
        store.finish(&unknown, finish).await,
        Err(Error::NotFound(unknown))
    );
}

/// FAILED adds one to the previous run's count; SUCCESS and PARTIAL reset it; jobs count apart.
pub async fn consecutive_failures_per_job(store: &dyn ExecutionStore) {
    use ExecutionStatus::{Failed, Partial, Success};
    let (a, b) = (job("a"), job("b"));
    let mut t = t0();
    let mut seen = Vec::new();
    for (j, status) in [
        (&a, Failed),
        (&b, Failed),
        (&a, Failed),
        (&a, Partial),
        (&a, Failed),
        (&b, Failed),
        (&a, Failed),
        (&a, Success),
        (&b, Success),
        (&a, Failed),
    ] {
        t += Duration::minutes(1);
        let e = run(store, j, t, status, RunCounts::default(), TriggeredBy::Cron).await;
        seen.push((j.as_str().to_owned(), e.consecutive_failures));
    }
    let expected = [
        ("a", 1),
        ("b", 1),
        ("a", 2),
        ("a", 0),
        ("a", 1),
        ("b", 2),
        ("a", 2),
        ("a", 0),
        ("b", 0),
        ("a", 1),
    ];
    let expected: Vec<(String, i32)> = expected
        .iter()
        .map(|(j, n)| ((*j).to_owned(), *n))
        .collect();
    assert_eq!(seen, expected);
    let e = store
        .create_running(new_run(&b, t + Duration::minutes(1), TriggeredBy::Cron))
        .await
        .expect("create");
    let f = store
        .finish(
            &e.id,
            finish_with(Failed, t + Duration::minutes(2), RunCounts::default()),
        )
        .await
        .expect("finish");
    assert_eq!(
        (
            f.previous_consecutive_failures,
            f.execution.consecutive_failures
        ),
        (0, 1)
    );
}

/// `last` is the most recently started execution, of one job or of any.
pub async fn last_is_newest(store: &dyn ExecutionStore) {
    assert_eq!(store.last(None).await.expect("last"), None);
    let (a, b) = (job("a"), job("b"));
    run(
        store,
        &a,
        t0(),
        ExecutionStatus::Success,
        RunCounts::default(),
        TriggeredBy::Cron,
    )
    .await;
    let newest_a = run(
        store,
        &a,
        t0() + Duration::hours(2),
        ExecutionStatus::Failed,
        RunCounts::default(),
        TriggeredBy::Cron,
    )
    .await;
    let b_run = store
        .create_running(new_run(&b, t0() + Duration::hours(1), TriggeredBy::Api))
        .await
        .expect("create");
    assert_eq!(
        store.last(None).await.expect("last").map(|e| e.id),
        Some(newest_a.id)
    );
    assert_eq!(
        store.last(Some(&b)).await.expect("last").map(|e| e.id),
        Some(b_run.id)
    );
    assert_eq!(store.last(Some(&job("none"))).await.expect("last"), None);
}

/// `running` lists the RUNNING executions only.
pub async fn running_lists_in_progress(store: &dyn ExecutionStore) {
    let (a, b) = (job("a"), job("b"));
    run(
        store,
        &a,
        t0(),
        ExecutionStatus::Success,
        RunCounts::default(),
        TriggeredBy::Cron,
    )
    .await;
    let ra = store
        .create_running(new_run(&a, t0() + Duration::minutes(1), TriggeredBy::Cron))
        .await
        .expect("a");
    let rb = store
        .create_running(new_run(&b, t0() + Duration::minutes(2), TriggeredBy::Cron))
        .await
        .expect("b");
    let all: Vec<ExecutionId> = store
        .running(None)
        .await
        .expect("running")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(all, vec![ra.id, rb.id]);
    let only_b: Vec<ExecutionId> = store
        .running(Some(&b))
        .await
        .expect("running")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(only_b, vec![rb.id]);
}

/// Seeds ten finished runs over two jobs, three triggers and four statuses, one hour apart.
async fn seed_history(store: &dyn ExecutionStore) -> Vec<Execution> {
    use ExecutionStatus::{Failed, Partial, Success};
    let plan = [
        ("a", Success, TriggeredBy::Cron),
        ("a", Failed, TriggeredBy::Cron),
        ("b", Success, TriggeredBy::Api),
        ("a", Partial, TriggeredBy::Manual),
        ("b", Failed, TriggeredBy::Cron),
        ("a", Success, TriggeredBy::Api),
        ("b", Partial, TriggeredBy::Cron),
        ("a", Success, TriggeredBy::Cron),
        ("b", Success, TriggeredBy::Manual),
        ("a", Failed, TriggeredBy::Api),
    ];
    let mut out = Vec::new();
    for (i, (j, status, by)) in plan.into_iter().enumerate() {
        let n = i64::try_from(i).unwrap_or(0);
        let c = match status {
            Failed => counts(0, 0, 0, 0),
            Partial => counts(10 + n, 5, 3, 2 + n),
            _ => counts(10 + n, 8, 0, 2 + n),
        };
        out.push(run(store, &job(j), t0() + Duration::hours(n), status, c, by).await);
    }
    out
}

fn ids(page: &crate::HistoryPage) -> Vec<ExecutionId> {
    page.executions.iter().map(|e| e.id).collect()
}

/// Filters (status, trigger, job, time range) combine with AND; results are newest first.
pub async fn history_filters_combine(store: &dyn ExecutionStore) {
    let seeded = seed_history(store).await;
    let expect = |f: &dyn Fn(&Execution) -> bool| -> Vec<ExecutionId> {
        seeded.iter().rev().filter(|e| f(e)).map(|e| e.id).collect()
    };
    let all = store
        .history(&HistoryQuery::default())
        .await
        .expect("history");
    assert_eq!(ids(&all), expect(&|_| true));
    assert_eq!(all.pagination.total, 10);

    let q = HistoryQuery {
        status: Some(ExecutionStatus::Failed),
        ..Default::default()
    };
    assert_eq!(
        ids(&store.history(&q).await.expect("status")),
        expect(&|e| e.status == ExecutionStatus::Failed)
    );

    let q = HistoryQuery {
        triggered_by: Some(TriggeredBy::Cron),
        ..Default::default()
    };
    assert_eq!(
        ids(&store.history(&q).await.expect("trigger")),
        expect(&|e| e.triggered_by == TriggeredBy::Cron)
    );

    let q = HistoryQuery {
        job_name: Some(job("b")),
        status: Some(ExecutionStatus::Success),
        ..Default::default()
    };
    let page = store.history(&q).await.expect("job+status");
    assert_eq!(
        ids(&page),
        expect(&|e| e.job_name.as_str() == "b" && e.status == ExecutionStatus::Success)
    );
    assert_eq!(page.pagination.total, 2);

    let range = TimeRange::new(
        Some(t0() + Duration::hours(2)),
        Some(t0() + Duration::hours(5)),
    )
    .expect("range");
    let q = HistoryQuery {
        range,
        ..Default::default()
    };
    let in_range = expect(&|e| {
        e.started_at >= t0() + Duration::hours(2) && e.started_at < t0() + Duration::hours(5)
    });
    assert_eq!(in_range.len(), 3);
    assert_eq!(ids(&store.history(&q).await.expect("range")), in_range);

    let q = HistoryQuery {
        range,
        job_name: Some(job("a")),
        triggered_by: Some(TriggeredBy::Manual),
        ..Default::default()
    };
    assert_eq!(
        ids(&store.history(&q).await.expect("all filters")),
        expect(&|e| e.started_at == t0() + Duration::hours(3))
    );

    let q = HistoryQuery {
        triggered_by: Some(TriggeredBy::Other("nobody".into())),
        ..Default::default()
    };
    let none = store.history(&q).await.expect("none");
    assert!(none.executions.is_empty());
    assert_eq!(none.pagination.total, 0);
}

/// Offsets past the end, the smallest and largest limits, and `hasMore`.
pub async fn history_pagination_edges(store: &dyn ExecutionStore) {
    let seeded = seed_history(store).await;
    let page = |limit: i64, offset: u64| HistoryQuery {
        limit: PageLimit::new(limit).unwrap_or_default(),
        offset,
        ..Default::default()
    };
    let first = store.history(&page(3, 0)).await.expect("first");
    assert_eq!(
        ids(&first),
        seeded
            .iter()
            .rev()
            .take(3)
            .map(|e| e.id)
            .collect::<Vec<_>>()
    );
    assert!(first.pagination.has_more);
    assert_eq!(
        (
            first.pagination.limit,
            first.pagination.offset,
            first.pagination.total
        ),
        (3, 0, 10)
    );
    let last = store.history(&page(3, 9)).await.expect("last");
    assert_eq!(ids(&last), vec![seeded[0].id]);
    assert!(!last.pagination.has_more);
    let exact = store.history(&page(5, 5)).await.expect("exact");
    assert_eq!(exact.executions.len(), 5);
    assert!(!exact.pagination.has_more);
    let past = store.history(&page(50, 1000)).await.expect("past");
    assert!(past.executions.is_empty());
    assert_eq!(past.pagination.total, 10);
    assert!(!past.pagination.has_more);
    assert_eq!(
        store
            .history(&page(1, 0))
            .await
            .expect("one")
            .executions
            .len(),
        1
    );
    assert_eq!(
        store
            .history(&page(100, 0))
            .await
            .expect("hundred")
            .executions
            .len(),
        10
    );
    assert_eq!(
        past.statistics, first.statistics,
        "aggregates cover the whole filtered set"
    );
}

/// Aggregates over an empty and a non-empty filtered set.
pub async fn history_aggregates(store: &dyn ExecutionStore) {
    let empty = store
        .history(&HistoryQuery::default())
        .await
        .expect("empty");
    assert_eq!(empty.statistics, crate::HistoryStatistics::default());
    assert_eq!(empty.pagination.total, 0);
    let seeded = seed_history(store).await;
    store
        .create_running(new_run(
            &job("c"),
            t0() + Duration::days(1),
            TriggeredBy::Cron,
        ))
        .await
        .expect("running");
    let s = store
        .history(&HistoryQuery::default())
        .await
        .expect("all")
        .statistics;
    assert_eq!(
        s.total_properties_processed,
        seeded
            .iter()
            .map(|e| e.counts.total_properties)
            .sum::<i64>()
    );
    assert_eq!(
        s.total_successful,
        seeded.iter().map(|e| e.counts.success_count).sum::<i64>()
    );
    assert_eq!(
        s.total_failed,
        seeded.iter().map(|e| e.counts.failed_count).sum::<i64>()
    );
    assert_eq!(
        s.total_skipped,
        seeded.iter().map(|e| e.counts.skipped_count).sum::<i64>()
    );
    let durations: Vec<i64> = seeded.iter().filter_map(|e| e.duration_ms).collect();
    let mean = (durations.iter().sum::<i64>() as f64 / durations.len() as f64).round() as i64;
    assert_eq!(
        s.average_duration_ms,
        Some(mean),
        "the RUNNING one has no duration and is left out"
    );
    let q = HistoryQuery {
        status: Some(ExecutionStatus::Failed),
        ..Default::default()
    };
    let failed = store.history(&q).await.expect("failed").statistics;
    assert_eq!(
        (
            failed.total_properties_processed,
            failed.average_duration_ms
        ),
        (0, Some(1000))
    );
}

/// History pages leave out the error lists; `get` has them.
pub async fn history_omits_error_lists(store: &dyn ExecutionStore) {
    let e = run(
        store,
        &job("a"),
        t0(),
        ExecutionStatus::Partial,
        counts(3, 1, 1, 1),
        TriggeredBy::Cron,
    )
    .await;
    assert_eq!(e.errors.len(), 1);
    let page = store
        .history(&HistoryQuery::default())
        .await
        .expect("history");
    assert!(page.executions[0].errors.is_empty());
    assert_eq!(page.executions[0].last_error, e.last_error);
    assert_eq!(
        store.get(&e.id).await.expect("get").expect("found").errors,
        e.errors
    );
}

/// Statistics count the window only, by status and by UTC day across a month boundary.
pub async fn statistics_window_and_timeline(store: &dyn ExecutionStore) {
    let now = Utc
        .with_ymd_and_hms(2025, 3, 2, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let a = job("a");
    let at = |d: u32, h: u32| {
        Utc.with_ymd_and_hms(2025, if d > 27 { 2 } else { 3 }, d, h, 0, 0)
            .single()
            .unwrap_or_default()
    };
    run(
        store,
        &a,
        now - Duration::days(40),
        ExecutionStatus::Success,
        counts(99, 99, 0, 0),
        TriggeredBy::Cron,
    )
    .await;
    run(
        store,
        &a,
        at(28, 23),
        ExecutionStatus::Success,
        counts(10, 10, 0, 0),
        TriggeredBy::Cron,
    )
    .await;
    run(
        store,
        &a,
        at(28, 23) + Duration::minutes(30),
        ExecutionStatus::Failed,
        counts(0, 0, 0, 0),
        TriggeredBy::Api,
    )
    .await;
    run(
        store,
        &a,
        at(1, 0),
        ExecutionStatus::Partial,
        counts(20, 15, 5, 0),
        TriggeredBy::Cron,
    )
    .await;
    store
        .create_running(new_run(&a, at(2, 11), TriggeredBy::Cron))
        .await
        .expect("running");
    let q = StatisticsQuery {
        days: WindowDays::new(7).unwrap_or_default(),
        job_name: None,
        now,
    };
    let s = store.statistics(&q).await.expect("statistics");
    assert_eq!(
        (
            s.total_executions,
            s.success_count,
            s.failed_count,
            s.partial_count,
            s.running_count
        ),
        (4, 1, 1, 1, 1)
    );
    assert_eq!(s.total_properties_processed, 30);
    assert_eq!(s.success_rate, Some(33.33));
    assert_eq!(s.timeline.len(), 8);
    let day = |date: &str| {
        s.timeline
            .iter()
            .find(|d| d.date.to_string() == date)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        (
            day("2025-02-28").total,
            day("2025-02-28").success,
            day("2025-02-28").failed
        ),
        (2, 1, 1)
    );
    assert_eq!(
        (
            day("2025-03-01").partial,
            day("2025-03-01").properties_processed
        ),
        (1, 20)
    );
    assert_eq!(
        (
            day("2025-03-02").running,
            day("2025-03-02").average_duration_ms
        ),
        (1, None)
    );
    assert_eq!(day("2025-02-27").total, 0);
    assert_eq!(
        s.timeline.first().map(|d| d.date.to_string()),
        Some("2025-02-23".into())
    );
}

/// Statistics of one job leave the others out.
pub async fn statistics_by_job(store: &dyn ExecutionStore) {
    seed_history(store).await;
    let now = t0() + Duration::days(1);
    let q = StatisticsQuery {
        days: WindowDays::DEFAULT,
        job_name: Some(job("b")),
        now,
    };
    let s = store.statistics(&q).await.expect("statistics");
    assert_eq!(
        (
            s.total_executions,
            s.success_count,
            s.failed_count,
            s.partial_count
        ),
        (4, 2, 1, 1)
    );
    let all = store
        .statistics(&StatisticsQuery {
            job_name: None,
            ..q
        })
        .await
        .expect("all");
    assert_eq!(all.total_executions, 10);
}

/// RUNNING executions whose heartbeat is older than the lease become FAILED "abandoned".
pub async fn stale_runs_are_recovered(store: &dyn ExecutionStore) {
    let (a, b) = (job("a"), job("b"));
    run(
        store,
        &a,
        t0() - Duration::hours(1),
        ExecutionStatus::Failed,
        RunCounts::default(),
        TriggeredBy::Cron,
    )
    .await;
    let stale = store
        .create_running(new_run(&a, t0(), TriggeredBy::Cron))
        .await
        .expect("stale");
    store
        .heartbeat(
            &stale.id,
            &Progress {
                counts: counts(7, 5, 1, 1),
                expected_total: None,
            },
            t0() + Duration::seconds(10),
        )
        .await
        .expect("beat");
    let fresh = store
        .create_running(new_run(&b, t0(), TriggeredBy::Cron))
        .await
        .expect("fresh");
    let now = t0() + Duration::minutes(3);
    store
        .heartbeat(&fresh.id, &Progress::default(), now - Duration::seconds(5))
        .await
        .expect("beat");
    let recovered = store
        .recover_stale(now, Duration::minutes(2))
        .await
        .expect("recover");
    assert_eq!(
        recovered.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![stale.id]
    );
    let read = store.get(&stale.id).await.expect("get").expect("found");
    assert_eq!(read.status, ExecutionStatus::Failed);
    assert_eq!(read.completed_at, Some(now));
    assert_eq!(read.counts, counts(7, 5, 1, 1), "counts so far are kept");
    assert_eq!(read.consecutive_failures, 2);
    let msg = read.last_error.unwrap_or_default();
    assert!(
        msg.starts_with("abandoned: no heartbeat since 2025-01-30T10:00:10.000Z"),
        "{msg}"
    );
    assert_eq!(
        store.get(&fresh.id).await.expect("get").map(|e| e.status),
        Some(ExecutionStatus::Running)
    );
    assert!(
        store
            .recover_stale(now, Duration::minutes(2))
            .await
            .expect("again")
            .is_empty()
    );
    store
        .create_running(new_run(&a, now, TriggeredBy::Api))
        .await
        .expect("job a can run again");
}

/// Purges delete SUCCESS/PARTIAL after `success_days`, FAILED after `failed_days`, never RUNNING.
pub async fn retention_purges_by_status(store: &dyn ExecutionStore) {
    use ExecutionStatus::{Failed, Partial, Success};
    let now = t0();
    let day = |n: i64| now - Duration::days(n);
    let a = job("a");
    let mut keep = Vec::new();
    for (age, status) in [
        (100, Success),
        (95, Failed),
        (60, Partial),
        (45, Failed),
        (31, Success),
        (29, Success),
        (10, Failed),
    ] {
        let e = run(
            store,
            &a,
            day(age),
            status,
            RunCounts::default(),
            TriggeredBy::Cron,
        )
        .await;
        if age < 30 || (status == Failed && age < 90) {
            keep.push(e.id);
        }
    }
    let old_running = store
        .create_running(new_run(&job("b"), day(400), TriggeredBy::Cron))
        .await
        .expect("running");
    keep.push(old_running.id);
    let policy = RetentionPolicy {
        success_days: 30,
        failed_days: 90,
        batch_size: 2,
    };
    let report = store.purge(&policy, now).await.expect("purge");
    assert_eq!((report.succeeded_deleted, report.failed_deleted), (3, 1));
    let q = HistoryQuery {
        limit: PageLimit::new(100).unwrap_or_default(),
        ..Default::default()
    };
    let mut left: Vec<ExecutionId> = store
        .history(&q)
        .await
        .expect("history")
        .executions
        .iter()
        .map(|e| e.id)
        .collect();
    left.sort();
    keep.sort();
    assert_eq!(left, keep);
    assert_eq!(store.purge(&policy, now).await.expect("again").total(), 0);
}

/// Audit entries read back newest first, paginated.
pub async fn audit_log_pages(store: &dyn ExecutionStore) {
    let empty = store
        .audit_log(&AuditQuery::default())
        .await
        .expect("empty");
    assert!(empty.entries.is_empty());
    let mut recorded = Vec::new();
    for (i, outcome) in [
        AuditOutcome::Accepted,
        AuditOutcome::Refused,
        AuditOutcome::RateLimited,
    ]
    .into_iter()
    .enumerate()
    {
        let entry = NewAuditEntry {
            at: t0() + Duration::seconds(i64::try_from(i).unwrap_or(0)),
            actor: "token:admin".into(),
            remote_addr: Some("127.0.0.1".into()),
            action: "trigger".into(),
            job_name: Some(job("a")),
            outcome,
            execution_id: (i == 0).then(ExecutionId::new),
            detail: None,
        };
        recorded.push(store.record_audit(entry).await.expect("record"));
    }
    assert!(recorded.windows(2).all(|w| w[0].id < w[1].id));
    let page = store
        .audit_log(&AuditQuery {
            limit: PageLimit::new(2).unwrap_or_default(),
            offset: 0,
        })
        .await
        .expect("page");
    assert_eq!(page.entries, vec![recorded[2].clone(), recorded[1].clone()]);
    assert!(page.pagination.has_more);
    assert_eq!(page.pagination.total, 3);
    let rest = store
        .audit_log(&AuditQuery {
            limit: PageLimit::new(2).unwrap_or_default(),
            offset: 2,
        })
        .await
        .expect("rest");
    assert_eq!(rest.entries, vec![recorded[0].clone()]);
    assert!(!rest.pagination.has_more);
}
