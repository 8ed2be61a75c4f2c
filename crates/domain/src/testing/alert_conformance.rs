//! The conformance suite of [`AlertStore`], run by every implementation through
//! [`alert_store_conformance!`](crate::alert_store_conformance) against a fresh store.

use chrono::{DateTime, Duration};

use super::conformance::t0;
use crate::{
    Alert, AlertClaim, AlertDelivery, AlertEventKind, AlertEventQuery, AlertKind, AlertStore,
    DeliveryOutcome, ExecutionId, JobName, PageLimit, Verdict,
};

/// Gives a test its alert store.
pub trait AlertFixture {
    /// The store under test.
    fn alerts(&self) -> &dyn AlertStore;
}

impl AlertFixture for super::InMemoryAlertStore {
    fn alerts(&self) -> &dyn AlertStore {
        self
    }
}

/// Expands to one `#[test]` per alert-store conformance case (see
/// [`execution_store_conformance!`](crate::execution_store_conformance) for the arguments).
#[macro_export]
macro_rules! alert_store_conformance {
    (run = $run:path, store = $make:expr) => {
        $crate::alert_store_conformance!(@cases $run, $make;
            first_claim_raises_and_repeats_follow_the_cooldown, concurrent_claims_raise_once,
            recovery_ends_the_alert_once, clear_ends_late_and_overlong, conditions_are_separate,
            history_pages_and_filters);
    };
    (@cases $run:path, $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $run(async {
                    let Some(fixture) = $make.await else { return };
                    let store = $crate::testing::alert_conformance::AlertFixture::alerts(&fixture);
                    $crate::testing::alert_conformance::$case(store).await;
                });
            }
        )*
    };
}

fn job(name: &str) -> JobName {
    JobName::parse(name).unwrap_or_else(|_| JobName::default_import())
}

/// A failure-threshold claim of run `execution_id` at `at` (cooldown 1 h).
pub fn failing(job_name: &str, execution_id: ExecutionId, at: DateTime<chrono::Utc>) -> AlertClaim {
    AlertClaim {
        alert: Alert::FailureThreshold {
            job_name: job(job_name),
            consecutive_failures: 3,
            threshold: 3,
            last_error: Some("feed unreachable".into()),
            execution_id,
        },
        at,
        cooldown: Duration::hours(1),
        fresh: false,
    }
}

fn late(job_name: &str, tick: DateTime<chrono::Utc>) -> AlertClaim {
    AlertClaim {
        alert: Alert::Late {
            job_name: job(job_name),
            tick,
            grace_seconds: 300,
        },
        at: tick + Duration::minutes(5),
        cooldown: Duration::hours(1),
        fresh: false,
    }
}

fn recovered(job_name: &str) -> Alert {
    Alert::Recovered {
        job_name: job(job_name),
        after_failures: 4,
        execution_id: ExecutionId::new(),
    }
}

/// The first claim raises (recording a `raised` event); the same run again is a duplicate; a
/// later run within the cooldown is suppressed, past it repeated.
pub async fn first_claim_raises_and_repeats_follow_the_cooldown(store: &dyn AlertStore) {
    let first = ExecutionId::new();
    let raised = store
        .claim(&failing("feed", first, t0()))
        .await
        .expect("claim");
    assert_eq!(raised.verdict, Verdict::Raise);
    let id = raised.event_id.expect("a raised alert is recorded");
    let again = store
        .claim(&failing("feed", first, t0() + Duration::minutes(1)))
        .await;
    assert_eq!(again.expect("claim").verdict, Verdict::Duplicate);
    let within = failing("feed", ExecutionId::new(), t0() + Duration::minutes(30));
    let within = store.claim(&within).await.expect("claim");
    assert_eq!((within.verdict, within.event_id), (Verdict::Suppress, None));
    let past = failing("feed", ExecutionId::new(), t0() + Duration::minutes(61));
    let past = store.claim(&past).await.expect("claim");
    assert_eq!(past.verdict, Verdict::Repeat);
    assert!(past.event_id.is_some_and(|r| r > id), "ids grow with time");
    let state = store
        .state(&job("feed"), AlertKind::FailureThreshold)
        .await
        .expect("state")
        .expect("stored");
    assert!(state.active);
    assert_eq!(state.raised_at, Some(t0()));
    assert_eq!(state.last_sent_at, Some(t0() + Duration::minutes(61)));
    assert_eq!(state.repeats, 1);
    let mut fresh = failing("feed", ExecutionId::new(), t0() + Duration::minutes(62));
    fresh.fresh = true;
    let fresh = store.claim(&fresh).await.expect("claim");
    assert_eq!(
        fresh.verdict,
        Verdict::Raise,
        "a new episode raises at once"
    );
}

