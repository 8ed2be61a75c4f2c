//! How tracked runs behave, and the instance id they are recorded under.

use std::time::Duration;

use propimport_domain::RetryPolicy;

/// How tracked runs behave.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Written into every execution this instance runs.
    pub instance_id: String,
    /// How often a running job's heartbeat and counts are written (default 10 s).
    pub heartbeat_interval: Duration,
    /// A run longer than this raises an alert (`None`: no limit).
    pub max_duration: Option<Duration>,
    /// Whether a run longer than `max_duration` is also cancelled (recorded FAILED, saying so).
    pub cancel_overlong: bool,
    /// How a write that finds the store unavailable is tried again: a run's end here, a tick's
    /// record in the scheduler (default [`RetryPolicy::store`]: until it answers).
    pub store_retry: RetryPolicy,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            instance_id: default_instance_id(),
            heartbeat_interval: Duration::from_secs(10),
            max_duration: None,
            cancel_overlong: false,
            store_retry: RetryPolicy::store(),
        }
    }
}

/// `hostname:pid`, which tells replicas apart in the execution history.
pub fn default_instance_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{}", std::process::id())
}
