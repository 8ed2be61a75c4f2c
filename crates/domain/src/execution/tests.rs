//! Unit tests of the execution types and the consecutive-failure rule.
use super::*;

#[test]
fn status_parses_case_insensitively_and_is_spelled_upper() {
    assert_eq!(
        "failed".parse::<ExecutionStatus>(),
        Ok(ExecutionStatus::Failed)
    );
    assert_eq!(
        "PARTIAL".parse::<ExecutionStatus>(),
        Ok(ExecutionStatus::Partial)
    );
    assert!("DONE".parse::<ExecutionStatus>().is_err());
    assert_eq!(ExecutionStatus::Success.as_str(), "SUCCESS");
}

#[test]
fn triggered_by_keeps_unknown_values() {
    assert_eq!(TriggeredBy::from_text("api"), TriggeredBy::Api);
    let other = TriggeredBy::from_text("webhook");
    assert_eq!(other.as_str(), "webhook");
}

#[test]
fn consecutive_failures_follow_the_rule() {
    assert_eq!(next_consecutive_failures(ExecutionStatus::Failed, 2, 1), 3);
    assert_eq!(next_consecutive_failures(ExecutionStatus::Failed, 3, 2), 3);
    assert_eq!(next_consecutive_failures(ExecutionStatus::Partial, 2, 1), 0);
    assert_eq!(next_consecutive_failures(ExecutionStatus::Success, 5, 3), 0);
    assert_eq!(
        next_consecutive_failures(ExecutionStatus::Failed, i32::MAX, 1),
        i32::MAX
    );
}

#[test]
fn error_log_caps_and_counts_the_rest() {
    let mut log = ErrorLog::default();
    for i in 0..105 {
        log.push(ItemError {
            external_id: Some(i.to_string()),
            stage: "map".into(),
            message: "bad".into(),
        });
    }
    assert_eq!(log.items.len(), ErrorLog::CAP);
    assert_eq!(log.omitted, 5);
}
