//! Failure alerts, recovery notices, late jobs and overlong runs: logged always, decided by
//! the alert store (so that a restart or a second replica does not alert twice, and a failing
//! hourly job does not page every hour), and delivered to the configured channels (webhooks,
//! email) in the background, with bounded retries, each delivery recorded in the history.
//!
//! Deciding is awaited by the caller (one bounded store call, in the order runs finish);
//! delivering never is: a slow or failing channel never delays or fails a run.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use propimport_domain::{
    Alert, AlertClaim, AlertDelivery, AlertKind, AlertNotice, AlertStore, Clock, DeliveryOutcome,
    Execution, ExecutionStatus, FinishedRun, JobName, Notifier, SystemClock, Verdict,
};
use tokio_util::task::TaskTracker;

use crate::delivery::{AlertRoutes, LocalAlertState};

/// When to alert.
#[derive(Debug, Clone, Copy)]
pub struct AlertSettings {
    /// Consecutive failures that raise an alert (`IMPORT_ALERT_THRESHOLD`, default 3).
    pub threshold: i32,
    /// After an alert, further occurrences (failures of the same job, later late ticks) alert
    /// again only once this much time has passed (default 6 h). Reaching the threshold again
    /// after a recovery always alerts.
    pub cooldown: Duration,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            threshold: 3,
            cooldown: Duration::hours(6),
        }
    }
}

/// Decides on and sends alerts after each finished run, for late ticks and overlong runs.
pub struct Alerts {
    settings: AlertSettings,
    store: Arc<dyn AlertStore>,
    channels: Vec<Arc<dyn Notifier>>,
    routes: AlertRoutes,
    public_url: Option<String>,
    clock: Arc<dyn Clock>,
    deliveries: TaskTracker,
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let channels: Vec<&str> = self.channels.iter().map(|c| c.name()).collect();
        f.debug_struct("Alerts")
            .field("settings", &self.settings)
            .field("channels", &channels)
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

/// Builds [`Alerts`]: the store, the channels, the routes, the dashboard's public URL.
pub struct AlertsBuilder {
    alerts: Alerts,
}

impl AlertsBuilder {
    /// Keeps the alert state and history in `store` (shared by replicas); without one the
    /// state is this process's only and no history is kept.
    pub fn store(mut self, store: Arc<dyn AlertStore>) -> Self {
        self.alerts.store = store;
        self
    }

    /// Adds a channel; its [`Notifier::name`] is what routes and the history call it.
    pub fn channel(mut self, channel: Arc<dyn Notifier>) -> Self {
        self.alerts.channels.push(channel);
        self
    }

    /// Sends each routed job's alerts to its channels only.
    pub fn routes(mut self, routes: AlertRoutes) -> Self {
        self.alerts.routes = routes;
        self
    }

    /// Links alerts to the dashboard under this base URL (`PUBLIC_URL`).
    pub fn public_url(mut self, url: Option<String>) -> Self {
        self.alerts.public_url = url.map(|u| u.trim_end_matches('/').to_owned());
        self
    }

    /// The clock of late and overlong alerts (after a run, its finish time is used).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.alerts.clock = clock;
        self
    }

    /// The alerts.
    pub fn build(self) -> Alerts {
        self.alerts
    }
}

impl Alerts {
    /// Starts building alerts with these settings (no store, no channel).
    pub fn builder(settings: AlertSettings) -> AlertsBuilder {
        AlertsBuilder {
            alerts: Self {
                settings,
                store: Arc::new(LocalAlertState::default()),
                channels: Vec::new(),
                routes: AlertRoutes::default(),
                public_url: None,
                clock: Arc::new(SystemClock),
                deliveries: TaskTracker::new(),
            },
        }
    }

