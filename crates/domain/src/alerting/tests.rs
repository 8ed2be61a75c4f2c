//! The claim rule: raise, duplicate, repeat after the cooldown, suppress within it, and a
//! fresh episode while still recorded in alert.

use chrono::{Duration, TimeZone, Utc};

use super::*;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn failing(execution_id: ExecutionId, minutes: i64, fresh: bool) -> AlertClaim {
    AlertClaim {
        alert: Alert::FailureThreshold {
            job_name: JobName::parse("feed").unwrap(),
            consecutive_failures: 3,
            threshold: 3,
            last_error: None,
            execution_id,
        },
        at: at(minutes),
        cooldown: Duration::minutes(60),
        fresh,
    }
}

#[test]
fn raise_then_duplicate_suppress_repeat() {
    let (a, b, c) = (ExecutionId::new(), ExecutionId::new(), ExecutionId::new());
    let (verdict, state) = failing(a, 0, true).judge(None);
    assert_eq!(verdict, Verdict::Raise);
    assert!(state.active);
    assert_eq!(state.raised_at, Some(at(0)));
    let (verdict, same) = failing(a, 1, true).judge(Some(&state));
    assert_eq!(verdict, Verdict::Duplicate, "the same run claimed twice");
    assert_eq!(same, state);
    let (verdict, state) = failing(b, 30, false).judge(Some(&state));
    assert_eq!(verdict, Verdict::Suppress);
    assert_eq!(state.last_sent_at, Some(at(0)));
    let (verdict, state) = failing(c, 60, false).judge(Some(&state));
    assert_eq!(verdict, Verdict::Repeat);
    assert_eq!((state.last_sent_at, state.repeats), (Some(at(60)), 1));
    assert_eq!(
        state.raised_at,
        Some(at(0)),
        "a repeat keeps the raise time"
    );
}

#[test]
fn a_fresh_episode_or_a_resolved_state_raises() {
    let (a, b) = (ExecutionId::new(), ExecutionId::new());
    let (_, state) = failing(a, 0, true).judge(None);
    let (verdict, _) = failing(b, 5, true).judge(Some(&state));
    assert_eq!(verdict, Verdict::Raise, "the threshold was reached again");
    let (verdict, state) = failing(b, 5, false).judge(Some(&state.resolved(at(2))));
    assert_eq!(verdict, Verdict::Raise);
    assert_eq!(state.resolved_at, None);
}

#[test]
fn kinds_and_events_round_trip_their_spelling() {
    for kind in AlertKind::ALL {
        assert_eq!(AlertKind::from_text(kind.as_str()), Some(kind));
        assert_eq!(AlertKind::parse(&kind.as_str().to_uppercase()), Ok(kind));
    }
    assert!(AlertKind::parse("loud").is_err());
    for event in [
        "raised",
        "repeated",
        "recovered",
        "delivered",
        "failed",
        "odd",
    ] {
        assert_eq!(AlertEventKind::from_text(event).as_str(), event);
    }
}
