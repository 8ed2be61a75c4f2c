//! Opening a feed as a byte stream: a local file, or an HTTP response fetched with timeouts,
//! gzip, and retries (exponential backoff with jitter, `Retry-After` honoured) on connection
//! errors, timeouts, 429 and 5xx.

use std::time::Duration;

use futures_util::TryStreamExt as _;
use propimport_domain::CancelToken;
use reqwest::StatusCode;
use tokio::io::{AsyncBufRead, BufReader};
use tokio_util::io::StreamReader;

use crate::pacing::Pacer;
use crate::source::{HttpSettings, Location};

/// A feed's bytes, read as they arrive.
pub type FeedStream = Box<dyn AsyncBufRead + Send + Unpin>;

const BUFFER: usize = 64 * 1024;

/// Why a feed could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The file could not be opened.
    #[error("cannot open {path}: {reason}")]
    File {
        /// The path.
        path: String,
        /// The system's words.
        reason: String,
    },
    /// The server answered with an error status (after any retries).
    #[error("{url} answered {status} after {attempts} attempt(s)")]
    Status {
        /// The URL, without credentials or query.
        url: String,
        /// The last status.
        status: StatusCode,
        /// Attempts made.
        attempts: usize,
    },
    /// The request failed (after any retries).
    #[error("cannot fetch {url} after {attempts} attempt(s): {reason}")]
    Request {
        /// The URL, without credentials or query.
        url: String,
        /// Why.
        reason: String,
        /// Attempts made.
        attempts: usize,
    },
    /// The run was cancelled while waiting to retry.
    #[error("cancelled while fetching {url}")]
    Cancelled {
        /// The URL.
        url: String,
    },
}

/// Builds the HTTP client of a source.
pub fn client(settings: &HttpSettings) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(settings.connect_timeout)
        .read_timeout(settings.read_timeout)
        .user_agent(concat!("propimport/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Opens the feed at `location`.
pub async fn open(
    location: &Location,
    client: &reqwest::Client,
    settings: &HttpSettings,
    cancel: &CancelToken,
) -> Result<FeedStream, FetchError> {
    match location {
        Location::File(path) => {
            let file = tokio::fs::File::open(path)
                .await
                .map_err(|e| FetchError::File {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
            Ok(Box::new(BufReader::with_capacity(BUFFER, file)))
        }
        Location::Url(url) => {
            let response = get_with_retries(url, client, settings, cancel).await?;
            let body = response.bytes_stream().map_err(std::io::Error::other);
            Ok(Box::new(BufReader::with_capacity(
                BUFFER,
                StreamReader::new(body),
            )))
        }
    }
}

/// GETs `url`, retrying transient failures.
pub async fn get_with_retries(
    url: &reqwest::Url,
    client: &reqwest::Client,
    settings: &HttpSettings,
    cancel: &CancelToken,
) -> Result<reqwest::Response, FetchError> {
    let shown = Location::Url(url.clone()).redacted();
    let request = || {
        let request = client.get(url.clone());
        match &settings.bearer_token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    };
    send_with_retries(&shown, settings, None, cancel, request).await
}

/// Sends the request that `request` builds (once per attempt), retrying connection errors,
/// timeouts, 429 and 5xx with exponential backoff and jitter, or as `Retry-After` asks. With
/// a `pacer`, every attempt waits for its turn first. `shown` names the URL in errors and logs
/// (without credentials or query).
pub(crate) async fn send_with_retries(
    shown: &str,
    settings: &HttpSettings,
    pacer: Option<&Pacer>,
    cancel: &CancelToken,
    mut request: impl FnMut() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, FetchError> {
    let shown = shown.to_owned();
    let attempts = settings.attempts.max(1);
    let mut backoff = Duration::from_millis(500);
    for attempt in 1..=attempts {
        if let Some(pacer) = pacer {
            tokio::select! {
                () = cancel.cancelled() => return Err(FetchError::Cancelled { url: shown }),
                () = pacer.ready() => {}
            }
        }
        let wait = match request().send().await {
            Ok(response) if response.status().is_success() => return Ok(response),
            Ok(response) => {
                let status = response.status();
                let transient = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                if !transient || attempt == attempts {
                    return Err(FetchError::Status {
                        url: shown,
                        status,
                        attempts: attempt,
                    });
                }
                retry_after(&response)
                    .map_or_else(|| jitter(backoff), |d| d.min(settings.max_retry_after))
            }
            Err(e) => {
                let transient = e.is_connect() || e.is_timeout() || e.is_request() || e.is_body();
                if !transient || attempt == attempts {
                    return Err(FetchError::Request {
                        url: shown,
                        reason: e.without_url().to_string(),
                        attempts: attempt,
                    });
                }
                jitter(backoff)
            }
        };
        tracing::warn!(url = %shown, attempt, retry_in_ms = wait.as_millis() as u64, "feed request failed; retrying");
        tokio::select! {
            () = cancel.cancelled() => return Err(FetchError::Cancelled { url: shown }),
            () = tokio::time::sleep(wait) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
    Err(FetchError::Request {
        url: shown,
        reason: "no attempt made".into(),
        attempts,
    })
}

/// The delay a `Retry-After` header asks for (seconds, or an HTTP date).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

/// `base` ± 25 %, so that clients do not retry in lockstep.
fn jitter(base: Duration) -> Duration {
    base.mul_f64(0.75 + fastrand::f64() * 0.5)
}
