//! What a source is: its name, format, location, credentials and limits.

use std::path::PathBuf;
use std::time::Duration;

use propimport_domain::{RetryPolicy, SourceName};

mod reso;

pub use crate::formats::FeedFormat;

pub use reso::{OAuthClientCredentials, RateLimit, ResoSettings};

/// Where a feed is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An `http://` or `https://` URL.
    Url(reqwest::Url),
    /// A local file.
    File(PathBuf),
}

impl Location {
    /// Parses a URL (`http(s)://…`, `file://…`) or a path.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("is empty".into());
        }
        if let Some(path) = text.strip_prefix("file://") {
            return Ok(Self::File(PathBuf::from(path)));
        }
        if text.contains("://") {
            let url = reqwest::Url::parse(text)
                .map_err(|e| format!("{text:?} is not a valid URL: {e}"))?;
            return match url.scheme() {
                "http" | "https" => Ok(Self::Url(url)),
                other => Err(format!(
                    "the scheme {other}:// is not supported (use http, https or a file path)"
                )),
            };
        }
        Ok(Self::File(PathBuf::from(text)))
    }

    /// The location for logs and errors: a URL without credentials or query, or the path.
    pub fn redacted(&self) -> String {
        match self {
            Self::Url(url) => {
                let mut shown = url.clone();
                let _ = shown.set_password(None);
                let _ = shown.set_username("");
                shown.set_query(None);
                shown.to_string()
            }
            Self::File(path) => path.display().to_string(),
        }
    }
}

/// How an HTTP source is fetched.
///
/// Three timeouts bound a fetch, and an error names the one that ran out ("timed out after
/// 30 s … (read_timeout / IMPORT_SOURCE_READ_TIMEOUT)"):
/// - `connect_timeout`: one attempt's TCP and TLS connection;
/// - `read_timeout`: one attempt's wait for the response head, then every wait for the next
///   bytes of the body while the feed streams (a server that stalls mid-feed fails the run
///   after this long);
/// - `timeout`: getting a response at all: every attempt and every wait between retries
///   together, from the first connection to the response head. It does not bound streaming
///   the body, which takes as long as the feed is large (`read_timeout` catches a stall).
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Longest wait for one attempt's connection (default 10 s).
    pub connect_timeout: Duration,
    /// Longest wait for a response's head, and then for each next bytes of its body
    /// (default 30 s).
    pub read_timeout: Duration,
    /// Longest wait for a response, all attempts and retry waits together (default 5 min):
    /// the retry policy's elapsed bound.
    pub timeout: Duration,
    /// How a failed request is tried again: attempts, backoff, the longest `Retry-After`
    /// honoured (default [`RetryPolicy::feed`]: 4 attempts).
    pub retry: RetryPolicy,
    /// Bearer token sent as `Authorization: Bearer …`.
    pub bearer_token: Option<String>,
}

impl HttpSettings {
    /// The default `connect_timeout`: 10 s.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default `read_timeout`: 30 s.
    pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default `timeout`: 5 min.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            read_timeout: Self::DEFAULT_READ_TIMEOUT,
            timeout: Self::DEFAULT_TIMEOUT,
            retry: RetryPolicy::feed(),
            bearer_token: None,
        }
    }
}

/// A configured source.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// Unique name: part of each listing's identity and the name of its import job.
    pub name: SourceName,
    /// Its format.
    pub format: FeedFormat,
    /// Where it is read from.
    pub location: Location,
    /// How it is fetched over HTTP.
    pub http: HttpSettings,
    /// A complete snapshot withdraws absent listings only if they are at most this share of
    /// the source's active listings (default 0.3).
    pub max_withdraw_fraction: f64,
    /// Whether a complete snapshot with no listing at all is accepted (default false: such a
    /// run fails with "the feed holds no listings" and withdraws nothing, since an empty
    /// export is far more often a broken one than a partner without listings).
    pub allow_empty: bool,
    /// The longest text or CDATA node a Kyero feed may have (default 1 MiB); a longer one is
    /// skipped as it streams, never held in memory, and its property fails alone.
    pub max_text_bytes: usize,
    /// Paging, authentication and pacing of a RESO Web API source (unused by other formats).
    pub reso: ResoSettings,
}

impl SourceConfig {
    /// A source with default HTTP settings, withdrawal limit, text limit and RESO settings,
    /// which does not accept an empty feed.
    pub fn new(name: SourceName, format: FeedFormat, location: Location) -> Self {
        Self {
            name,
            format,
            location,
            http: HttpSettings::default(),
            max_withdraw_fraction: 0.3,
            allow_empty: false,
            max_text_bytes: crate::formats::DEFAULT_MAX_TEXT_BYTES,
            reso: ResoSettings::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(
            Location::parse("feeds/a.xml"),
            Ok(Location::File("feeds/a.xml".into()))
        );
        assert_eq!(
            Location::parse("file:///tmp/a.json"),
            Ok(Location::File("/tmp/a.json".into()))
        );
        assert!(matches!(
            Location::parse("https://feeds.example/a.xml"),
            Ok(Location::Url(_))
        ));
        assert!(Location::parse("ftp://x/a.xml").is_err());
        assert!(Location::parse(" ").is_err());
        let shown = Location::parse("https://user:secret@feeds.example/a.xml?token=abc")
            .unwrap()
            .redacted();
        assert_eq!(shown, "https://feeds.example/a.xml");
    }

    #[test]
    fn formats() {
        assert_eq!(FeedFormat::parse("Kyero"), Some(FeedFormat::KYERO));
        assert_eq!(FeedFormat::parse("json"), Some(FeedFormat::JSON));
        assert_eq!(FeedFormat::parse("RESO-Web-API"), Some(FeedFormat::RESO));
        assert!(!FeedFormat::RESO.is_snapshot());
        assert_eq!(FeedFormat::parse("csv"), None);
    }
}
