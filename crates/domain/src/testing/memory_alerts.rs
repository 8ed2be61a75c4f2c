//! An in-memory [`AlertStore`], the reference the SQL store is held to.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    Alert, AlertClaim, AlertDecision, AlertDelivery, AlertEvent, AlertEventKind, AlertEventPage,
    AlertEventQuery, AlertKind, AlertState, AlertStore, Error, JobName, Result,
};

/// Alert states and events kept behind one mutex (which makes every claim atomic).
#[derive(Debug, Default)]
pub struct InMemoryAlertStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    states: BTreeMap<(JobName, AlertKind), AlertState>,
    events: Vec<AlertEvent>,
}

impl Inner {
    fn push(&mut self, mut event: AlertEvent) -> i64 {
        let id = i64::try_from(self.events.len()).unwrap_or(i64::MAX) + 1;
        event.id = id;
        self.events.push(event);
        id
    }
}

impl InMemoryAlertStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl AlertStore for InMemoryAlertStore {
    async fn claim(&self, claim: &AlertClaim) -> Result<AlertDecision> {
        let mut inner = self.inner();
        let key = (claim.alert.job_name().clone(), claim.alert.kind());
        let (verdict, state) = claim.judge(inner.states.get(&key));
        inner.states.insert(key, state);
        let event = match verdict {
            crate::Verdict::Raise => Some(AlertEventKind::Raised),
            crate::Verdict::Repeat => Some(AlertEventKind::Repeated),
            _ => None,
        };
        let event_id = event.map(|e| inner.push(AlertEvent::of_alert(&claim.alert, e, claim.at)));
        Ok(AlertDecision { verdict, event_id })
    }

    async fn recover(&self, notice: &Alert, at: DateTime<Utc>) -> Result<Option<i64>> {
        if notice.kind() != AlertKind::Recovered {
            return Err(Error::invalid(
                "notice",
                "a recovery needs a recovered alert",
            ));
        }
        let mut inner = self.inner();
        let key = (notice.job_name().clone(), AlertKind::FailureThreshold);
        let Some(state) = inner.states.get(&key).filter(|s| s.active) else {
            return Ok(None);
        };
        let resolved = state.resolved(at);
        inner.states.insert(key, resolved);
        Ok(Some(inner.push(AlertEvent::of_alert(
            notice,
            AlertEventKind::Recovered,
            at,
        ))))
    }

    async fn clear(
        &self,
        job_name: &JobName,
        kinds: &[AlertKind],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut inner = self.inner();
        for kind in kinds {
            if let Some(state) = inner.states.get_mut(&(job_name.clone(), *kind))
                && state.active
            {
                *state = state.resolved(at);
            }
        }
        Ok(())
    }

    async fn record_delivery(&self, delivery: &AlertDelivery) -> Result<i64> {
        Ok(self.inner().push(AlertEvent::of_delivery(delivery)))
    }

    async fn state(&self, job_name: &JobName, kind: AlertKind) -> Result<Option<AlertState>> {
        Ok(self.inner().states.get(&(job_name.clone(), kind)).cloned())
    }

    async fn in_alert(&self, kind: AlertKind) -> Result<Vec<JobName>> {
        let mut jobs: Vec<JobName> = self
            .inner()
            .states
            .values()
            .filter(|s| s.active && s.kind == kind)
            .map(|s| s.job_name.clone())
            .collect();
        jobs.sort();
        Ok(jobs)
    }

    async fn events(&self, query: &AlertEventQuery) -> Result<AlertEventPage> {
        let inner = self.inner();
        let matching: Vec<&AlertEvent> = inner
            .events
            .iter()
            .rev()
            .filter(|e| query.job_name.as_ref().is_none_or(|j| &e.job_name == j))
            .filter(|e| query.kind.is_none_or(|k| e.kind == k))
            .collect();
        let total = i64::try_from(matching.len()).unwrap_or(i64::MAX);
        let events = matching
            .into_iter()
            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
            .take(query.limit.get() as usize)
            .cloned()
            .collect();
        Ok(AlertEventPage::new(query, events, total))
    }

    async fn purge_events(&self, before: DateTime<Utc>, _batch: u32) -> Result<u64> {
        let mut inner = self.inner();
        let count = inner.events.len();
        inner.events.retain(|e| e.at >= before);
        Ok((count - inner.events.len()) as u64)
    }
}
