//! The alert history: every alert raised, repeated or recovered, and every delivery of one.

use chrono::{DateTime, Utc};

use crate::{Alert, AlertKind, ExecutionId, JobName, PageLimit, Pagination};

/// What happened to an alert, as the history records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertEventKind {
    /// The condition began (or began again after it ended): the alert was sent.
    Raised,
    /// The condition went on past the cooldown: the alert was sent again.
    Repeated,
    /// The job succeeded again: the recovery notice was sent.
    Recovered,
    /// A channel delivered the alert.
    Delivered,
    /// A channel gave up on the alert; the event's message says why.
    Failed,
    /// Any other value found in storage.
    Other(String),
}

impl AlertEventKind {
    /// The stored spelling (also the API's).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Raised => "raised",
            Self::Repeated => "repeated",
            Self::Recovered => "recovered",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Other(s) => s,
        }
    }

    /// Reads a stored value; never fails.
    pub fn from_text(text: &str) -> Self {
        match text {
            "raised" => Self::Raised,
            "repeated" => Self::Repeated,
            "recovered" => Self::Recovered,
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// How a channel's delivery of an alert ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Delivered.
    Delivered,
    /// Given up on, for this reason (no secret in it).
    Failed {
        /// Why, in a sentence.
        reason: String,
    },
}

/// One channel's delivery of one alert, for the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertDelivery {
    /// The event of the alert delivered (`None` when its state could not be stored).
    pub alert_id: Option<i64>,
    /// The alert's job.
    pub job_name: JobName,
    /// The alert's kind.
    pub kind: AlertKind,
    /// The alert's execution.
    pub execution_id: Option<ExecutionId>,
    /// The channel (`webhook`, `json-webhook`, `email`).
    pub channel: String,
    /// When the delivery ended.
    pub at: DateTime<Utc>,
    /// How it ended.
    pub outcome: DeliveryOutcome,
}

/// One entry of the alert history.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    /// Its id, increasing with time.
    pub id: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The job.
    pub job_name: JobName,
    /// The alert's kind.
    pub kind: AlertKind,
    /// What happened.
    pub event: AlertEventKind,
    /// For a delivery: the event of the alert it delivered.
    pub alert_id: Option<i64>,
    /// For a delivery: the channel.
    pub channel: Option<String>,
    /// The execution concerned.
    pub execution_id: Option<ExecutionId>,
    /// The alert's summary, or why a delivery failed.
    pub message: Option<String>,
}

impl AlertEvent {
    /// The event recording that `alert` was sent (`event`: raised, repeated or recovered) at
    /// `at`, with its summary; the store gives it its id.
    pub fn of_alert(alert: &Alert, event: AlertEventKind, at: DateTime<Utc>) -> Self {
        Self {
            id: 0,
            at,
            job_name: alert.job_name().clone(),
            kind: alert.kind(),
            event,
            alert_id: None,
            channel: None,
            execution_id: alert.execution_id(),
            message: Some(alert.summary()),
        }
    }

    /// The event recording a delivery (`delivered`, or `failed` with its reason).
    pub fn of_delivery(d: &AlertDelivery) -> Self {
        let (event, message) = match &d.outcome {
            DeliveryOutcome::Delivered => (AlertEventKind::Delivered, None),
            DeliveryOutcome::Failed { reason } => (AlertEventKind::Failed, Some(reason.clone())),
        };
        Self {
            id: 0,
            at: d.at,
            job_name: d.job_name.clone(),
            kind: d.kind,
            event,
            alert_id: d.alert_id,
            channel: Some(d.channel.clone()),
            execution_id: d.execution_id,
            message,
        }
    }
}

/// A page request for the alert history, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertEventQuery {
    /// The page size.
    pub limit: PageLimit,
    /// How many events to skip.
    pub offset: u64,
    /// Only this job's events.
    pub job_name: Option<JobName>,
    /// Only alerts of this kind (and their deliveries).
    pub kind: Option<AlertKind>,
}

/// A page of the alert history.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEventPage {
    /// The events, newest first.
    pub events: Vec<AlertEvent>,
    /// Where the page stands.
    pub pagination: Pagination,
}

impl AlertEventPage {
    /// Builds a page from its events and the number of events matching the query.
    pub fn new(query: &AlertEventQuery, events: Vec<AlertEvent>, total: i64) -> Self {
        let end = query.offset.saturating_add(u64::from(query.limit.get()));
        Self {
            events,
            pagination: Pagination {
                total,
                limit: query.limit.get(),
                offset: query.offset,
                has_more: u64::try_from(total).is_ok_and(|t| end < t),
            },
        }
    }
}
