//! Failure alerts and recovery notices: logged always, sent to the notifier (a webhook) when
//! one is configured, with a cooldown so a failing hourly job does not page every hour.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use propimport_domain::{Alert, Execution, ExecutionStatus, FinishedRun, JobName, Notifier};

/// When to alert.
#[derive(Debug, Clone, Copy)]
pub struct AlertSettings {
    /// Consecutive failures that raise an alert (`IMPORT_ALERT_THRESHOLD`, default 3).
    pub threshold: i32,
    /// After an alert, further failures of the same job alert again only once this much time
    /// has passed (default 6 h). Reaching the threshold always alerts.
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

/// Decides on and sends alerts after each finished run.
pub struct Alerts {
    notifier: Option<Arc<dyn Notifier>>,
    settings: AlertSettings,
    last_alert: Mutex<HashMap<JobName, DateTime<Utc>>>,
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts")
            .field("settings", &self.settings)
            .field("notifier", &self.notifier.is_some())
            .finish()
    }
}

impl Alerts {
    /// Alerts with these settings, sent to `notifier` when there is one.
    pub fn new(settings: AlertSettings, notifier: Option<Arc<dyn Notifier>>) -> Self {
        Self {
            notifier,
            settings,
            last_alert: Mutex::new(HashMap::new()),
        }
    }

    /// The settings.
    pub fn settings(&self) -> AlertSettings {
        self.settings
    }

    /// Raises the alert of a run longer than `max` (the caller raises it once per run).
    pub async fn overlong(&self, execution: &Execution, max: std::time::Duration, cancelled: bool) {
        let alert = Alert::Overlong {
            job_name: execution.job_name.clone(),
            execution_id: execution.id,
            started_at: execution.started_at,
            max_seconds: i64::try_from(max.as_secs()).unwrap_or(i64::MAX),
            cancelled,
        };
        self.send(&alert).await;
    }

    /// Raises the alert of a job whose `tick` has no run `grace` after it (the caller raises
    /// it once per tick).
    pub async fn late(&self, job_name: &JobName, tick: DateTime<Utc>, grace: Duration) {
        tracing::warn!(job_name = %job_name, tick = %tick, grace_seconds = grace.num_seconds(), "job is late: its tick has no run");
        let alert = Alert::Late {
            job_name: job_name.clone(),
            tick,
            grace_seconds: grace.num_seconds(),
        };
        self.send(&alert).await;
    }

    async fn send(&self, alert: &Alert) {
        if let Some(notifier) = &self.notifier {
            notifier.notify(alert).await;
        }
    }

    /// Looks at a finished run and raises the alert or the recovery notice it calls for;
    /// returns what was raised.
    pub async fn after_finish(&self, run: &FinishedRun, now: DateTime<Utc>) -> Option<Alert> {
        let e = &run.execution;
        let threshold = self.settings.threshold.max(1);
        let alert = if e.status == ExecutionStatus::Failed && e.consecutive_failures >= threshold {
            tracing::error!(
                job_name = %e.job_name,
                execution_id = %e.id,
                consecutive_failures = e.consecutive_failures,
                last_error = e.last_error.as_deref().unwrap_or("unknown"),
                "import job keeps failing: alert threshold reached"
            );
            let due = {
                let mut last = self
                    .last_alert
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let due = e.consecutive_failures == threshold
                    || last
                        .get(&e.job_name)
                        .is_none_or(|t| now - *t >= self.settings.cooldown);
                if due {
                    last.insert(e.job_name.clone(), now);
                }
                due
            };
            if !due {
                tracing::info!(job_name = %e.job_name, "alert not sent again: within the cooldown");
                return None;
            }
            Alert::FailureThreshold {
                job_name: e.job_name.clone(),
                consecutive_failures: e.consecutive_failures,
                threshold,
                last_error: e.last_error.clone(),
                execution_id: e.id,
            }
        } else if e.status != ExecutionStatus::Failed
            && run.previous_consecutive_failures >= threshold
        {
            tracing::info!(
                job_name = %e.job_name,
                execution_id = %e.id,
                after_failures = run.previous_consecutive_failures,
                "import job recovered"
            );
            self.last_alert
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&e.job_name);
            Alert::Recovered {
                job_name: e.job_name.clone(),
                after_failures: run.previous_consecutive_failures,
                execution_id: e.id,
            }
        } else {
            return None;
        };
        self.send(&alert).await;
        Some(alert)
    }
}
