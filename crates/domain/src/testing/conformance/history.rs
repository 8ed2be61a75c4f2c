//! History pages, their aggregates, and windowed statistics.

use super::*;

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
