//! The webhook notifier: posts alerts as JSON that Slack and Discord incoming webhooks both
//! accept (`text` for Slack, `content` for Discord), with a timeout and bounded retries.

use std::time::Duration;

use async_trait::async_trait;
use propimport_domain::{AlertNotice, DeliveryError, Notifier, RetryPolicy};

use crate::alert_json::AlertJson;
use crate::delivery::with_retries;

/// Posts each alert to a URL (`IMPORT_ALERT_WEBHOOK_URL`); its channel name is `webhook`.
#[derive(Debug, Clone)]
pub struct WebhookNotifier {
    client: reqwest::Client,
    url: reqwest::Url,
    retry: RetryPolicy,
}

/// The JSON body sent.
#[derive(Debug, serde::Serialize)]
struct Body<'a> {
    text: String,
    content: String,
    alert: AlertJson<'a>,
}

impl WebhookNotifier {
    /// The channel's name in routes and in the alert history.
    pub const CHANNEL: &'static str = "webhook";

    /// A notifier posting to `url`, giving up on one attempt after `timeout`, trying again
    /// as `retry` says (by default [`RetryPolicy::delivery`]).
    pub fn new(
        url: reqwest::Url,
        timeout: Duration,
        retry: RetryPolicy,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self { client, url, retry })
    }

    async fn post(&self, body: &Body<'_>) -> Result<(), DeliveryError> {
        let answer = self
            .client
            .post(self.url.clone())
            .json(body)
            .send()
            .await
            .map_err(|e| http_failure(&self.url, &e))?;
        answer_failure(&answer).map_or(Ok(()), Err)
    }
}

/// Why an HTTP request failed, naming the host only: a webhook URL's path is its secret.
pub(crate) fn http_failure(url: &reqwest::Url, e: &reqwest::Error) -> DeliveryError {
    let host = url.host_str().unwrap_or("?");
    let what = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        e.without_url_text()
    };
    DeliveryError::transient(format!("{host}: {what}"))
}

/// The failure an HTTP answer means, if any ([`status_failure`]), with the wait its
/// `Retry-After` asks for.
pub(crate) fn answer_failure(answer: &reqwest::Response) -> Option<DeliveryError> {
    let failure = status_failure(answer.status())?;
    let retry_after = answer
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| propimport_domain::parse_retry_after(v, chrono::Utc::now()));
    Some(failure.with_retry_after(retry_after))
}

/// The failure an HTTP answer's status means, if any: 5xx, 408 and 429 may pass, other 4xx
/// answers will not.
pub(crate) fn status_failure(status: reqwest::StatusCode) -> Option<DeliveryError> {
    if status.is_success() {
        return None;
    }
    let reason = format!("HTTP status {status}");
    let transient = status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status == reqwest::StatusCode::REQUEST_TIMEOUT;
    Some(if transient {
        DeliveryError::transient(reason)
    } else {
        DeliveryError::permanent(reason)
    })
}

/// A `reqwest` error's words without the URL it names.
trait WithoutUrlText {
    fn without_url_text(&self) -> String;
}

impl WithoutUrlText for reqwest::Error {
    fn without_url_text(&self) -> String {
        let mut text = self.to_string();
        if let Some(url) = self.url() {
            text = text.replace(url.as_str(), "<webhook>");
        }
        text
    }
}

#[async_trait]
impl Notifier for WebhookNotifier {
    fn name(&self) -> &str {
        Self::CHANNEL
    }

    async fn notify(&self, notice: &AlertNotice) -> Result<(), DeliveryError> {
        let mut text = notice.alert.summary();
        if notice.repeated {
            text.push_str(" (still on; repeated after the cooldown)");
        }
        if let Some(link) = &notice.link {
            text.push('\n');
            text.push_str(link);
        }
        let body = Body {
            text: text.clone(),
            content: text,
            alert: AlertJson::from(&notice.alert),
        };
        with_retries(Self::CHANNEL, &self.retry, || self.post(&body)).await
    }
}