/// Twenty claims of one occurrence at once (replicas seeing the same late tick, or
/// finishing the same run) raise once; the others are duplicates.
pub async fn concurrent_claims_raise_once(store: &dyn AlertStore) {
    let claim = late("race", t0());
    let results = futures::future::join_all((0..20).map(|_| store.claim(&claim))).await;
    let verdicts: Vec<Verdict> = results
        .into_iter()
        .map(|r| r.expect("claim").verdict)
        .collect();
    assert_eq!(
        verdicts.iter().filter(|v| **v == Verdict::Raise).count(),
        1,
        "{verdicts:?}"
    );
    assert!(
        verdicts
            .iter()
            .all(|v| matches!(v, Verdict::Raise | Verdict::Duplicate))
    );
    let page = store
        .events(&AlertEventQuery::default())
        .await
        .expect("events");
    assert_eq!(page.events.len(), 1, "one raised event");
    let other_runs = (0..10).map(|i| {
        let claim = failing("race-2", ExecutionId::new(), t0() + Duration::seconds(i));
        async move { store.claim(&claim).await }
    });
    let results = futures::future::join_all(other_runs).await;
    let sent = results
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|d| d.verdict.sends()))
        .count();
    assert_eq!(sent, 1, "different runs within the cooldown: one alert");
}

/// Recovery ends an active failure alert once (recording `recovered`); without an alert, or
/// a second time, it records nothing. Another kind of alert is refused.
pub async fn recovery_ends_the_alert_once(store: &dyn AlertStore) {
    let at = t0() + Duration::minutes(10);
    assert_eq!(store.recover(&recovered("feed"), at).await, Ok(None));
    store
        .claim(&failing("feed", ExecutionId::new(), t0()))
        .await
        .expect("claim");
    let notice = recovered("feed");
    let notices = futures::future::join_all((0..5).map(|_| store.recover(&notice, at))).await;
    let ended: Vec<i64> = notices
        .into_iter()
        .filter_map(|r| r.expect("recover"))
        .collect();
    assert_eq!(ended.len(), 1, "one recovery notice");
    let state = store
        .state(&job("feed"), AlertKind::FailureThreshold)
        .await
        .expect("state")
        .expect("stored");
    assert!(!state.active);
    assert_eq!(state.resolved_at, Some(at));
    let claim = failing("feed", ExecutionId::new(), at + Duration::minutes(1));
    assert_eq!(
        store.claim(&claim).await.expect("claim").verdict,
        Verdict::Raise,
        "after a recovery the next alert is raised, whatever the cooldown"
    );
    let wrong = failing("feed", ExecutionId::new(), at).alert;
    assert!(store.recover(&wrong, at).await.is_err());
}

/// `clear` ends late and overlong alerts silently; the next late tick raises again.
pub async fn clear_ends_late_and_overlong(store: &dyn AlertStore) {
    let first = store.claim(&late("feed", t0())).await.expect("claim");
    assert_eq!(first.verdict, Verdict::Raise);
    let in_alert = |kind| async move { store.in_alert(kind).await.expect("in alert") };
    assert_eq!(in_alert(AlertKind::Late).await, [job("feed")]);
    let later = late("feed", t0() + Duration::minutes(1));
    assert_eq!(
        store.claim(&later).await.expect("claim").verdict,
        Verdict::Suppress
    );
    let at = t0() + Duration::minutes(20);
    store
        .clear(&job("feed"), &[AlertKind::Late, AlertKind::Overlong], at)
        .await
        .expect("clear");
    let state = store
        .state(&job("feed"), AlertKind::Late)
        .await
        .expect("state")
        .expect("stored");
    assert_eq!((state.active, state.resolved_at), (false, Some(at)));
    assert!(in_alert(AlertKind::Late).await.is_empty(), "no longer late");
    assert_eq!(
        store.state(&job("feed"), AlertKind::Overlong).await,
        Ok(None),
        "clearing a condition never claimed stores nothing"
    );
    let next = late("feed", t0() + Duration::minutes(30));
    assert_eq!(
        store.claim(&next).await.expect("claim").verdict,
        Verdict::Raise
    );
}

