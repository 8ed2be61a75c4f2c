//! Fetching one page of a RESO resource: authentication (a static bearer token or an OAuth2
//! token, renewed once when the server answers 401), pacing, the shared retry loop, a size
//! cap on the body, and parsing the OData JSON into its records and `@odata.nextLink`.

use propimport_domain::CancelToken;
use reqwest::header::ACCEPT;
use reqwest::{StatusCode, Url};

use super::ResoClient;
use crate::fetch::{FetchError, body_error, send_with_retries};
use crate::formats::reso::page::{Page, parse};
use crate::formats::{FeedError, Position};
use crate::source::{HttpSettings, Location};

/// The largest page read into memory; a larger one fails the run (lower `page_size`).
const MAX_PAGE_BYTES: usize = 64 << 20;

/// Why a page could not be had.
#[derive(Debug)]
pub(crate) enum PageError {
    /// The request failed (after retries) or was cancelled.
    Fetch(FetchError),
    /// The answer is not a readable page.
    Feed(FeedError),
}

impl ResoClient {
    /// GETs and parses the page at `url`; `records_before` is how many records the run read
    /// before it (for error positions).
    pub(crate) async fn page(
        &self,
        http: &reqwest::Client,
        settings: &HttpSettings,
        url: &Url,
        records_before: u64,
        cancel: &CancelToken,
    ) -> Result<Page, PageError> {
        let shown = Location::Url(url.clone()).redacted();
        let mut renewed = false;
        let response = loop {
            let token = match &self.tokens {
                Some(tokens) => Some(
                    tokens
                        .token(http, settings, cancel)
                        .await
                        .map_err(PageError::Fetch)?,
                ),
                None => settings.bearer_token.clone(),
            };
            let request = || {
                let request = http.get(url.clone()).header(ACCEPT, "application/json");
                match &token {
                    Some(token) => request.bearer_auth(token),
                    None => request,
                }
            };
            let result =
                send_with_retries(&shown, settings, self.pacer.as_ref(), cancel, request).await;
            if let Err(FetchError::Status {
                status: StatusCode::UNAUTHORIZED,
                ..
            }) = &result
                && !renewed
                && let (Some(tokens), Some(token)) = (&self.tokens, &token)
            {
                tracing::info!(url = %shown, "access token refused; fetching a new one");
                tokens.refused(token).await;
                renewed = true;
                continue;
            }
            break result.map_err(PageError::Fetch)?;
        };
        let body = read_capped(response, MAX_PAGE_BYTES, settings.read_timeout)
            .await
            .map_err(|reason| {
                let at = Position {
                    offset: 0,
                    line: None,
                    records: records_before,
                };
                PageError::Feed(FeedError::io(at, std::io::Error::other(reason)))
            })?;
        parse(&body, records_before).map_err(PageError::Feed)
    }
}

/// Reads a response's body, refusing more than `limit` bytes; `read_timeout` is the source's
/// (for the error when the server stops sending).
pub(super) async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
    read_timeout: std::time::Duration,
) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("cannot read the answer: {}", body_error(e, read_timeout)))?
    {
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(format!("the answer is larger than {} KiB", limit >> 10));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
