//! What the alert channels share: bounded retries with backoff, the per-job routes, and the
//! process-local alert state used when no store is given.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use propimport_domain::{
    Alert, AlertClaim, AlertDecision, AlertDelivery, AlertEventPage, AlertEventQuery, AlertKind,
    AlertState, AlertStore, DeliveryError, JobName, Result, RetryDecision, RetryPolicy,
};
use tokio::time::Instant;

/// Runs `attempt` as the [`RetryPolicy`] allows (by default 3 times, waiting 0.2 s then 0.4 s,
/// each up to twice as long by jitter, or as the receiver's `Retry-After` asks), stopping at a
/// permanent error. The waits are on Tokio's clock, so a paused test does not wait. Retries
/// are logged at debug level only: the caller logs the outcome once. A failure after several
/// attempts says how many.
pub(crate) async fn with_retries<F, Fut>(
    channel: &str,
    policy: &RetryPolicy,
    mut attempt: F,
) -> std::result::Result<(), DeliveryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<(), DeliveryError>>,
{
    let started = Instant::now();
    let mut attempts = policy.start();
    loop {
        let e = match attempt().await {
            Ok(()) => return Ok(()),
            Err(e) if e.permanent => return Err(after(attempts.failures() + 1, e)),
            Err(e) => e,
        };
        match attempts.failed(started.elapsed(), e.retry_after) {
            RetryDecision::RetryAfter(wait) => {
                tracing::debug!(channel, error = %e, retry_in = ?wait, "alert delivery failed; retrying");
                tokio::time::sleep(wait).await;
            }
            RetryDecision::GiveUp(_) => return Err(after(attempts.failures(), e)),
        }
    }
}

/// The error of the last of `tries` attempts, saying how many there were when more than one.
fn after(tries: u32, e: DeliveryError) -> DeliveryError {
    match tries {
        0 | 1 => e,
        n => DeliveryError {
            reason: format!("after {n} attempts: {}", e.reason),
            ..e
        },
    }
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

    async fn in_alert(&self, kind: AlertKind) -> Result<Vec<JobName>> {
        Ok(self.with(|states| {
            states
                .values()
                .filter(|s| s.active && s.kind == kind)
                .map(|s| s.job_name.clone())
                .collect()
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
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn retries_transient_failures_and_stops_at_a_permanent_one() {
        let calls = AtomicUsize::new(0);
        let started = Instant::now();
        let failed = with_retries("test", &RetryPolicy::delivery(), || {
            calls.fetch_add(1, Ordering::Relaxed);
            async { Err(DeliveryError::transient("HTTP status 503")) }
        })
        .await;
        assert_eq!(calls.load(Ordering::Relaxed), 3);
        assert_eq!(
            failed.map_err(|e| e.reason),
            Err("after 3 attempts: HTTP status 503".to_owned())
        );
        let waited = started.elapsed();
        assert!(
            (Duration::from_millis(600)..Duration::from_millis(1200)).contains(&waited),
            "0.2 s then 0.4 s, each up to twice as long: {waited:?}"
        );
        let calls = AtomicUsize::new(0);
        let refused = with_retries("test", &RetryPolicy::delivery(), || {
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

    #[tokio::test(start_paused = true)]
    async fn the_receivers_retry_after_is_honoured() {
        let calls = AtomicUsize::new(0);
        let started = Instant::now();
        let delivered = with_retries("test", &RetryPolicy::delivery(), || {
            let n = calls.fetch_add(1, Ordering::Relaxed);
            async move {
                if n == 0 {
                    Err(DeliveryError::transient("HTTP status 429")
                        .with_retry_after(Some(Duration::from_secs(3))))
                } else {
                    Ok(())
                }
            }
        })
        .await;
        assert_eq!(delivered, Ok(()));
        assert_eq!(started.elapsed(), Duration::from_secs(3));
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
