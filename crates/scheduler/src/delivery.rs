//! What the alert channels share: bounded retries with backoff, the per-job routes, and the
//! process-local alert state used when no store is given.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable as _};
use chrono::{DateTime, Utc};
use propimport_domain::{
    Alert, AlertClaim, AlertDecision, AlertDelivery, AlertEventPage, AlertEventQuery, AlertKind,
    AlertState, AlertStore, DeliveryError, JobName, Result,
};

/// Runs `attempt` up to `attempts` times with exponential backoff and jitter (200 ms, then
/// doubling, at most 5 s), stopping at a permanent error. Retries are logged at debug level
/// only: the caller logs the outcome once. A failure after several attempts says how many.
pub(crate) async fn with_retries<F, Fut>(
    channel: &str,
    attempts: usize,
    attempt: F,
) -> std::result::Result<(), DeliveryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<(), DeliveryError>>,
{
    let tries = AtomicUsize::new(0);
    let mut attempt = attempt;
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(5))
        .with_max_times(attempts.max(1) - 1)
        .with_jitter();
    let result = (|| {
        tries.fetch_add(1, Ordering::Relaxed);
        attempt()
    })
    .retry(backoff)
    .when(|e: &DeliveryError| !e.permanent)
    .notify(|e, after| {
        tracing::debug!(channel, error = %e, retry_in = ?after, "alert delivery failed; retrying");
    })
    .await;
    let tries = tries.load(Ordering::Relaxed);
    result.map_err(|e| match tries {
        0 | 1 => e,
        n => DeliveryError {
            reason: format!("after {n} attempts: {}", e.reason),
            permanent: e.permanent,
        },
    })
}

/// Which channels each job's alerts go to (`IMPORT_ALERT_ROUTES`); a job without a route goes
/// to every channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertRoutes {
    by_job: HashMap<JobName, Vec<String>>,
}

impl AlertRoutes {
    /// No routes: every job's alerts go to every channel.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `job`'s alerts to `channels` only (none: the job's alerts are recorded in the
    /// history but not sent).
    pub fn route(mut self, job: JobName, channels: Vec<String>) -> Self {
        self.by_job.insert(job, channels);
        self
    }

    /// Whether `job`'s alerts go to the channel named `channel`.
    pub fn allows(&self, job: &JobName, channel: &str) -> bool {
        self.by_job
            .get(job)
            .is_none_or(|names| names.iter().any(|n| n == channel))
    }
}

/// The alert state of this process only, for an `Alerts` given no store (the `import`
/// command, tests): the same rule as the stores, kept in memory, without a history.
#[derive(Debug, Default)]
pub(crate) struct LocalAlertState {
    states: Mutex<BTreeMap<(JobName, AlertKind), AlertState>>,
}

impl LocalAlertState {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<(JobName, AlertKind), AlertState>) -> T) -> T {
        f(&mut self.states.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[async_trait]
impl AlertStore for LocalAlertState {
    async fn claim(&self, claim: &AlertClaim) -> Result<AlertDecision> {
        let key = (claim.alert.job_name().clone(), claim.alert.kind());
        let verdict = self.with(|states| {
            let (verdict, state) = claim.judge(states.get(&key));
            states.insert(key, state);
            verdict
        });
        Ok(AlertDecision {
            verdict,
            event_id: None,
        })
    }

    async fn recover(&self, notice: &Alert, at: DateTime<Utc>) -> Result<Option<i64>> {
        let key = (notice.job_name().clone(), AlertKind::FailureThreshold);
        Ok(self.with(|states| match states.get_mut(&key) {
            Some(state) if state.active => {
                *state = state.resolved(at);
                Some(0)
            }
            _ => None,
        }))
    }

    async fn clear(
        &self,
        job_name: &JobName,
        kinds: &[AlertKind],
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.with(|states| {
            for kind in kinds {
                if let Some(state) = states.get_mut(&(job_name.clone(), *kind))
                    && state.active
                {
                    *state = state.resolved(at);
                }
            }
        });
        Ok(())
    }

    async fn record_delivery(&self, _: &AlertDelivery) -> Result<i64> {
        Ok(0)
    }

    async fn state(&self, job_name: &JobName, kind: AlertKind) -> Result<Option<AlertState>> {
        Ok(self.with(|states| states.get(&(job_name.clone(), kind)).cloned()))
    }

    async fn events(&self, query: &AlertEventQuery) -> Result<AlertEventPage> {
        Ok(AlertEventPage::new(query, Vec::new(), 0))
    }

    async fn purge_events(&self, _before: DateTime<Utc>, _batch: u32) -> Result<u64> {
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn retries_transient_failures_and_stops_at_a_permanent_one() {
        let calls = AtomicUsize::new(0);
        let failed = with_retries("test", 3, || {
            calls.fetch_add(1, Ordering::Relaxed);
            async { Err(DeliveryError::transient("HTTP status 503")) }
        })
        .await;
        assert_eq!(calls.load(Ordering::Relaxed), 3);
        assert_eq!(
            failed.map_err(|e| e.reason),
            Err("after 3 attempts: HTTP status 503".to_owned())
        );
        let calls = AtomicUsize::new(0);
        let refused = with_retries("test", 3, || {
            calls.fetch_add(1, Ordering::Relaxed);
            async { Err(DeliveryError::permanent("HTTP status 404")) }
        })
        .await;
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        assert_eq!(
            refused.map_err(|e| e.reason),
            Err("HTTP status 404".to_owned())
        );
    }

    #[test]
    fn routes_limit_a_job_to_its_channels() {
        let (a, b) = (JobName::parse("a").unwrap(), JobName::parse("b").unwrap());
        let routes = AlertRoutes::new().route(a.clone(), vec!["email".into()]);
        assert!(routes.allows(&a, "email"));
        assert!(!routes.allows(&a, "webhook"));
        assert!(
            routes.allows(&b, "webhook"),
            "an unrouted job goes everywhere"
        );
    }
}
