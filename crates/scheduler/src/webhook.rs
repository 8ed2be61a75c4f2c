//! The webhook notifier: posts alerts as JSON that Slack and Discord incoming webhooks both
//! accept (`text` for Slack, `content` for Discord), with a timeout and retries.

use std::time::Duration;

use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable as _};
use propimport_domain::{Alert, Notifier};

/// Posts each alert to a URL (`IMPORT_ALERT_WEBHOOK_URL`).
#[derive(Debug, Clone)]
pub struct WebhookNotifier {
    client: reqwest::Client,
    url: reqwest::Url,
    attempts: usize,
}

/// The JSON body sent.
#[derive(Debug, serde::Serialize)]
struct Body<'a> {
    text: String,
    content: String,
    alert: &'a Alert,
}

impl WebhookNotifier {
    /// A notifier posting to `url`, giving up on one attempt after `timeout`, trying
    /// `attempts` times in all with exponential backoff and jitter.
    pub fn new(
        url: reqwest::Url,
        timeout: Duration,
        attempts: usize,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self {
            client,
            url,
            attempts: attempts.max(1),
        })
    }

    async fn post(&self, body: &Body<'_>) -> Result<(), reqwest::Error> {
        self.client
            .post(self.url.clone())
            .json(body)
            .send()
            .await?
            .error_for_status()
            .map(drop)
    }
}

#[async_trait]
impl Notifier for WebhookNotifier {
    async fn notify(&self, alert: &Alert) {
        let summary = alert.summary();
        let body = Body {
            text: summary.clone(),
            content: summary,
            alert,
        };
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(200))
            .with_max_times(self.attempts - 1)
            .with_jitter();
        let sent = (|| self.post(&body))
            .retry(backoff)
            .notify(|e, after| tracing::warn!(error = %e, retry_in = ?after, "alert webhook failed; retrying"))
            .await;
        if let Err(e) = sent {
            // Host only: the path of a webhook URL is its secret.
            let host = self.url.host_str().unwrap_or("?");
            tracing::error!(error = %e.without_url(), host, "alert webhook failed; giving up");
        }
    }
}
