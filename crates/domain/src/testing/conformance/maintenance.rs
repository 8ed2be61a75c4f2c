//! Stale-run recovery, retention and the audit log.

use super::*;

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
                ..Default::default()
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
    let kept = store
        .recover_stale(now, Duration::minutes(2), &[stale.id])
        .await
        .expect("recover, keeping the caller's own run");
    assert!(kept.is_empty(), "a run in `keep` is never recovered");
    assert_eq!(
        store.get(&stale.id).await.expect("get").map(|e| e.status),
        Some(ExecutionStatus::Running)
    );
    let recovered = store
        .recover_stale(now, Duration::minutes(2), &[])
        .await
        .expect("recover");
    assert_eq!(
        recovered.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![stale.id]
    );
    let read = store.get(&stale.id).await.expect("get").expect("found");
    assert_eq!(read.status, ExecutionStatus::Failed);
    let last_beat = t0() + Duration::seconds(10);
    assert_eq!(
        read.completed_at,
        Some(last_beat),
        "an abandoned run ends at its last heartbeat, not at its recovery"
    );
    assert_eq!(read.duration_ms, Some(10_000));
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
            .recover_stale(now, Duration::minutes(2), &[])
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
        audit_days: 365,
        batch_size: 2,
    };
    let report = store.purge(&policy, now).await.expect("purge");
    assert_eq!((report.succeeded_deleted, report.failed_deleted), (3, 1));
    assert_eq!(report.audit_deleted, 0);
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

    // Retention: entries older than `audit_days` go, in batches; newer ones stay.
    let policy = RetentionPolicy {
        audit_days: 10,
        batch_size: 2,
        ..RetentionPolicy::default()
    };
    let now = t0() + Duration::days(10) + Duration::milliseconds(1500);
    let report = store.purge(&policy, now).await.expect("purge");
    assert_eq!(report.audit_deleted, 2, "the entries at t0 and t0 + 1 s");
    let left = store.audit_log(&AuditQuery::default()).await.expect("left");
    assert_eq!(left.entries, vec![recorded[2].clone()]);
    let next = store
        .record_audit(NewAuditEntry {
            at: now,
            actor: "token:admin".into(),
            remote_addr: None,
            action: "trigger".into(),
            job_name: None,
            outcome: AuditOutcome::Refused,
            execution_id: None,
            detail: None,
        })
        .await
        .expect("record after a purge");
    assert!(next.id > recorded[2].id, "ids keep growing after a purge");
}

/// History aggregates and statistics stay exact as runs are purged (in batches, by status)
/// and as RUNNING runs are recovered as abandoned, down to an empty history.
pub async fn aggregates_follow_purge_and_recovery(store: &dyn ExecutionStore) {
    let mut all = super::windows::seed_periods(store).await;
    super::windows::check_every_window(store, &all).await;

    let now = Utc
        .with_ymd_and_hms(2025, 3, 20, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let policy = RetentionPolicy {
        success_days: 30,
        failed_days: 45,
        audit_days: 365,
        batch_size: 2,
    };
    let report = store.purge(&policy, now).await.expect("purge");
    let kept = |e: &Execution| match e.status {
        ExecutionStatus::Running => true,
        ExecutionStatus::Failed => e.started_at >= policy.failed_cutoff(now),
        _ => e.started_at >= policy.success_cutoff(now),
    };
    let before = all.len();
    all.retain(|e| kept(e));
    assert_eq!(
        usize::try_from(report.succeeded_deleted + report.failed_deleted).unwrap_or(0),
        before - all.len()
    );
    assert!(report.succeeded_deleted > 2 && report.failed_deleted > 0);
    super::windows::check_every_window(store, &all).await;

    let recovered = store
        .recover_stale(now, Duration::minutes(2), &[])
        .await
        .expect("recover");
    assert_eq!(recovered.len(), 2);
    for e in recovered {
        assert_eq!(e.status, ExecutionStatus::Failed);
        if let Some(slot) = all.iter_mut().find(|x| x.id == e.id) {
            *slot = e;
        }
    }
    super::windows::check_every_window(store, &all).await;

    let later = now + Duration::days(3650);
    store.purge(&policy, later).await.expect("purge all");
    super::windows::check_every_window(store, &[]).await;
    let empty = store
        .history(&HistoryQuery::default())
        .await
        .expect("history");
    assert_eq!(empty.pagination.total, 0);
    assert_eq!(empty.statistics, crate::HistoryStatistics::default());
}
