//! The alert state and history port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    Alert, AlertClaim, AlertDecision, AlertDelivery, AlertEventPage, AlertEventQuery, AlertKind,
    AlertState, JobName, Result,
};

/// Keeps whether each job is in alert per condition, decides atomically whether an
/// occurrence is sent, and records the alert history.
///
/// Every implementation passes the conformance suite in `testing::alert_conformance`; the
/// rules it pins are summed up here.
/// - [`AlertStore::claim`] applies [`AlertClaim::judge`] to the stored state and stores the
///   result in one atomic step, so that concurrent claims of one occurrence (two replicas
///   seeing the same late tick) get one `Raise` and `Duplicate`s.
/// - A claim that sends records a `raised` or `repeated` event; [`AlertStore::recover`]
///   records `recovered` only when it ends an active failure alert, once.
/// - The history is newest first, filtered by job and kind (a kind's deliveries included).
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Decides on one occurrence of a condition (see [`AlertClaim::judge`]) and, when the
    /// alert is sent, records its event.
    async fn claim(&self, claim: &AlertClaim) -> Result<AlertDecision>;

    /// Ends the job's active failure alert, recording `notice` (an [`Alert::Recovered`]) as a
    /// `recovered` event; gives the event's id, or `None` when the job was not in alert (the
    /// notice is then not sent). Fails with `InvalidParameter` for another kind of alert.
    async fn recover(&self, notice: &Alert, at: DateTime<Utc>) -> Result<Option<i64>>;

    /// Ends the job's alerts of `kinds` without a notice (a run finished: the job is neither
    /// late nor running over its limit any more).
    async fn clear(&self, job_name: &JobName, kinds: &[AlertKind], at: DateTime<Utc>)
    -> Result<()>;

    /// Records a channel's delivery of an alert; gives the event's id.
    async fn record_delivery(&self, delivery: &AlertDelivery) -> Result<i64>;

    /// The stored state of a job's condition, if it was ever claimed.
    async fn state(&self, job_name: &JobName, kind: AlertKind) -> Result<Option<AlertState>>;

    /// The jobs in alert for `kind` now, by name, in one read (the command line's late jobs:
    /// what the service's schedulers found and the database keeps).
    async fn in_alert(&self, kind: AlertKind) -> Result<Vec<JobName>>;

    /// A page of the alert history, newest first.
    async fn events(&self, query: &AlertEventQuery) -> Result<AlertEventPage>;

    /// Deletes the history's events older than `before`, `batch` at a time (the retention
    /// purge); gives how many. The alert state is kept.
    async fn purge_events(&self, before: DateTime<Utc>, batch: u32) -> Result<u64>;
}
