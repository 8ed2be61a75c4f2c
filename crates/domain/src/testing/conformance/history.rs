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

/// A UTC instant with milliseconds.
fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .unwrap_or_default()
        + Duration::milliseconds(ms)
}

/// Seeds runs around day, month and year boundaries (on them, just before them, inside whole
/// months), of three jobs, every status and four triggers, and two RUNNING runs with
/// progress; returns every execution as stored.
pub(super) async fn seed_periods(store: &dyn ExecutionStore) -> Vec<Execution> {
    use ExecutionStatus::{Failed, Partial, Success};
    let ops = TriggeredBy::Other("ops".into());
    let plan = [
        (
            utc(2024, 12, 31, 23, 59, 59, 999),
            "a",
            Success,
            TriggeredBy::Cron,
        ),
        (utc(2025, 1, 1, 0, 0, 0, 0), "b", Failed, TriggeredBy::Api),
        (
            utc(2025, 1, 15, 12, 0, 0, 0),
            "a",
            Partial,
            TriggeredBy::Manual,
        ),
        (utc(2025, 1, 31, 23, 30, 0, 0), "b", Success, ops.clone()),
        (utc(2025, 2, 1, 0, 0, 0, 0), "a", Success, TriggeredBy::Cron),
        (
            utc(2025, 2, 10, 8, 0, 0, 0),
            "b",
            Partial,
            TriggeredBy::Cron,
        ),
        (utc(2025, 2, 10, 20, 0, 0, 0), "a", Failed, TriggeredBy::Api),
        (
            utc(2025, 2, 28, 23, 59, 59, 0),
            "b",
            Success,
            TriggeredBy::Manual,
        ),
        (utc(2025, 3, 1, 0, 0, 0, 0), "a", Success, TriggeredBy::Cron),
        (utc(2025, 3, 2, 6, 0, 0, 0), "b", Failed, TriggeredBy::Cron),
        (utc(2025, 3, 2, 18, 0, 0, 0), "a", Partial, ops),
        (
            utc(2025, 3, 15, 12, 0, 0, 0),
            "b",
            Success,
            TriggeredBy::Cron,
        ),
    ];
    let mut out = Vec::new();
    for (i, (at, j, status, by)) in plan.into_iter().enumerate() {
        let n = i64::try_from(i).unwrap_or(0);
        let c = match status {
            Failed => counts(n, 0, 0, n),
            Partial => counts(20 + n, 10, 5, 5 + n),
            _ => counts(10 + n, 8, 0, 2 + n),
        };
        out.push(run(store, &job(j), at, status, c, by).await);
    }
    for (j, at) in [
        ("c", utc(2025, 2, 10, 12, 0, 0, 0)),
        ("d", utc(2025, 3, 2, 12, 0, 0, 0)),
    ] {
        let created = store
            .create_running(new_run(&job(j), at, TriggeredBy::Cron))
            .await
            .expect("running");
        store
            .heartbeat(
                &created.id,
                &Progress {
                    counts: counts(5, 3, 1, 1),
                    expected_total: Some(9),
                    ..Default::default()
                },
                at + Duration::seconds(10),
            )
            .await
            .expect("beat");
        out.push(store.get(&created.id).await.expect("get").expect("found"));
    }
    out
}

/// The aggregates of `q` over `all`: the reference every store must match.
fn expected_aggregates(all: &[Execution], q: &HistoryQuery) -> (i64, crate::HistoryStatistics) {
    let matching: Vec<&Execution> = all.iter().filter(|e| q.matches(e)).collect();
    let durations: Vec<i64> = matching.iter().filter_map(|e| e.duration_ms).collect();
    let stats = crate::HistoryStatistics {
        total_properties_processed: matching.iter().map(|e| e.counts.total_properties).sum(),
        total_successful: matching.iter().map(|e| e.counts.success_count).sum(),
        total_failed: matching.iter().map(|e| e.counts.failed_count).sum(),
        total_skipped: matching.iter().map(|e| e.counts.skipped_count).sum(),
        average_duration_ms: crate::history::rounded_mean(
            durations.iter().map(|d| *d as f64).sum(),
            i64::try_from(durations.len()).unwrap_or(0),
        ),
    };
    (i64::try_from(matching.len()).unwrap_or(0), stats)
}

/// The statistics of `q` over `all`: the reference every store must match.
fn expected_statistics(all: &[Execution], q: &StatisticsQuery) -> crate::Statistics {
    let rows: Vec<crate::StatisticsRow> = all
        .iter()
        .filter(|e| e.started_at >= q.from() && e.started_at <= q.now)
        .filter(|e| q.job_name.as_ref().is_none_or(|j| &e.job_name == j))
        .map(|e| crate::StatisticsRow {
            day: e.started_at.date_naive(),
            status: e.status,
            executions: 1,
            properties_processed: e.counts.total_properties,
            duration_sum_ms: e.duration_ms.unwrap_or(0) as f64,
            durations: i64::from(e.duration_ms.is_some()),
        })
        .collect();
    crate::Statistics::from_rows(q, &rows)
}

