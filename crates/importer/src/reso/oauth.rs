//! OAuth2 client credentials: an access token is requested once, kept until shortly before
//! it expires (`expires_in`), and dropped when the resource server refuses it, so the next
//! request fetches a new one. The cache outlives a run: the importer keeps it.

use std::time::Duration;

use propimport_domain::CancelToken;
use reqwest::header::ACCEPT;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::client::read_capped;
use crate::fetch::{FetchError, send_with_retries};
use crate::source::{HttpSettings, Location, OAuthClientCredentials};

/// The largest token response read.
const MAX_TOKEN_BYTES: usize = 64 << 10;

/// How long before its expiry a token is renewed (at most half its lifetime).
const RENEW_MARGIN: Duration = Duration::from_secs(60);

/// Hands out access tokens for one source's credentials.
#[derive(Debug)]
pub(super) struct TokenSource {
    credentials: OAuthClientCredentials,
    cached: Mutex<Option<Token>>,
}

#[derive(Debug, Clone)]
struct Token {
    value: String,
    /// When to fetch a new one; `None` when the server did not say (kept until refused).
    renew_at: Option<Instant>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<Value>,
}

impl TokenSource {
    /// A token source for `credentials`, with nothing cached yet.
    pub(super) fn new(credentials: OAuthClientCredentials) -> Self {
        Self {
            credentials,
            cached: Mutex::new(None),
        }
    }

    /// A usable access token: the cached one while it is fresh, else a new one.
    pub(super) async fn token(
        &self,
        client: &reqwest::Client,
        settings: &HttpSettings,
        cancel: &CancelToken,
    ) -> Result<String, FetchError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref()
            && token.renew_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok(token.value.clone());
        }
        let token = self.fetch(client, settings, cancel).await?;
        let value = token.value.clone();
        *cached = Some(token);
        Ok(value)
    }

    /// Forgets `token` because the resource server refused it (unless a newer one replaced
    /// it already).
    pub(super) async fn refused(&self, token: &str) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|t| t.value == token) {
            *cached = None;
        }
    }

    async fn fetch(
        &self,
        client: &reqwest::Client,
        settings: &HttpSettings,
        cancel: &CancelToken,
    ) -> Result<Token, FetchError> {
        let c = &self.credentials;
        let shown = Location::Url(c.token_url.clone()).redacted();
        let failed = |reason: String| FetchError::Request {
            url: shown.clone(),
            reason: format!("no OAuth2 access token: {reason}"),
            attempts: 1,
            error: None,
        };
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", c.client_id.as_str()),
            ("client_secret", c.client_secret.as_str()),
        ];
        if let Some(scope) = &c.scope {
            form.push(("scope", scope.as_str()));
        }
        let request = || {
            client
                .post(c.token_url.clone())
                .header(ACCEPT, "application/json")
                .form(&form)
        };
        let response = send_with_retries(&shown, settings, None, cancel, request).await?;
        let body = read_capped(response, MAX_TOKEN_BYTES, settings.read_timeout)
            .await
            .map_err(&failed)?;
        let answer: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| failed(format!("the answer is not a token response: {e}")))?;
        if let Some(kind) = &answer.token_type
            && !kind.eq_ignore_ascii_case("bearer")
        {
            return Err(failed(format!("the token type {kind:?} is not Bearer")));
        }
        let value = answer.access_token.trim().to_owned();
        if value.is_empty() {
            return Err(failed("the access token is empty".into()));
        }
        // A lifetime too long to add to the clock is as good as none.
        let renew_at = lifetime(answer.expires_in.as_ref()).and_then(|life| {
            let margin = RENEW_MARGIN.min(life / 2);
            Instant::now().checked_add(life - margin)
        });
        tracing::debug!(token_url = %shown, expires = renew_at.is_some(), "OAuth2 access token fetched");
        Ok(Token { value, renew_at })
    }
}

/// `expires_in` in seconds, sent as a number or a numeric string.
fn lifetime(expires_in: Option<&Value>) -> Option<Duration> {
    let seconds = match expires_in? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }?;
    (seconds.is_finite() && seconds > 0.0)
        .then(|| Duration::try_from_secs_f64(seconds).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::lifetime;

    #[test]
    fn lifetimes_as_numbers_or_strings() {
        assert_eq!(
            lifetime(Some(&json!(3600))).map(|d| d.as_secs()),
            Some(3600)
        );
        assert_eq!(lifetime(Some(&json!("90"))).map(|d| d.as_secs()), Some(90));
        assert_eq!(lifetime(Some(&json!(-1))), None);
        assert_eq!(lifetime(Some(&json!("soon"))), None);
        assert_eq!(lifetime(None), None);
    }
}
