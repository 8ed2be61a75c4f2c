//! The signed JSON webhook: posts each alert as a JSON document to any endpoint, signed with
//! HMAC-SHA256 under a secret shared with that endpoint, so that the receiver can check that
//! the alert comes from propimport, unaltered and recent.
//!
//! The scheme (the receiver's side is [`verify`]):
//! - `X-Propimport-Timestamp`: the Unix time of the attempt, in seconds;
//! - `X-Propimport-Signature`: `sha256=` and the lowercase hex HMAC-SHA256, keyed with the
//!   secret, of the timestamp, a `.`, and the raw body, byte for byte;
//! - `X-Propimport-Delivery`: an id that stays the same across the retries of one delivery.
//!
//! A receiver recomputes the signature over the body it received (before parsing it),
//! compares in constant time, refuses a timestamp more than five minutes from its clock (a
//! replayed request), and may drop a delivery id it has seen (a retry that did arrive).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use propimport_domain::{
    Alert, AlertNotice, DeliveryError, Notifier, RetryPolicy, format_utc_millis,
};
use sha2::Sha256;

use crate::alert_json::AlertJson;
use crate::delivery::with_retries;
use crate::webhook::{answer_failure, http_failure};

/// The header holding the signature, `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Propimport-Signature";
/// The header holding the Unix time (seconds) the signature covers.
pub const TIMESTAMP_HEADER: &str = "X-Propimport-Timestamp";
/// The header holding the delivery's id, the same for each retry.
pub const DELIVERY_HEADER: &str = "X-Propimport-Delivery";
/// How far from the receiver's clock a timestamp may be (five minutes).
pub const TOLERANCE: Duration = Duration::from_secs(300);

/// Posts signed alerts to a URL (`IMPORT_ALERT_JSON_WEBHOOK_URL`, with
/// `IMPORT_ALERT_JSON_WEBHOOK_SECRET`); its channel name is `json-webhook`.
#[derive(Clone)]
pub struct SignedWebhookNotifier {
    client: reqwest::Client,
    url: reqwest::Url,
    secret: Vec<u8>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for SignedWebhookNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedWebhookNotifier")
            .field("host", &self.url.host_str())
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// The JSON body sent.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    /// `raised`, `repeated` or `recovered`.
    event: &'static str,
    /// When (UTC with milliseconds, as the API writes times).
    at: String,
    title: String,
    summary: String,
    link: Option<&'a str>,
    alert: AlertJson<'a>,
}

impl SignedWebhookNotifier {
    /// The channel's name in routes and in the alert history.
    pub const CHANNEL: &'static str = "json-webhook";

    /// A notifier posting to `url`, signing with `secret`, giving up on one attempt after
    /// `timeout`, trying again as `retry` says (by default [`RetryPolicy::delivery`]).
    pub fn new(
        url: reqwest::Url,
        secret: &[u8],
        timeout: Duration,
        retry: RetryPolicy,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self {
            client,
            url,
            secret: secret.to_vec(),
            retry,
        })
    }

    async fn post(&self, body: &[u8], delivery: &str) -> Result<(), DeliveryError> {
        let timestamp = Utc::now().timestamp();
        let answer = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, sign(&self.secret, timestamp, body))
            .header(DELIVERY_HEADER, delivery)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| http_failure(&self.url, &e))?;
        answer_failure(&answer).map_or(Ok(()), Err)
    }
}

#[async_trait]
impl Notifier for SignedWebhookNotifier {
    fn name(&self) -> &str {
        Self::CHANNEL
    }

    async fn notify(&self, notice: &AlertNotice) -> Result<(), DeliveryError> {
        let event = match (&notice.alert, notice.repeated) {
            (Alert::Recovered { .. }, _) => "recovered",
            (_, true) => "repeated",
            (_, false) => "raised",
        };
        let body = Body {
            event,
            at: format_utc_millis(&notice.at),
            title: notice.alert.title(),
            summary: notice.alert.summary(),
            link: notice.link.as_deref(),
            alert: AlertJson::from(&notice.alert),
        };
        let body = serde_json::to_vec(&body)
            .map_err(|e| DeliveryError::permanent(format!("cannot encode the alert: {e}")))?;
        let delivery = uuid::Uuid::now_v7().to_string();
        with_retries(Self::CHANNEL, &self.retry, || self.post(&body, &delivery)).await
    }
}

/// The HMAC of `timestamp`, `.` and `body` (HMAC takes a key of any length: never `None`).
fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// The `X-Propimport-Signature` value of `body` sent at `timestamp`: `sha256=<hex>`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let hex: String = mac(secret, timestamp, body)
        .map(|m| m.finalize().into_bytes())
        .iter()
        .flatten()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// Why a receiver refuses a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The timestamp header is missing or not a number.
    #[error("the timestamp is missing or not a number")]
    BadTimestamp,
    /// The timestamp is too far from the receiver's clock (a replay, or a wrong clock).
    #[error("the timestamp is {0} s away from now")]
    Stale(i64),
    /// The signature is missing, malformed or does not match.
    #[error("the signature does not match")]
    Mismatch,
}

/// Checks a received request as a receiver should: the timestamp within [`TOLERANCE`] of
/// `now`, and the signature over the raw body (compared in constant time).
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let timestamp: i64 = timestamp
        .and_then(|t| t.trim().parse().ok())
        .ok_or(SignatureError::BadTimestamp)?;
    let skew = now.timestamp().saturating_sub(timestamp);
    if skew.unsigned_abs() > TOLERANCE.as_secs() {
        return Err(SignatureError::Stale(skew));
    }
    let hex = signature
        .and_then(|s| s.trim().strip_prefix("sha256="))
        .ok_or(SignatureError::Mismatch)?;
    let bytes = decode_hex(hex).ok_or(SignatureError::Mismatch)?;
    mac(secret, timestamp, body)
        .ok_or(SignatureError::Mismatch)?
        .verify_slice(&bytes)
        .map_err(|_| SignatureError::Mismatch)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests;
