//! Operator control: cancel requests on running executions, and paused jobs.

use super::*;
use crate::{CancelRequest, JobPause};

/// A cancel request is kept on the RUNNING execution (the first one wins), is given back by
/// every later heartbeat, and shows in reads of the execution.
pub async fn cancel_request_is_seen_by_heartbeats(store: &dyn ExecutionStore) {
    let j = job("feed");
    let e = store
        .create_running(new_run(&j, t0(), TriggeredBy::Cron))
        .await
        .expect("create");
    let other = store
        .create_running(new_run(&job("other"), t0(), TriggeredBy::Cron))
        .await
        .expect("create other");
    let idle = Progress::default();
    let beat = |at| store.heartbeat(&e.id, &idle, at);
    assert_eq!(beat(t0() + Duration::seconds(10)).await, Ok(None));
    let first = CancelRequest::new("token:admin", t0() + Duration::seconds(15));
    let asked = store.request_cancel(&e.id, &first).await.expect("cancel");
    assert_eq!(asked.id, e.id);
    assert_eq!(asked.status, ExecutionStatus::Running);
    assert_eq!(asked.cancel_requested.as_ref(), Some(&first));
    let again = CancelRequest::new("cli:ana", t0() + Duration::seconds(16));
    let kept = store.request_cancel(&e.id, &again).await.expect("again");
    assert_eq!(
        kept.cancel_requested.as_ref(),
        Some(&first),
        "the first is kept"
    );
    assert_eq!(
        beat(t0() + Duration::seconds(20)).await,
        Ok(Some(first.clone()))
    );
    let read = store.get(&e.id).await.expect("get").expect("found");
    assert_eq!(read.cancel_requested.as_ref(), Some(&first));
    assert_eq!(read.heartbeat_at, Some(t0() + Duration::seconds(20)));
    assert_eq!(
        store
            .running(Some(&j))
            .await
            .expect("running")
            .first()
            .and_then(|r| r.cancel_requested.clone()),
        Some(first.clone())
    );
    assert_eq!(
        store.heartbeat(&other.id, &Progress::default(), t0()).await,
        Ok(None),
        "another run is not asked"
    );
}

/// Only a RUNNING execution can be asked to cancel: an unknown one is `NotFound`, a finished
/// one `NotRunning` (and keeps no request).
pub async fn cancel_refused_unless_running(store: &dyn ExecutionStore) {
    let request = CancelRequest::new("token:admin", t0());
    let unknown = ExecutionId::new();
    assert_eq!(
        store.request_cancel(&unknown, &request).await,
        Err(Error::NotFound(unknown))
    );
    let done = run(
        store,
        &job("feed"),
        t0(),
        ExecutionStatus::Success,
        counts(1, 1, 0, 0),
        TriggeredBy::Cron,
    )
    .await;
    assert_eq!(
        store.request_cancel(&done.id, &request).await,
        Err(Error::NotRunning {
            execution_id: done.id,
            status: ExecutionStatus::Success
        })
    );
    let read = store.get(&done.id).await.expect("get").expect("found");
    assert_eq!(read.cancel_requested, None);
}

/// A cancelled run ends through the ordinary finish: FAILED, counted in the history and its
/// aggregates, its failures in a row counted; its request stays on the record.
pub async fn cancelled_run_finishes_as_failed(store: &dyn ExecutionStore) {
    let j = job("feed");
    let e = store
        .create_running(new_run(&j, t0(), TriggeredBy::Api))
        .await
        .expect("create");
    let request = CancelRequest::new("jwt:ana", t0() + Duration::seconds(3));
    store.request_cancel(&e.id, &request).await.expect("cancel");
    let finish = FinishExecution {
        last_error: Some(request.last_error()),
        ..finish_with(
            ExecutionStatus::Failed,
            t0() + Duration::seconds(4),
            counts(5, 5, 0, 0),
        )
    };
    let done = store.finish(&e.id, finish).await.expect("finish").execution;
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.last_error.as_deref(), Some("cancelled by jwt:ana"));
    assert_eq!(done.consecutive_failures, 1);
    let read = store.get(&e.id).await.expect("get").expect("found");
    assert_eq!(read.cancel_requested, Some(request));
    assert_eq!(read.last_error.as_deref(), Some("cancelled by jwt:ana"));
    let q = HistoryQuery {
        status: Some(ExecutionStatus::Failed),
        ..HistoryQuery::default()
    };
    let page = store.history(&q).await.expect("history");
    assert_eq!(page.pagination.total, 1);
    assert_eq!(page.statistics.total_properties_processed, 5);
}

/// A run asked to cancel whose instance died is recovered by the sweep as any other.
pub async fn cancelled_stale_run_is_recovered(store: &dyn ExecutionStore) {
    let e = store
        .create_running(new_run(&job("feed"), t0(), TriggeredBy::Cron))
        .await
        .expect("create");
    store
        .request_cancel(&e.id, &CancelRequest::new("token:admin", t0()))
        .await
        .expect("cancel");
    let recovered = store
        .recover_stale(t0() + Duration::minutes(5), Duration::minutes(2), &[])
        .await
        .expect("recover");
    assert_eq!(
        recovered.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![e.id]
    );
    let read = store.get(&e.id).await.expect("get").expect("found");
    assert_eq!(read.status, ExecutionStatus::Failed);
    assert!(
        read.last_error
            .as_deref()
            .is_some_and(|m| m.starts_with("abandoned")),
        "{read:?}"
    );
}

/// Pausing keeps the first pause (idempotent), resuming lifts it once, and the list has
/// every paused job by name.
pub async fn pause_and_resume_are_idempotent(store: &dyn ExecutionStore) {
    assert_eq!(store.paused_jobs().await.expect("none"), Vec::new());
    let (a, b) = (job("b-feed"), job("a-feed"));
    let first = JobPause::new(a.clone(), "token:admin", t0(), Some("partner maintenance"));
    assert_eq!(store.pause_job(&first).await.expect("pause"), first);
    let later = JobPause::new(a.clone(), "cli:ana", t0() + Duration::minutes(1), None);
    assert_eq!(
        store.pause_job(&later).await.expect("again"),
        first,
        "the first pause is kept"
    );
    let other = JobPause::new(b.clone(), "jwt:bo", t0() + Duration::seconds(1), None);
    store.pause_job(&other).await.expect("pause b");
    assert_eq!(
        store.paused_jobs().await.expect("list"),
        vec![other.clone(), first.clone()],
        "by name"
    );
    assert_eq!(store.resume_job(&a).await.expect("resume"), Some(first));
    assert_eq!(store.resume_job(&a).await.expect("again"), None);
    assert_eq!(store.paused_jobs().await.expect("list"), vec![other]);
    assert_eq!(store.resume_job(&job("never")).await.expect("never"), None);
    let renewed = JobPause::new(a.clone(), "cli:ana", t0() + Duration::hours(1), None);
    assert_eq!(store.pause_job(&renewed).await.expect("pause"), renewed);
}
