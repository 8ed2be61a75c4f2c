//! The RESO Web API source: an OData resource (`…/odata/Property`) read incrementally, page
//! by page, from the source's stored watermark.
//!
//! A run asks for the records modified after the watermark in modification order
//! (`paging.rs`), fetches each page with the source's authentication, pacing and the shared
//! retries (`client.rs`, `oauth.rs`), maps its records (the format's mapping, `formats/reso/mapping/`), stores them, withdraws
//! the ones the source says are gone, and only then moves the watermark to the page's latest
//! `ModificationTimestamp` (the run itself is the pipeline's: `pipeline/reso.rs`). A run is
//! never a snapshot: nothing is withdrawn for being absent. The settings are the source's
//! (`source/reso.rs`). The field mapping is documented in `RESO.md`.

mod client;
mod oauth;
pub(crate) mod paging;

use propimport_domain::Currency;

pub(crate) use client::PageError;

use crate::pacing::Pacer;
use crate::source::{Location, ResoSettings, SourceConfig};

/// What a RESO source keeps between runs: its pacer and its cached OAuth2 token.
#[derive(Debug)]
pub(crate) struct ResoClient {
    pub(crate) resource: reqwest::Url,
    pub(crate) settings: ResoSettings,
    pub(crate) currency: Currency,
    pacer: Option<Pacer>,
    tokens: Option<oauth::TokenSource>,
}

impl ResoClient {
    /// The client of `source`; fails when the source is not an http(s) URL.
    pub(crate) fn new(source: &SourceConfig) -> Result<Self, String> {
        let Location::Url(resource) = &source.location else {
            return Err(format!(
                "a RESO Web API source needs an http(s) URL, not the file {}",
                source.location.redacted()
            ));
        };
        let settings = source.reso.clone();
        let currency = match settings.currency {
            Some(currency) => currency,
            None => Currency::parse("USD").map_err(|e| e.to_string())?,
        };
        Ok(Self {
            resource: resource.clone(),
            pacer: settings.rate_limit.map(Pacer::new),
            tokens: settings.oauth.clone().map(oauth::TokenSource::new),
            currency,
            settings,
        })
    }

    /// Whether requests carry credentials (so links must not lead them elsewhere).
    pub(crate) fn sends_credentials(&self, source: &SourceConfig) -> bool {
        self.tokens.is_some() || source.http.bearer_token.is_some()
    }
}