/// Checks history aggregates and statistics against the reference over `all`, for windows
/// that start and end on and off day and month boundaries (or not at all) and every filter.
pub(super) async fn check_every_window(store: &dyn ExecutionStore, all: &[Execution]) {
    let ranges = [
        (None, None),
        (Some(utc(2025, 1, 1, 0, 0, 0, 0)), None),
        (None, Some(utc(2025, 3, 1, 0, 0, 0, 0))),
        (None, Some(utc(2025, 2, 10, 12, 0, 0, 1))),
        (Some(utc(2025, 2, 10, 12, 0, 0, 0)), None),
        (
            Some(utc(2025, 1, 15, 12, 0, 0, 0)),
            Some(utc(2025, 3, 2, 18, 0, 0, 0)),
        ),
        (
            Some(utc(2025, 1, 15, 12, 0, 0, 1)),
            Some(utc(2025, 3, 2, 18, 0, 0, 1)),
        ),
        (
            Some(utc(2025, 2, 10, 8, 0, 0, 0)),
            Some(utc(2025, 2, 10, 20, 0, 0, 0)),
        ),
        (
            Some(utc(2025, 2, 10, 8, 0, 0, 1)),
            Some(utc(2025, 2, 11, 0, 0, 0, 0)),
        ),
        (
            Some(utc(2025, 1, 31, 23, 30, 0, 0)),
            Some(utc(2025, 2, 1, 0, 0, 0, 0)),
        ),
        (
            Some(utc(2024, 12, 31, 23, 59, 59, 999)),
            Some(utc(2025, 1, 1, 0, 0, 0, 1)),
        ),
        (
            Some(utc(2025, 2, 1, 0, 0, 0, 0)),
            Some(utc(2025, 3, 1, 0, 0, 0, 0)),
        ),
        (
            Some(utc(2025, 1, 20, 0, 0, 0, 0)),
            Some(utc(2025, 2, 20, 0, 0, 0, 0)),
        ),
        (
            Some(utc(2024, 11, 30, 6, 0, 0, 0)),
            Some(utc(2025, 4, 2, 6, 0, 0, 0)),
        ),
        (
            Some(utc(2025, 3, 1, 0, 0, 0, 0)),
            Some(utc(2025, 3, 1, 0, 0, 0, 0)),
        ),
        (
            Some(utc(2024, 1, 1, 0, 0, 0, 0)),
            Some(utc(2026, 1, 1, 0, 0, 0, 0)),
        ),
        (Some(utc(2024, 6, 1, 0, 0, 0, 0)), None),
        (None, Some(utc(2025, 1, 1, 0, 0, 0, 0))),
        (None, Some(utc(2025, 3, 15, 12, 0, 0, 0))),
    ];
    let filters: [(Option<ExecutionStatus>, Option<TriggeredBy>, Option<&str>); 8] = [
        (None, None, None),
        (Some(ExecutionStatus::Failed), None, None),
        (Some(ExecutionStatus::Running), None, None),
        (Some(ExecutionStatus::Success), None, Some("b")),
        (None, None, Some("a")),
        (None, Some(TriggeredBy::Api), None),
        (None, Some(TriggeredBy::Other("ops".into())), None),
        (None, Some(TriggeredBy::Cron), Some("c")),
    ];
    for (from, to) in ranges {
        for (status, by, j) in &filters {
            let q = HistoryQuery {
                limit: PageLimit::new(100).unwrap_or_default(),
                status: *status,
                triggered_by: by.clone(),
                job_name: j.map(job),
                range: TimeRange::new(from, to).expect("range"),
                ..Default::default()
            };
            let page = store.history(&q).await.expect("history");
            let (total, statistics) = expected_aggregates(all, &q);
            assert_eq!(
                (page.pagination.total, page.statistics),
                (total, statistics),
                "history from {from:?} to {to:?}, status {status:?}, trigger {by:?}, job {j:?}"
            );
            assert_eq!(
                page.executions.len(),
                usize::try_from(total).unwrap_or(0),
                "page from {from:?} to {to:?}, status {status:?}, trigger {by:?}, job {j:?}"
            );
        }
    }
    let windows = [
        (utc(2025, 3, 2, 18, 0, 0, 0), 1),
        (utc(2025, 3, 2, 18, 0, 0, 0), 7),
        (utc(2025, 3, 2, 18, 0, 0, 0), 30),
        (utc(2025, 3, 2, 18, 0, 0, 0), 60),
        (utc(2025, 3, 2, 18, 0, 0, 0), 365),
        (utc(2025, 3, 1, 0, 0, 0, 0), 28),
        (utc(2025, 2, 10, 12, 0, 0, 0), 10),
        (utc(2025, 2, 11, 0, 0, 0, 0), 1),
    ];
    for (now, days) in windows {
        for j in [None, Some("a"), Some("c")] {
            let q = StatisticsQuery {
                days: WindowDays::new(days).unwrap_or_default(),
                job_name: j.map(job),
                now,
            };
            let s = store.statistics(&q).await.expect("statistics");
            assert_eq!(
                s,
                expected_statistics(all, &q),
                "statistics of {days} days to {now}, job {j:?}"
            );
        }
    }
}

/// History aggregates and statistics over any window, whole periods or partial days, equal
/// the sums over every matching execution (RUNNING ones with their progress included).
pub async fn aggregates_match_every_window(store: &dyn ExecutionStore) {
    let all = seed_periods(store).await;
    super::pinned::history_figures(store).await;
    check_every_window(store, &all).await;
}
