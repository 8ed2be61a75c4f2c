//! History aggregates and statistics over every window, whole periods or partial days, checked
//! against a reference summed over the seeded executions.

use super::*;

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
