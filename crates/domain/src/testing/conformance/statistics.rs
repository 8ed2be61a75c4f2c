//! Windowed statistics: by status, by UTC day and by job.

use super::history::seed_history;
use super::*;

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
