//! Fetching one page of a RESO resource: authentication (a static bearer token or an OAuth2
//! token, renewed once when the server answers 401), pacing, the shared retry loop, a size
//! cap on the body, and parsing the OData JSON into its records and `@odata.nextLink`.

use propimport_domain::CancelToken;
use reqwest::header::ACCEPT;
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::Value;

use super::ResoClient;
use crate::fetch::{FetchError, body_error, send_with_retries};
use crate::formats::{FeedError, Position};
use crate::source::{HttpSettings, Location};

/// The largest page read into memory; a larger one fails the run (lower `page_size`).
const MAX_PAGE_BYTES: usize = 64 << 20;

const FORMAT: &str = "RESO Web API";

/// One page: its records (not yet mapped), the link to the next page, if any, and how many
/// records the whole query has, when the server says (`@odata.count`).
#[derive(Debug)]
pub(crate) struct Page {
    pub records: Vec<Value>,
    pub next_link: Option<String>,
    pub count: Option<i64>,
}

/// Why a page could not be had.
#[derive(Debug)]
pub(crate) enum PageError {
    /// The request failed (after retries) or was cancelled.
    Fetch(FetchError),
    /// The answer is not a readable page.
    Feed(FeedError),
}

#[derive(Deserialize)]
struct RawPage {
    value: Option<Vec<Value>>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
    /// Read leniently: a count the server writes as a string or a float is taken when it is
    /// a whole number, and anything else ignored.
    #[serde(rename = "@odata.count", default)]
    count: Option<Value>,
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

/// Parses a page's JSON: an object with a `value` array and an optional `@odata.nextLink`.
pub(crate) fn parse(body: &[u8], records_before: u64) -> Result<Page, FeedError> {
    let raw: RawPage = serde_json::from_slice(body).map_err(|e| {
        let at = Position {
            offset: offset_of(body, e.line(), e.column()),
            line: Some(e.line() as u64),
            records: records_before,
        };
        let message = e.to_string();
        if e.is_eof() {
            FeedError::Truncated { at, message }
        } else if e.is_data() {
            FeedError::WrongFormat {
                format: FORMAT,
                message,
            }
        } else {
            FeedError::Malformed { at, message }
        }
    })?;
    let records = raw.value.ok_or_else(|| FeedError::WrongFormat {
        format: FORMAT,
        message: "the answer has no \"value\" array".into(),
    })?;
    Ok(Page {
        records,
        next_link: raw.next_link.filter(|link| !link.trim().is_empty()),
        count: raw.count.as_ref().and_then(whole_count),
    })
}

/// A non-negative whole `@odata.count`, given as a number or a string.
fn whole_count(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n| *n >= 0)
}

/// The byte offset of a 1-based line and column.
fn offset_of(body: &[u8], line: usize, column: usize) -> u64 {
    let line_start: usize = body
        .split(|&b| b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    (line_start + column.saturating_sub(1)).min(body.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_broken_pages() {
        let page = parse(
            br#"{"@odata.context": "x", "value": [{"a": 1}, 2], "@odata.nextLink": "next"}"#,
            0,
        )
        .unwrap();
        assert_eq!(
            (page.records.len(), page.next_link.as_deref()),
            (2, Some("next"))
        );
        assert_eq!(page.count, None);
        let last = parse(br#"{"value": [], "@odata.nextLink": null}"#, 0).unwrap();
        assert!(last.records.is_empty() && last.next_link.is_none());
        for (body, count) in [
            (&br#"{"value": [], "@odata.count": 1200}"#[..], Some(1200)),
            (br#"{"value": [], "@odata.count": "7"}"#, Some(7)),
            (br#"{"value": [], "@odata.count": -1}"#, None),
            (br#"{"value": [], "@odata.count": {"a": 1}}"#, None),
        ] {
            assert_eq!(parse(body, 0).unwrap().count, count);
        }
        assert!(matches!(
            parse(b"{\"value\": [", 5),
            Err(FeedError::Truncated { .. })
        ));
        assert!(matches!(
            parse(b"{\"error\": {}}", 0),
            Err(FeedError::WrongFormat { .. })
        ));
        assert!(matches!(
            parse(b"{\"value\": 3}", 0),
            Err(FeedError::WrongFormat { .. })
        ));
        let err = parse(b"{\n  \"value\": [1,,]}", 7).unwrap_err();
        let at = err.position().unwrap();
        assert_eq!((at.offset, at.line, at.records), (16, Some(2), 7), "{err}");
        assert!(matches!(
            parse(b"<html>", 0),
            Err(FeedError::Malformed { .. })
        ));
    }
}
