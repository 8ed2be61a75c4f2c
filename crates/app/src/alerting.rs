//! The alerts of `serve`: the configured channels (Slack/Discord webhook, signed JSON webhook,
//! email), the per-job routes and dashboard links, with their state and history in the
//! database shared by every replica.

use std::sync::Arc;
use std::time::Duration;

use propimport_domain::AlertStore;
use propimport_scheduler::{Alerts, EmailNotifier, SignedWebhookNotifier, WebhookNotifier};

use crate::config::Config;

/// How long one delivery attempt may take (how often it is tried: `config.retrying.delivery`).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a shutdown waits for the deliveries in flight.
pub const DELIVERY_GRACE: Duration = Duration::from_secs(10);

/// The alerts, deciding through `store` and sending to every configured channel.
pub fn build(config: &Config, store: Arc<dyn AlertStore>) -> anyhow::Result<Alerts> {
    let a = &config.alerting;
    let mut alerts = Alerts::builder(config.scheduling.alerts)
        .store(store)
        .routes(a.routes.clone())
        .public_url(a.public_url.clone());
    if let Some(url) = &config.scheduling.alert_webhook {
        let hook = WebhookNotifier::new(
            url.clone(),
            ATTEMPT_TIMEOUT,
            config.retrying.delivery.clone(),
        )?;
        alerts = alerts.channel(Arc::new(hook));
    }
    if let Some(json) = &a.json_webhook {
        let hook = SignedWebhookNotifier::new(
            json.url.clone(),
            json.secret.as_bytes(),
            ATTEMPT_TIMEOUT,
            config.retrying.delivery.clone(),
        )?;
        alerts = alerts.channel(Arc::new(hook));
    }
    if let Some(email) = &a.email {
        alerts = alerts.channel(Arc::new(EmailNotifier::new(email)?));
    }
    let alerts = alerts.build();
    let channels = alerts.channel_names();
    if channels.is_empty() {
        tracing::info!("no alert channel configured: alerts are logged and recorded only");
    } else {
        tracing::info!(channels = %channels.join(", "), "alerts are sent to these channels");
    }
    Ok(alerts)
}
