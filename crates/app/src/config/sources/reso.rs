//! The fields of a RESO Web API source: page size, request rate, default currency and OAuth2
//! client credentials (other formats refuse them).

use std::num::NonZeroU32;

use propimport_domain::Currency;
use propimport_importer::{FeedFormat, Location, OAuthClientCredentials, RateLimit, ResoSettings};

use propimport_domain::SourceSpec;

/// The largest page size accepted (`$top`).
const MAX_PAGE_SIZE: u32 = 10_000;

/// Checks the RESO fields; `field` names a field as the problem should (variable or key).
/// Secrets are never repeated in a problem.
pub(super) fn reso_settings(
    entry: &SourceSpec,
    format: FeedFormat,
    location: &Location,
    field: &impl Fn(&str) -> String,
) -> Result<ResoSettings, String> {
    let given = [
        ("page_size", entry.page_size.is_some()),
        ("rate_limit", entry.rate_limit.is_some()),
        ("currency", entry.currency.is_some()),
        ("oauth_token_url", entry.oauth_token_url.is_some()),
        ("client_id", entry.client_id.is_some()),
        ("client_secret", entry.client_secret.is_some()),
        ("oauth_scope", entry.oauth_scope.is_some()),
    ];
    if format != FeedFormat::RESO {
        return match given.iter().find(|(_, set)| *set) {
            Some((name, _)) => Err(format!(
                "{}: only RESO Web API sources (format reso) use it",
                field(name)
            )),
            None => Ok(ResoSettings::default()),
        };
    }
    if !matches!(location, Location::Url(_)) {
        return Err(format!(
            "{}: a RESO Web API source needs an http(s) URL",
            field("url")
        ));
    }
    let mut settings = ResoSettings::default();
    if let Some(size) = &entry.page_size {
        settings.page_size = size
            .text()
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_PAGE_SIZE)
            .and_then(NonZeroU32::new)
            .ok_or_else(|| {
                format!(
                    "{}={size}: expected a whole number from 1 to {MAX_PAGE_SIZE}",
                    field("page_size")
                )
            })?;
    }
    if let Some(rate) = &entry.rate_limit {
        let limit = RateLimit::parse(&rate.text()).map_err(|_| {
            format!(
                "{}={rate}: expected requests per second, from {} to {}",
                field("rate_limit"),
                RateLimit::MIN_PER_SECOND,
                RateLimit::MAX_PER_SECOND
            )
        })?;
        settings.rate_limit = Some(limit);
    }
    if let Some(code) = &entry.currency {
        let currency = Currency::parse(code).map_err(|_| {
            format!(
                "{}={code:?}: expected a currency code such as USD",
                field("currency")
            )
        })?;
        settings.currency = Some(currency);
    }
    let oauth = (
        &entry.oauth_token_url,
        &entry.client_id,
        &entry.client_secret,
    );
    settings.oauth = match oauth {
        (None, None, None) if entry.oauth_scope.is_none() => None,
        (Some(url), Some(client_id), Some(client_secret)) => {
            let Ok(Location::Url(token_url)) = Location::parse(url) else {
                let name = field("oauth_token_url");
                return Err(format!(
                    "{name}={url:?}: expected an http:// or https:// URL"
                ));
            };
            Some(OAuthClientCredentials {
                token_url,
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                scope: entry.oauth_scope.clone(),
            })
        }
        (url, id, _) => {
            let missing = match (url, id) {
                (None, _) => "oauth_token_url",
                (_, None) => "client_id",
                _ => "client_secret",
            };
            return Err(format!(
                "{}: is not set; OAuth2 client credentials need a token URL, a client id and a client secret",
                field(missing)
            ));
        }
    };
    Ok(settings)
}
