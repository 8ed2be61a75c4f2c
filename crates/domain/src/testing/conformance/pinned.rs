//! Figures of the seeded periods worked out by hand, so the reference that
//! [`check_every_window`](super::windows::check_every_window) computes (the same sums the
//! in-memory store makes) is itself held to numbers no code produced.

use super::{ExecutionStatus, ExecutionStore, HistoryQuery, PageLimit, TimeRange, job};
use crate::HistoryStatistics;

/// Checks the history aggregates of three windows of `seed_periods` against figures summed by
/// hand from its plan (counts and durations of each run are listed in the comments).
pub(super) async fn history_figures(store: &dyn ExecutionStore) {
    use chrono::TimeZone;
    let at = |y, mo, d| chrono::Utc.with_ymd_and_hms(y, mo, d, 0, 0, 0).single();
    let cases = [
        // 20 January to 20 February: runs 3 (13, 8/0/5, 1013 ms), 4 (14, 8/0/6, 1014 ms),
        // 5 (25, 10/5/10, 1025 ms), 6 (6, 0/0/6, 1006 ms) and job c running (5, 3/1/1).
        (
            at(2025, 1, 20),
            at(2025, 2, 20),
            None,
            None,
            5,
            stats(63, 29, 6, 28, Some(1015)),
        ),
        // Job a over all time: runs 0, 2, 4, 6, 8, 10 (durations sum to 6100 ms).
        (
            None,
            None,
            None,
            Some("a"),
            6,
            stats(100, 44, 10, 46, Some(1017)),
        ),
        // Failed over all time: runs 1 (1), 6 (6), 9 (9), durations 1001, 1006, 1009 ms.
        (
            None,
            None,
            Some(ExecutionStatus::Failed),
            None,
            3,
            stats(16, 0, 0, 16, Some(1005)),
        ),
        // Running only: jobs c and d, no duration.
        (
            None,
            None,
            Some(ExecutionStatus::Running),
            None,
            2,
            stats(10, 6, 2, 2, None),
        ),
    ];
    for (from, to, status, name, total, expected) in cases {
        let q = HistoryQuery {
            limit: PageLimit::new(100).unwrap_or_default(),
            status,
            job_name: name.map(job),
            range: TimeRange::new(from, to).expect("range"),
            ..Default::default()
        };
        let page = store.history(&q).await.expect("history");
        assert_eq!(
            (page.pagination.total, page.statistics),
            (total, expected),
            "history from {from:?} to {to:?}, status {status:?}, job {name:?}"
        );
    }
}

fn stats(
    total_properties_processed: i64,
    total_successful: i64,
    total_failed: i64,
    total_skipped: i64,
    average_duration_ms: Option<i64>,
) -> HistoryStatistics {
    HistoryStatistics {
        total_properties_processed,
        total_successful,
        total_failed,
        total_skipped,
        average_duration_ms,
    }
}
