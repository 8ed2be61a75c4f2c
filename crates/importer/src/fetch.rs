//! Opening a feed as a byte stream: a local file, or an HTTP response fetched with timeouts
//! (see [`HttpSettings`]), gzip, and retries (the source's retry policy: exponential backoff
//! with jitter, `Retry-After` honoured) on connection errors, timeouts, 429 and 5xx. A
//! timeout's error says how long was waited for what and names the setting that ran out;
//! other errors carry the HTTP stack's whole explanation, not only its outermost words.

use std::error::Error as _;
use std::time::Duration;

use futures_util::TryStreamExt as _;
use propimport_domain::{CancelToken, GiveUp, ProgressHandle, RetryDecision};
use reqwest::StatusCode;
use tokio::io::BufReader;
use tokio::time::Instant;
use tokio_util::io::StreamReader;

use crate::metered;
use crate::pacing::Pacer;
use crate::source::{HttpSettings, Location};

pub use crate::formats::FeedStream;

const BUFFER: usize = 64 * 1024;

/// Which of a source's timeouts ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Timeout {
    /// `connect_timeout`: one attempt's connection.
    Connect,
    /// `read_timeout`: the wait for the response head, or for the next bytes of the body.
    Read,
    /// `timeout`: getting a response, all attempts and retry waits together.
    Total,
}

impl Timeout {
    /// The setting's key in a sources file and its variable for the single source, as errors
    /// name them (`read_timeout / IMPORT_SOURCE_READ_TIMEOUT`).
    pub fn setting(self) -> &'static str {
        match self {
            Self::Connect => "connect_timeout / IMPORT_SOURCE_CONNECT_TIMEOUT",
            Self::Read => "read_timeout / IMPORT_SOURCE_READ_TIMEOUT",
            Self::Total => "timeout / IMPORT_SOURCE_TIMEOUT",
        }
    }

    /// How long this timeout is in `settings`.
    pub fn of(self, settings: &HttpSettings) -> Duration {
        match self {
            Self::Connect => settings.connect_timeout,
            Self::Read => settings.read_timeout,
            Self::Total => settings.timeout,
        }
    }

    /// "timed out after 30 s waiting for the server to answer (read_timeout / …)".
    fn describe(self, after: Duration) -> String {
        let waiting = match self {
            Self::Connect => "connecting",
            Self::Read => "waiting for the server to answer",
            Self::Total => "trying to get an answer, all attempts together",
        };
        format!(
            "timed out after {} {waiting} ({})",
            seconds(after),
            self.setting()
        )
    }
}

/// A duration as "30 s" or "0.25 s".
pub(crate) fn seconds(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} s", (duration.as_secs_f64() * 1000.0).round() / 1000.0)
    }
}

