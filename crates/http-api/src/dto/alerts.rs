//! The alert history's body: every alert raised, repeated or recovered, and every delivery.

use propimport_domain::{AlertEvent, AlertEventPage};
use serde::Serialize;
use utoipa::ToSchema;

use super::{PaginationView, millis};

/// What an alert is about (the `kind` filter accepts any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AlertKind)]
pub enum AlertKindName {
    /// A job's consecutive failures reached the alert threshold.
    FailureThreshold,
    /// A scheduled tick had no run within the lateness grace.
    Late,
    /// A run exceeded the maximum duration.
    Overlong,
    /// A job succeeded again after a failure alert.
    Recovered,
}

/// What happened to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AlertEventType)]
pub enum AlertEventName {
    /// The condition began: the alert was sent to the job's channels.
    Raised,
    /// The condition went on past the cooldown: the alert was sent again.
    Repeated,
    /// The job succeeded again: the recovery notice was sent.
    Recovered,
    /// A channel delivered the alert (`alertId` names it).
    Delivered,
    /// A channel gave up on the alert; `message` says why.
    Failed,
}

/// One entry of the alert history.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertEventView {
    /// Row id, increasing with time.
    pub id: i64,
    /// When.
    #[schema(format = DateTime)]
    pub at: String,
    /// The job.
    pub job_name: String,
    /// The alert's kind.
    #[schema(value_type = AlertKindName, example = "failure_threshold")]
    pub kind: String,
    /// What happened.
    #[schema(value_type = AlertEventName, example = "raised")]
    pub event: String,
    /// For a delivery: the id of the alert event it delivered.
    pub alert_id: Option<i64>,
    /// For a delivery: the channel (`webhook`, `json-webhook`, `email`).
    pub channel: Option<String>,
    /// The execution concerned (none for a late tick).
    #[schema(format = Uuid)]
    pub execution_id: Option<String>,
    /// The alert's summary, or why a delivery failed.
    pub message: Option<String>,
}

impl From<&AlertEvent> for AlertEventView {
    fn from(e: &AlertEvent) -> Self {
        Self {
            id: e.id,
            at: millis(&e.at),
            job_name: e.job_name.to_string(),
            kind: e.kind.as_str().to_owned(),
            event: e.event.as_str().to_owned(),
            alert_id: e.alert_id,
            channel: e.channel.clone(),
            execution_id: e.execution_id.as_ref().map(ToString::to_string),
            message: e.message.clone(),
        }
    }
}

/// The answer of `/alerts`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertLogView {
    /// The page of events, newest first.
    pub events: Vec<AlertEventView>,
    /// Paging.
    pub pagination: PaginationView,
}

impl From<&AlertEventPage> for AlertLogView {
    fn from(page: &AlertEventPage) -> Self {
        Self {
            events: page.events.iter().map(AlertEventView::from).collect(),
            pagination: PaginationView::from(&page.pagination),
        }
    }
}
