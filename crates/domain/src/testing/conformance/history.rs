//! History pages: their filters, paging and aggregates.
//!
//! Statistics are in [`statistics`](super::statistics), aggregates over every window in
//! [`windows`](super::windows).

use super::*;

/// Seeds ten finished runs over two jobs, three triggers and four statuses, one hour apart.
pub(super) async fn seed_history(store: &dyn ExecutionStore) -> Vec<Execution> {
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