/// Why a feed could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The file could not be opened.
    #[error("cannot open {path}: {error}")]
    File {
        /// The path.
        path: String,
        /// The system's error.
        #[source]
        error: std::io::Error,
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
        /// Why, with the words of every error beneath.
        reason: String,
        /// Attempts made.
        attempts: usize,
        /// The HTTP client's error (its URL left out), when the request itself failed.
        #[source]
        error: Option<reqwest::Error>,
    },
    /// One of the source's timeouts ran out (after any retries).
    #[error(
        "cannot fetch {url} after {attempts} attempt(s): {}{}",
        .timeout.describe(*.after),
        .last.as_deref().map(|l| format!("; the last attempt: {l}")).unwrap_or_default()
    )]
    TimedOut {
        /// The URL, without credentials or query.
        url: String,
        /// The timeout that ran out.
        timeout: Timeout,
        /// Its length.
        after: Duration,
        /// Attempts made (the last one may have been cut short).
        attempts: usize,
        /// Why the attempt before failed, when the total timeout ran out during a retry.
        last: Option<String>,
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

/// Opens the feed at `location`, counting its bytes into `progress` as they are read, with
/// its size when known in advance (a file's size; an HTTP response's `Content-Length`, which
/// a compressed response has not).
pub async fn open(
    location: &Location,
    client: &reqwest::Client,
    settings: &HttpSettings,
    cancel: &CancelToken,
    progress: &ProgressHandle,
) -> Result<FeedStream, FetchError> {
    match location {
        Location::File(path) => open_file(path, progress).await,
        Location::Url(url) => {
            let response = get_with_retries(url, client, settings, cancel).await?;
            metered::start(progress, response.content_length());
            let read_timeout = settings.read_timeout;
            let counted = progress.clone();
            let body = response
                .bytes_stream()
                .inspect_ok(move |chunk| metered::count_bytes(&counted, chunk.len()))
                .map_err(move |e| body_error(e, read_timeout));
            Ok(Box::new(BufReader::with_capacity(
                BUFFER,
                StreamReader::new(body),
            )))
        }
    }
}

/// Opens a local feed file as the importer reads a file source: a few chunks ahead of the
/// parser on a blocking thread (see `read_ahead.rs`), its bytes counted into `progress` with
/// the file's size.
pub async fn open_file(
    path: &std::path::Path,
    progress: &ProgressHandle,
) -> Result<FeedStream, FetchError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|error| FetchError::File {
            path: path.display().to_string(),
            error,
        })?;
    let size = file.metadata().await.ok().map(|m| m.len());
    metered::start(progress, size);
    let counted = progress.clone();
    let chunks = crate::read_ahead::chunks(file.into_std().await)
        .inspect_ok(move |chunk| metered::count_bytes(&counted, chunk.get_ref().len()));
    Ok(Box::new(BufReader::with_capacity(
        BUFFER,
        StreamReader::new(chunks),
    )))
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
/// timeouts, 429 and 5xx as the source's [`RetryPolicy`](propimport_domain::RetryPolicy) says
/// (exponential backoff with jitter, or as `Retry-After` asks), within the source's `timeout`
/// for all attempts and waits together. With a `pacer`, every attempt waits for its turn
/// first. `shown` names the URL in errors and logs (without credentials or query). Times are
/// Tokio's, so a paused test does not wait.
pub(crate) async fn send_with_retries(
    shown: &str,
    settings: &HttpSettings,
    pacer: Option<&Pacer>,
    cancel: &CancelToken,
    mut request: impl FnMut() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, FetchError> {
    let shown = shown.to_owned();
    let started = Instant::now();
    let deadline = started + settings.timeout;
    let mut retries = settings
        .retry
        .clone()
        .with_max_elapsed(settings.timeout)
        .start();
    let total = |attempts: usize, last: Option<String>| FetchError::TimedOut {
        url: shown.clone(),
        timeout: Timeout::Total,
        after: settings.timeout,
        attempts,
        last,
    };
    let mut last = None;
    let mut attempt: usize = 0;
    loop {
        attempt += 1;
        if let Some(pacer) = pacer {
            tokio::select! {
                () = cancel.cancelled() => return Err(FetchError::Cancelled { url: shown }),
                () = tokio::time::sleep_until(deadline) => return Err(total(attempt - 1, last)),
                () = pacer.ready() => {}
            }
        }
        let sent = tokio::select! {
            () = cancel.cancelled() => return Err(FetchError::Cancelled { url: shown }),
            () = tokio::time::sleep_until(deadline) => return Err(total(attempt, last)),
            sent = request().send() => sent,
        };
        // What failed, whether another attempt may help, the wait the server asked for, and
        // the error to give if none follows.
        let (reason, transient, retry_after, error) = match sent {
            Ok(response) if response.status().is_success() => return Ok(response),
            Ok(response) => {
                let status = response.status();
                let transient = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                let error = FetchError::Status {
                    url: shown.clone(),
                    status,
                    attempts: attempt,
                };
                let retry_after = retry_after(&response);
                (
                    format!("the server answered {status}"),
                    transient,
                    retry_after,
                    error,
                )
            }
            Err(e) => {
                let e = e.without_url();
                let transient = e.is_connect() || e.is_timeout() || e.is_request() || e.is_body();
                let timeout = timeout_of(&e);
                let reason = match timeout {
                    Some(timeout) => timeout.describe(timeout.of(settings)),
                    None => explain(&e),
                };
                let error = match timeout {
                    Some(timeout) => FetchError::TimedOut {
                        url: shown.clone(),
                        timeout,
                        after: timeout.of(settings),
                        attempts: attempt,
                        last: None,
                    },
                    None => FetchError::Request {
                        url: shown.clone(),
                        reason: reason.clone(),
                        attempts: attempt,
                        error: Some(e),
                    },
                };
                (reason, transient, None, error)
            }
        };
        if !transient {
            return Err(error);
        }
        let wait = match retries.failed(started.elapsed(), retry_after) {
            RetryDecision::RetryAfter(wait) => wait,
            RetryDecision::GiveUp(GiveUp::Attempts) => return Err(error),
            // The next wait would end past the total timeout: out of time now rather than
            // after waiting for nothing.
            RetryDecision::GiveUp(GiveUp::Elapsed) => return Err(total(attempt, Some(reason))),
        };
        tracing::warn!(url = %shown, attempt, retry_in_ms = wait.as_millis() as u64, reason = %reason, "feed request failed; retrying");
        last = Some(reason);
        tokio::select! {
            () = cancel.cancelled() => return Err(FetchError::Cancelled { url: shown }),
            () = tokio::time::sleep_until(deadline) => return Err(total(attempt, last)),
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// The timeout of the HTTP stack behind `error`, if one ran out (the total one is not the
/// stack's: it is watched around it).
fn timeout_of(error: &reqwest::Error) -> Option<Timeout> {
    match (error.is_timeout(), error.is_connect()) {
        (false, _) => None,
        (true, true) => Some(Timeout::Connect),
        (true, false) => Some(Timeout::Read),
    }
}

/// The error with every cause after it ("error sending request: client error (Connect): tcp
/// connect error: Connection refused"), without the URL (which may carry credentials).
/// The words of `error` and of every error beneath it, each said once (strip the URL first:
/// it may carry credentials).
pub(crate) fn explain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let words = e.to_string();
        if !text.contains(&words) {
            text.push_str(": ");
            text.push_str(&words);
        }
        cause = e.source();
    }
    text
}

/// The I/O error of a body that could not be read to its end.
pub(crate) fn body_error(error: reqwest::Error, read_timeout: Duration) -> std::io::Error {
    if timeout_of(&error).is_some() {
        return std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "the server stopped sending mid-body: timed out after {} waiting for more of it ({})",
                seconds(read_timeout),
                Timeout::Read.setting()
            ),
        );
    }
    let error = error.without_url();
    std::io::Error::other(format!("the body broke off: {}", explain(&error)))
}

/// The delay a `Retry-After` header asks for (seconds, or an HTTP date).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    propimport_domain::parse_retry_after(value, chrono::Utc::now())
}
