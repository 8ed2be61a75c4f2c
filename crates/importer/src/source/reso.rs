//! The per-source settings of a RESO Web API source: page size, OAuth2 client credentials,
//! request pacing and the default currency. Vendor differences are settings, not code.

use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

use propimport_domain::Currency;

/// How a RESO Web API source is paged, authenticated and paced.
#[derive(Debug, Clone, PartialEq)]
pub struct ResoSettings {
    /// Records per page (`$top`); default 100. Servers cap it (often at 200 to 5000).
    pub page_size: NonZeroU32,
    /// At most this many requests to the resource server; `None` = no limit.
    pub rate_limit: Option<RateLimit>,
    /// OAuth2 client credentials; when set they replace `HttpSettings::bearer_token`.
    pub oauth: Option<OAuthClientCredentials>,
    /// The currency of a record without `CurrencyCode`; `None` = USD.
    pub currency: Option<Currency>,
}

impl ResoSettings {
    /// The page size used when none is configured.
    pub const DEFAULT_PAGE_SIZE: NonZeroU32 = match NonZeroU32::new(100) {
        Some(size) => size,
        None => NonZeroU32::MIN,
    };
}

impl Default for ResoSettings {
    fn default() -> Self {
        Self {
            page_size: Self::DEFAULT_PAGE_SIZE,
            rate_limit: None,
            oauth: None,
            currency: None,
        }
    }
}

/// OAuth2 client credentials (RFC 6749 §4.4): a token is requested from `token_url` with
/// `grant_type=client_credentials` and the client id and secret in the form body.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClientCredentials {
    /// The token endpoint.
    pub token_url: reqwest::Url,
    /// The client id.
    pub client_id: String,
    /// The client secret (never shown by `Debug`).
    pub client_secret: String,
    /// The scope to ask for, when the server wants one.
    pub scope: Option<String>,
}

impl fmt::Debug for OAuthClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClientCredentials")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scope", &self.scope)
            .finish()
    }
}

/// A request rate: at most so many requests per second, spaced evenly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    per_second: f64,
}

impl RateLimit {
    /// The lowest rate accepted: one request every 1000 seconds.
    pub const MIN_PER_SECOND: f64 = 0.001;
    /// The highest rate accepted.
    pub const MAX_PER_SECOND: f64 = 1000.0;

    /// Checks a rate in requests per second (from 0.001 to 1000).
    pub fn per_second(per_second: f64) -> Result<Self, String> {
        if per_second.is_finite()
            && (Self::MIN_PER_SECOND..=Self::MAX_PER_SECOND).contains(&per_second)
        {
            Ok(Self { per_second })
        } else {
            Err(format!(
                "{per_second} is not a rate from {} to {} requests per second",
                Self::MIN_PER_SECOND,
                Self::MAX_PER_SECOND
            ))
        }
    }

    /// Parses a rate such as `2` or `0.5` (requests per second).
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a number of requests per second"))?;
        Self::per_second(value)
    }

    /// Requests per second.
    pub fn as_per_second(self) -> f64 {
        self.per_second
    }

    /// The shortest time between the starts of two requests.
    pub fn interval(self) -> Duration {
        Duration::from_secs_f64(1.0 / self.per_second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_checked() {
        assert_eq!(
            RateLimit::parse("4").unwrap().interval(),
            Duration::from_millis(250)
        );
        assert_eq!(
            RateLimit::parse(" 0.5 ").unwrap().interval(),
            Duration::from_secs(2)
        );
        for bad in ["0", "-1", "NaN", "inf", "1e9", "fast", ""] {
            assert!(RateLimit::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_not_shown() {
        let credentials = OAuthClientCredentials {
            token_url: "https://auth.example/token".parse().unwrap(),
            client_id: "id".into(),
            client_secret: "s3cret".into(),
            scope: None,
        };
        assert!(!format!("{credentials:?}").contains("s3cret"));
        assert_eq!(ResoSettings::default().page_size.get(), 100);
    }
}