/// Jobs and conditions keep separate states.
pub async fn conditions_are_separate(store: &dyn AlertStore) {
    let run = ExecutionId::new();
    for claim in [
        failing("a", run, t0()),
        failing("b", run, t0()),
        late("a", t0()),
    ] {
        assert_eq!(
            store.claim(&claim).await.expect("claim").verdict,
            Verdict::Raise
        );
    }
    assert_eq!(store.state(&job("c"), AlertKind::Late).await, Ok(None));
    let in_alert = |kind| async move { store.in_alert(kind).await.expect("in alert") };
    assert_eq!(
        in_alert(AlertKind::FailureThreshold).await,
        [job("a"), job("b")]
    );
    assert_eq!(in_alert(AlertKind::Late).await, [job("a")]);
    assert!(in_alert(AlertKind::Overlong).await.is_empty());
}

/// The history is newest first, paged, filtered by job and by kind (deliveries included).
pub async fn history_pages_and_filters(store: &dyn AlertStore) {
    let run = ExecutionId::new();
    let raised = store
        .claim(&failing("feed", run, t0()))
        .await
        .expect("claim")
        .event_id;
    let delivery = |channel: &str, outcome| AlertDelivery {
        alert_id: raised,
        job_name: job("feed"),
        kind: AlertKind::FailureThreshold,
        execution_id: Some(run),
        channel: channel.into(),
        at: t0() + Duration::seconds(1),
        outcome,
    };
    store
        .record_delivery(&delivery("email", DeliveryOutcome::Delivered))
        .await
        .expect("delivery");
    let reason = "after 3 attempts: HTTP status 503 Service Unavailable".to_owned();
    store
        .record_delivery(&delivery(
            "webhook",
            DeliveryOutcome::Failed {
                reason: reason.clone(),
            },
        ))
        .await
        .expect("delivery");
    store.claim(&late("other", t0())).await.expect("claim");
    let all = store
        .events(&AlertEventQuery::default())
        .await
        .expect("events");
    assert_eq!(all.pagination.total, 4);
    let events: Vec<&str> = all.events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        events,
        ["raised", "failed", "delivered", "raised"],
        "newest first"
    );
    let failed = &all.events[1];
    assert_eq!(failed.message.as_deref(), Some(reason.as_str()));
    assert_eq!(failed.channel.as_deref(), Some("webhook"));
    assert_eq!(failed.alert_id, raised);
    assert_eq!(failed.execution_id, Some(run));
    let first = &all.events[3];
    assert_eq!(first.event, AlertEventKind::Raised);
    assert_eq!(first.at, t0());
    assert!(
        first
            .message
            .as_deref()
            .is_some_and(|m| m.contains("feed unreachable")),
        "{first:?}"
    );
    let feed = AlertEventQuery {
        job_name: Some(job("feed")),
        limit: PageLimit::new(2).expect("limit"),
        ..Default::default()
    };
    let page = store.events(&feed).await.expect("events");
    assert_eq!((page.events.len(), page.pagination.total), (2, 3));
    assert!(page.pagination.has_more);
    let next = store
        .events(&AlertEventQuery { offset: 2, ..feed })
        .await
        .expect("events");
    assert_eq!(next.events.len(), 1);
    assert!(!next.pagination.has_more);
    let lates = AlertEventQuery {
        kind: Some(AlertKind::Late),
        ..Default::default()
    };
    let page = store.events(&lates).await.expect("events");
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].job_name, job("other"));

    // Retention: the events older than the cutoff go, in batches; the newer ones stay.
    let purged = store
        .purge_events(t0() + Duration::seconds(2), 1)
        .await
        .expect("purge");
    assert_eq!(
        purged, 3,
        "the alert raised at t0 and its deliveries at t0 + 1 s"
    );
    let left = store
        .events(&AlertEventQuery::default())
        .await
        .expect("events");
    let events: Vec<(&str, &str)> = left
        .events
        .iter()
        .map(|e| (e.event.as_str(), e.job_name.as_str()))
        .collect();
    assert_eq!(
        events,
        [("raised", "other")],
        "the late alert, raised 5 min after t0"
    );
}
