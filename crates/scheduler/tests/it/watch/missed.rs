//! Ticks missed during a database outage, handled by the misfire policy (never a burst).

use super::*;

/// A database outage from `down` to `up` around the every-minute ticks of a scheduler started
/// at 00:00:30; returns the runs after the start-up catch-up of the 00:00 tick, and the watch.
async fn outage(
    misfire: MisfirePolicy,
    down: DateTime<Utc>,
    up: DateTime<Utc>,
    end: DateTime<Utc>,
) -> (Vec<Execution>, propimport_scheduler::TickWatch) {
    let h = Harness::new(at(2025, 6, 1, 0, 0, 30));
    let job = TestJob::new("feed", Behaviour::Report(counts(1, 1, 0, 0)));
    let handle = h
        .start(job.clone(), Some(every_minute()), settings(misfire))
        .await;
    until(&h, down).await;
    h.flaky.set_down(true);
    until(&h, up).await;
    h.flaky.set_down(false);
    until(&h, end).await;
    let status = handle.status().await.unwrap();
    handle.shutdown(Duration::from_secs(1)).await;
    let runs = all(&h)
        .await
        .into_iter()
        .filter(|e| e.scheduled_for != Some(at(2025, 6, 1, 0, 0, 0)))
        .collect();
    (runs, status[0].ticks.clone())
}

#[tokio::test(start_paused = true)]
async fn a_tick_missed_in_an_outage_runs_once_when_the_database_is_back_within_the_grace() {
    let (runs, watch) = outage(
        run_once(3600),
        at(2025, 6, 1, 0, 0, 40),
        at(2025, 6, 1, 0, 1, 20),
        at(2025, 6, 1, 0, 2, 30),
    )
    .await;
    assert_eq!(
        ticks(&runs),
        vec![Some(at(2025, 6, 1, 0, 1, 0)), Some(at(2025, 6, 1, 0, 2, 0))]
    );
    let late = runs[0].started_at - at(2025, 6, 1, 0, 1, 20);
    // Retries grow 1, 2, 4, 8, 15 s: at most 15 s after the database is back.
    assert!(
        late >= chrono::Duration::zero() && late <= chrono::Duration::seconds(16),
        "run soon after the database came back: {late}"
    );
    assert_eq!(watch.missed_ticks, 1);
    assert_eq!(watch.last_missed_tick, Some(at(2025, 6, 1, 0, 1, 0)));
    assert_eq!(watch.pending_tick, None);
}

#[tokio::test(start_paused = true)]
async fn a_long_outage_runs_only_the_latest_missed_tick() {
    let (runs, watch) = outage(
        run_once(3600),
        at(2025, 6, 1, 0, 0, 40),
        at(2025, 6, 1, 0, 3, 30),
        at(2025, 6, 1, 0, 4, 30),
    )
    .await;
    assert_eq!(
        ticks(&runs),
        vec![Some(at(2025, 6, 1, 0, 3, 0)), Some(at(2025, 6, 1, 0, 4, 0))],
        "no burst: the missed 00:01 and 00:02 were superseded"
    );
    assert_eq!(watch.missed_ticks, 3);
}

#[tokio::test(start_paused = true)]
async fn missed_ticks_older_than_the_grace_or_under_skip_are_not_run() {
    let (runs, watch) = outage(
        run_once(30),
        at(2025, 6, 1, 0, 0, 40),
        at(2025, 6, 1, 0, 1, 45),
        at(2025, 6, 1, 0, 2, 30),
    )
    .await;
    assert_eq!(ticks(&runs), vec![Some(at(2025, 6, 1, 0, 2, 0))]);
    assert_eq!(watch.missed_ticks, 1);
    assert_eq!(watch.pending_tick, None);

    let (runs, _) = outage(
        MisfirePolicy::Skip,
        at(2025, 6, 1, 0, 0, 40),
        at(2025, 6, 1, 0, 1, 20),
        at(2025, 6, 1, 0, 2, 30),
    )
    .await;
    assert_eq!(ticks(&runs), vec![Some(at(2025, 6, 1, 0, 2, 0))]);
}
