//! Alert state and history: whether a job is in alert for a condition, the rule that decides
//! whether one occurrence of the condition reaches people (raised, repeated after the cooldown,
//! suppressed within it, or a duplicate of one already decided), and the history of alerts and
//! their deliveries.
//!
//! The rule is a plain function ([`AlertClaim::judge`]) so that every
//! [`AlertStore`](crate::AlertStore) applies it identically; what a store adds is atomicity:
//! two replicas that see the same condition get one `Raised` between them.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

use crate::{Alert, Error, ExecutionId, JobName};

mod history;

pub use history::{
    AlertDelivery, AlertEvent, AlertEventKind, AlertEventPage, AlertEventQuery, DeliveryOutcome,
};

/// What an alert is about, as stored and filtered (`failure_threshold`, `late`,
/// `overlong`, `recovered`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    /// A job's consecutive failures reached the threshold.
    FailureThreshold,
    /// A scheduled tick has no run.
    Late,
    /// A run exceeded the maximum duration.
    Overlong,
    /// A job succeeded again after a failure alert.
    Recovered,
}

impl AlertKind {
    /// Every kind, in a stable order.
    pub const ALL: [Self; 4] = [
        Self::FailureThreshold,
        Self::Late,
        Self::Overlong,
        Self::Recovered,
    ];

    /// The stored spelling (also the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FailureThreshold => "failure_threshold",
            Self::Late => "late",
            Self::Overlong => "overlong",
            Self::Recovered => "recovered",
        }
    }

    /// Reads a spelling; `None` when it names no kind.
    pub fn from_text(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Parses a caller's value (the `kind` parameter), saying which values are accepted.
    pub fn parse(text: &str) -> Result<Self, Error> {
        Self::from_text(&text.to_ascii_lowercase()).ok_or_else(|| {
            Error::invalid(
                "kind",
                format!(
                    "kind must be failure_threshold, late, overlong or recovered, got {text:?}"
                ),
            )
        })
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Alert {
    /// The alert's kind.
    pub fn kind(&self) -> AlertKind {
        match self {
            Self::FailureThreshold { .. } => AlertKind::FailureThreshold,
            Self::Late { .. } => AlertKind::Late,
            Self::Overlong { .. } => AlertKind::Overlong,
            Self::Recovered { .. } => AlertKind::Recovered,
        }
    }

    /// The job it is about.
    pub fn job_name(&self) -> &JobName {
        match self {
            Self::FailureThreshold { job_name, .. }
            | Self::Late { job_name, .. }
            | Self::Overlong { job_name, .. }
            | Self::Recovered { job_name, .. } => job_name,
        }
    }

    /// The execution it is about, when there is one (a late tick has none).
    pub fn execution_id(&self) -> Option<ExecutionId> {
        match self {
            Self::FailureThreshold { execution_id, .. }
            | Self::Overlong { execution_id, .. }
            | Self::Recovered { execution_id, .. } => Some(*execution_id),
            Self::Late { .. } => None,
        }
    }

    /// What identifies this occurrence of the condition: the failed or overlong run, or the
    /// late tick. Two claims with the same subject are the same occurrence.
    pub fn subject(&self) -> String {
        match self {
            Self::Late { tick, .. } => crate::format_utc_millis(tick),
            other => other
                .execution_id()
                .map(|id| id.to_string())
                .unwrap_or_default(),
        }
    }
}

/// The stored state of one condition (failure threshold, late, overlong) of one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertState {
    /// The job.
    pub job_name: JobName,
    /// The condition.
    pub kind: AlertKind,
    /// Whether the job is in alert for it now.
    pub active: bool,
    /// The last occurrence decided ([`Alert::subject`]).
    pub subject: Option<String>,
    /// When the current (or last) alert was raised.
    pub raised_at: Option<DateTime<Utc>>,
    /// When the alert was last sent (raised or repeated).
    pub last_sent_at: Option<DateTime<Utc>>,
    /// How many times it was repeated since it was raised.
    pub repeats: i32,
    /// When the last alert ended (recovery, or a run that cleared the condition).
    pub resolved_at: Option<DateTime<Utc>>,
}

impl AlertState {
    /// A job's condition that was never in alert.
    pub fn new(job_name: JobName, kind: AlertKind) -> Self {
        Self {
            job_name,
            kind,
            active: false,
            subject: None,
            raised_at: None,
            last_sent_at: None,
            repeats: 0,
            resolved_at: None,
        }
    }

    /// The state after the condition ended at `at`.
    pub fn resolved(&self, at: DateTime<Utc>) -> Self {
        Self {
            active: false,
            resolved_at: Some(at),
            ..self.clone()
        }
    }
}

/// One occurrence of a condition, for a store to decide on ([`crate::AlertStore::claim`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertClaim {
    /// The alert it would send: a failure threshold, a late tick or an overlong run.
    pub alert: Alert,
    /// When it occurred.
    pub at: DateTime<Utc>,
    /// The least time between two sends of an alert that is still on.
    pub cooldown: Duration,
    /// Whether the occurrence begins a new episode (the threshold was just reached), which is
    /// raised even while the job is still recorded in alert.
    pub fresh: bool,
}

/// How a store decided on a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send it: the condition began.
    Raise,
    /// Send it again: the condition went on past the cooldown.
    Repeat,
    /// Do not send: it was sent within the cooldown.
    Suppress,
    /// Do not send: this occurrence was already decided (by another replica or call).
    Duplicate,
}

impl Verdict {
    /// Whether the alert is sent.
    pub fn sends(self) -> bool {
        matches!(self, Self::Raise | Self::Repeat)
    }
}

impl AlertClaim {
    /// The rule every store applies: the verdict on this claim given the condition's stored
    /// state, and the state to store.
    pub fn judge(&self, state: Option<&AlertState>) -> (Verdict, AlertState) {
        let subject = self.alert.subject();
        let raised = |state: AlertState| AlertState {
            active: true,
            subject: Some(subject.clone()),
            raised_at: Some(self.at),
            last_sent_at: Some(self.at),
            repeats: 0,
            resolved_at: None,
            ..state
        };
        let blank = || AlertState::new(self.alert.job_name().clone(), self.alert.kind());
        match state {
            None => (Verdict::Raise, raised(blank())),
            Some(s) if !s.active => (Verdict::Raise, raised(s.clone())),
            Some(s) if s.subject.as_deref() == Some(subject.as_str()) => {
                (Verdict::Duplicate, s.clone())
            }
            Some(s) if self.fresh => (Verdict::Raise, raised(s.clone())),
            Some(s) if s.last_sent_at.is_none_or(|t| self.at - t >= self.cooldown) => (
                Verdict::Repeat,
                AlertState {
                    subject: Some(subject),
                    last_sent_at: Some(self.at),
                    repeats: s.repeats.saturating_add(1),
                    ..s.clone()
                },
            ),
            Some(s) => (
                Verdict::Suppress,
                AlertState {
                    subject: Some(subject),
                    ..s.clone()
                },
            ),
        }
    }
}

/// A store's answer to a claim: the verdict and, when the alert is sent, the id of the history
/// event recording it (which its deliveries refer to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertDecision {
    /// The verdict.
    pub verdict: Verdict,
    /// The `raised` or `repeated` event, when the alert is sent.
    pub event_id: Option<i64>,
}

#[cfg(test)]
mod tests;