    /// Alerts with these settings and this process's state only, sent to `notifier` when
    /// there is one.
    pub fn new(settings: AlertSettings, notifier: Option<Arc<dyn Notifier>>) -> Self {
        let builder = Self::builder(settings);
        match notifier {
            Some(n) => builder.channel(n).build(),
            None => builder.build(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> AlertSettings {
        self.settings
    }

    /// Raises the alert of a run longer than `max` (the caller raises it once per run).
    pub async fn overlong(&self, execution: &Execution, max: StdDuration, cancelled: bool) {
        let alert = Alert::Overlong {
            job_name: execution.job_name.clone(),
            execution_id: execution.id,
            started_at: execution.started_at,
            max_seconds: i64::try_from(max.as_secs()).unwrap_or(i64::MAX),
            cancelled,
        };
        self.raise(alert, self.clock.now(), false).await;
    }

    /// Deletes the alert history's events older than `before` (the retention purge); gives
    /// how many.
    pub async fn purge_history(
        &self,
        before: DateTime<Utc>,
        batch: u32,
    ) -> propimport_domain::Result<u64> {
        self.store.purge_events(before, batch).await
    }

    /// Raises the alert of a job whose `tick` has no run `grace` after it (the caller raises
    /// it once per tick; replicas seeing the same tick send one alert).
    pub async fn late(&self, job_name: &JobName, tick: DateTime<Utc>, grace: Duration) {
        tracing::warn!(job_name = %job_name, tick = %tick, grace_seconds = grace.num_seconds(), "job is late: its tick has no run");
        let alert = Alert::Late {
            job_name: job_name.clone(),
            tick,
            grace_seconds: grace.num_seconds(),
        };
        self.raise(alert, self.clock.now(), false).await;
    }

    /// Looks at a finished run and raises the alert or the recovery notice it calls for;
    /// returns what it called for (sent or not, as the store decided). A finished run also
    /// ends the job's late and overlong alerts.
    pub async fn after_finish(&self, run: &FinishedRun, now: DateTime<Utc>) -> Option<Alert> {
        let e = &run.execution;
        let threshold = self.settings.threshold.max(1);
        if let Err(err) = self
            .store
            .clear(&e.job_name, &[AlertKind::Late, AlertKind::Overlong], now)
            .await
        {
            tracing::debug!(job_name = %e.job_name, error = %err, "late and overlong alerts not cleared");
        }
        if e.status == ExecutionStatus::Failed && e.consecutive_failures >= threshold {
            let fresh = e.consecutive_failures == threshold;
            let last_error = e.last_error.as_deref().unwrap_or("unknown");
            let failures = e.consecutive_failures;
            if !self.channels_for(&e.job_name).is_empty() {
                tracing::error!(job_name = %e.job_name, execution_id = %e.id, consecutive_failures = failures, last_error, "import job keeps failing: alert threshold reached");
            } else if fresh {
                // Nobody is paged: one warning at the threshold, not one per failure.
                tracing::warn!(job_name = %e.job_name, execution_id = %e.id, consecutive_failures = failures, last_error, "import job keeps failing: alert threshold reached (no alert channel; recorded only)");
            } else {
                tracing::debug!(job_name = %e.job_name, execution_id = %e.id, consecutive_failures = failures, "import job still failing");
            }
            let alert = Alert::FailureThreshold {
                job_name: e.job_name.clone(),
                consecutive_failures: e.consecutive_failures,
                threshold,
                last_error: e.last_error.clone(),
                execution_id: e.id,
            };
            self.raise(alert.clone(), now, fresh).await;
            return Some(alert);
        }
        if e.status != ExecutionStatus::Failed && run.previous_consecutive_failures >= threshold {
            let alert = Alert::Recovered {
                job_name: e.job_name.clone(),
                after_failures: run.previous_consecutive_failures,
                execution_id: e.id,
            };
            self.recover(alert.clone(), now).await;
            return Some(alert);
        }
        None
    }

    /// Waits until every delivery started so far has ended (tests, and before exiting).
    pub async fn settled(&self) {
        self.deliveries.close();
        self.deliveries.wait().await;
        self.deliveries.reopen();
    }

    /// Waits up to `grace` for the deliveries in flight (at shutdown, after the scheduler has
    /// stopped: no alert is raised any more); gives whether they all ended.
    pub async fn shutdown(&self, grace: StdDuration) -> bool {
        self.deliveries.close();
        tokio::time::timeout(grace, self.deliveries.wait())
            .await
            .is_ok()
    }

    /// The names of the channels, in the order they were added.
    pub fn channel_names(&self) -> Vec<&str> {
        self.channels.iter().map(|c| c.name()).collect()
    }

    /// The channels `job`'s alerts go to.
    fn channels_for(&self, job: &JobName) -> Vec<Arc<dyn Notifier>> {
        self.channels
            .iter()
            .filter(|c| self.routes.allows(job, c.name()))
            .cloned()
            .collect()
    }

    /// Asks the store whether this occurrence is sent, then sends it.
    async fn raise(&self, alert: Alert, at: DateTime<Utc>, fresh: bool) {
        let claim = AlertClaim {
            alert,
            at,
            cooldown: self.settings.cooldown,
            fresh,
        };
        let (verdict, event_id) = match self.store.claim(&claim).await {
            Ok(d) => (d.verdict, d.event_id),
            Err(e) => {
                // Better twice than never: without its state the alert is sent.
                tracing::warn!(job_name = %claim.alert.job_name(), error = %e, "alert state unavailable; sending the alert without it");
                (Verdict::Raise, None)
            }
        };
        let job = claim.alert.job_name();
        match verdict {
            Verdict::Raise | Verdict::Repeat => {
                let repeated = verdict == Verdict::Repeat;
                self.deliver(claim.alert, at, repeated, event_id);
            }
            Verdict::Suppress if !self.channels_for(job).is_empty() => {
                tracing::info!(job_name = %job, kind = %claim.alert.kind(), "alert not sent again: within the cooldown");
            }
            Verdict::Suppress => {
                tracing::debug!(job_name = %job, kind = %claim.alert.kind(), "alert within the cooldown");
            }
            Verdict::Duplicate => {
                tracing::debug!(job_name = %job, kind = %claim.alert.kind(), "alert already decided (another replica or call)");
            }
        }
    }

    /// Ends the job's failure alert, if the store has it active, and sends the notice.
    async fn recover(&self, alert: Alert, at: DateTime<Utc>) {
        let event_id = match self.store.recover(&alert, at).await {
            Ok(Some(id)) => Some(id),
            Ok(None) => {
                tracing::debug!(job_name = %alert.job_name(), "job succeeded; it was not in alert");
                return;
            }
            Err(e) => {
                tracing::warn!(job_name = %alert.job_name(), error = %e, "alert state unavailable; sending the recovery notice without it");
                None
            }
        };
        tracing::info!(job_name = %alert.job_name(), execution_id = ?alert.execution_id(), "import job recovered");
        self.deliver(alert, at, false, event_id);
    }

    /// Sends `alert` to the job's channels in the background and records each delivery.
    fn deliver(&self, alert: Alert, at: DateTime<Utc>, repeated: bool, event_id: Option<i64>) {
        let channels = self.channels_for(alert.job_name());
        if channels.is_empty() {
            return;
        }
        let link = self
            .public_url
            .as_ref()
            .map(|base| match alert.execution_id() {
                Some(id) => format!("{base}/dashboard/#/executions/{id}"),
                None => format!("{base}/dashboard/"),
            });
        let notice = Arc::new(AlertNotice {
            alert,
            at,
            repeated,
            link,
        });
        for channel in channels {
            let (notice, store, clock) = (notice.clone(), self.store.clone(), self.clock.clone());
            self.deliveries.spawn(async move {
                let result = channel.notify(&notice).await;
                let label = if result.is_ok() { "delivered" } else { "failed" };
                metrics::counter!("propimport_alert_deliveries_total", "channel" => channel.name().to_owned(), "outcome" => label).increment(1);
                let outcome = match result {
                    Ok(()) => {
                        tracing::info!(channel = channel.name(), job_name = %notice.alert.job_name(), kind = %notice.alert.kind(), "alert delivered");
                        DeliveryOutcome::Delivered
                    }
                    Err(e) => {
                        tracing::warn!(channel = channel.name(), job_name = %notice.alert.job_name(), kind = %notice.alert.kind(), reason = %e, "alert not delivered");
                        DeliveryOutcome::Failed { reason: e.reason }
                    }
                };
                let delivery = AlertDelivery {
                    alert_id: event_id,
                    job_name: notice.alert.job_name().clone(),
                    kind: notice.alert.kind(),
                    execution_id: notice.alert.execution_id(),
                    channel: channel.name().to_owned(),
                    at: clock.now(),
                    outcome,
                };
                if let Err(e) = store.record_delivery(&delivery).await {
                    tracing::debug!(error = %e, "alert delivery not recorded");
                }
            });
        }
    }
}
