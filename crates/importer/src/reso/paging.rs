//! The URLs of a RESO run: the first page's query, built from the resource URL and the
//! watermark, and each next page from the server's `@odata.nextLink`, followed as an opaque
//! URL.
//!
//! The resource URL may carry its own query options (a vendor's required `$filter`,
//! `$expand=Media`, `$select`): they are kept, a `$filter` is combined with the watermark
//! condition by `and`, and `$orderby` and `$top` are replaced by the run's own.

use std::num::NonZeroU32;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Url;

/// The field the watermark is kept on.
const WATERMARK_FIELD: &str = "ModificationTimestamp";

/// The first page: `$filter=ModificationTimestamp ge <watermark>` (left out without a
/// watermark), `$orderby=ModificationTimestamp asc`, `$top=<page size>`, `$count=true`.
pub(crate) fn first_page(
    resource: &Url,
    watermark: Option<DateTime<Utc>>,
    page_size: NonZeroU32,
) -> Url {
    let mut kept: Vec<&str> = Vec::new();
    let mut vendor_filter = None;
    for part in resource.query().unwrap_or_default().split('&') {
        let key = part.split('=').next().unwrap_or_default();
        match option_name(key).as_str() {
            "" | "$orderby" | "$top" | "$count" => {}
            "$filter" => vendor_filter = part.split_once('=').map(|(_, value)| value),
            _ => kept.push(part),
        }
    }
    let since = watermark.map(|at| format!("{WATERMARK_FIELD} ge {}", literal(at)));
    let filter = match (vendor_filter.filter(|f| !f.is_empty()), since) {
        (Some(vendor), Some(since)) => Some(format!("({vendor}) and {since}")),
        (Some(vendor), None) => Some(vendor.to_owned()),
        (None, since) => since,
    };
    let mut query: Vec<String> = kept.into_iter().map(str::to_owned).collect();
    if let Some(filter) = filter {
        query.push(format!("$filter={filter}"));
    }
    query.push(format!("$orderby={WATERMARK_FIELD} asc"));
    query.push(format!("$top={page_size}"));
    // The server's `@odata.count` on the first page is the run's expected total (progress).
    query.push("$count=true".to_owned());
    let mut url = resource.clone();
    url.set_query(Some(&query.join("&")));
    url
}

/// The records with these keys, asked by `field` (`ListingKey eq 'a' or ListingKey eq 'b'`,
/// OData 4.0's way of `in`), with the resource URL's own options kept (a vendor's `$filter`
/// is combined by `and`) and `$top` the number of keys. `numeric` fields take the keys as
/// number literals (keys that are not digits are left out); others as quoted strings.
pub(crate) fn by_keys(resource: &Url, field: &str, numeric: bool, keys: &[&str]) -> Url {
    let mut kept: Vec<&str> = Vec::new();
    let mut vendor_filter = None;
    for part in resource.query().unwrap_or_default().split('&') {
        let key = part.split('=').next().unwrap_or_default();
        match option_name(key).as_str() {
            "" | "$orderby" | "$top" | "$count" | "$skip" => {}
            "$filter" => vendor_filter = part.split_once('=').map(|(_, value)| value),
            _ => kept.push(part),
        }
    }
    let conditions: Vec<String> = keys
        .iter()
        .filter(|key| !numeric || (!key.is_empty() && key.bytes().all(|b| b.is_ascii_digit())))
        .map(|key| {
            if numeric {
                format!("{field} eq {key}")
            } else {
                format!("{field} eq '{}'", encoded(&key.replace('\'', "''")))
            }
        })
        .collect();
    let wanted = format!("({})", conditions.join(" or "));
    let filter = match vendor_filter.filter(|f| !f.is_empty()) {
        Some(vendor) => format!("({vendor}) and {wanted}"),
        None => wanted,
    };
    let mut query: Vec<String> = kept.into_iter().map(str::to_owned).collect();
    query.push(format!("$filter={filter}"));
    query.push(format!("$top={}", conditions.len().max(1)));
    let mut url = resource.clone();
    url.set_query(Some(&query.join("&")));
    url
}

/// A string literal's text percent-encoded where a query would misread it (`&`, `+`, `#`,
/// `%`, `=`, spaces, non-ASCII); letters, digits, `-._~'` and the like stay.
fn encoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~'()*!,;:@/$".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The first page's URL without its `$count=true`, or `None` when it has none.
pub(crate) fn without_count(first: &Url) -> Option<Url> {
    let query = first.query()?;
    let parts: Vec<&str> = query.split('&').collect();
    let kept: Vec<&str> = parts
        .iter()
        .copied()
        .filter(|part| *part != "$count=true")
        .collect();
    if kept.len() == parts.len() {
        return None;
    }
    let mut url = first.clone();
    url.set_query(Some(&kept.join("&")));
    Some(url)
}

/// The page after `current`, from its `@odata.nextLink` (absolute, or relative to `current`).
/// While credentials are sent, the link must stay on the resource's server; a link back to
/// the same page is refused (it would never end).
pub(crate) fn next_page(
    current: &Url,
    resource: &Url,
    link: &str,
    credentials: bool,
) -> Result<Url, String> {
    let next = current
        .join(link.trim())
        .map_err(|e| format!("@odata.nextLink is not a URL: {e}"))?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(format!(
            "@odata.nextLink uses {}://, not http or https",
            next.scheme()
        ));
    }
    if credentials && next.origin() != resource.origin() {
        return Err(format!(
            "@odata.nextLink leads to another server ({}); credentials are not sent there",
            next.host_str().unwrap_or("no host")
        ));
    }
    if &next == current {
        return Err("@odata.nextLink repeats the page it is on".into());
    }
    Ok(next)
}

/// A watermark as an OData `DateTimeOffset` literal in UTC (`2024-05-01T10:30:00Z`, with
/// fractional seconds only when it has them).
pub(super) fn literal(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A query key as an OData system option name: `%24` decoded, lower case.
fn option_name(key: &str) -> String {
    key.replace("%24", "$").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn url(text: &str) -> Url {
        text.parse().unwrap()
    }

    fn size(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[test]
    fn the_first_page_carries_the_watermark() {
        let resource = url("https://reso.example/odata/Property");
        assert_eq!(
            first_page(&resource, None, size(50)).as_str(),
            "https://reso.example/odata/Property?$orderby=ModificationTimestamp%20asc&$top=50&$count=true"
        );
        let at = Utc.with_ymd_and_hms(2024, 5, 1, 10, 30, 0).unwrap();
        let page = first_page(&resource, Some(at), size(50));
        let filter = page
            .query_pairs()
            .find(|(k, _)| k == "$filter")
            .map(|(_, v)| v.into_owned());
        assert_eq!(
            filter.as_deref(),
            Some("ModificationTimestamp ge 2024-05-01T10:30:00Z")
        );
        let precise = at + chrono::Duration::microseconds(123_456);
        assert_eq!(literal(precise), "2024-05-01T10:30:00.123456Z");
    }

    #[test]
    fn the_count_can_be_left_out() {
        let resource = url("https://reso.example/odata/Property?$expand=Media");
        let first = first_page(&resource, None, size(50));
        let plain = without_count(&first).unwrap();
        assert_eq!(
            plain.as_str(),
            "https://reso.example/odata/Property?$expand=Media&$orderby=ModificationTimestamp%20asc&$top=50"
        );
        assert_eq!(without_count(&plain), None);
    }

    #[test]
    fn vendor_options_are_kept_and_combined() {
        let resource = url(
            "https://reso.example/odata/Property?%24filter=OriginatingSystemName%20eq%20'MLS'&$expand=Media&$top=9999&$orderby=ListPrice&$count=false",
        );
        let at = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
        let page = first_page(&resource, Some(at), size(10));
        let pairs: Vec<(String, String)> = page.query_pairs().into_owned().collect();
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(
            pairs,
            [
                pair("$expand", "Media"),
                pair(
                    "$filter",
                    "(OriginatingSystemName eq 'MLS') and ModificationTimestamp ge 2024-05-01T00:00:00Z"
                ),
                pair("$orderby", "ModificationTimestamp asc"),
                pair("$top", "10"),
                pair("$count", "true"),
            ]
        );
    }

    #[test]
    fn records_are_asked_by_key() {
        let resource = url(
            "https://reso.example/odata/Property?$filter=MlgCanView%20eq%20true&$expand=Media&$top=5",
        );
        let page = by_keys(&resource, "ListingKey", false, &["A1", "O'Hara & Co+1"]);
        let pairs: Vec<(String, String)> = page.query_pairs().into_owned().collect();
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(
            pairs,
            [
                pair("$expand", "Media"),
                pair(
                    "$filter",
                    "(MlgCanView eq true) and (ListingKey eq 'A1' or ListingKey eq 'O''Hara & Co+1')"
                ),
                pair("$top", "2"),
            ]
        );
        let numeric = by_keys(
            &url("https://reso.example/odata/Property"),
            "ListingKeyNumeric",
            true,
            &["12", "x1"],
        );
        assert_eq!(
            numeric.as_str(),
            "https://reso.example/odata/Property?$filter=(ListingKeyNumeric%20eq%2012)&$top=1"
        );
    }

    #[test]
    fn next_links_are_checked() {
        let resource = url("https://reso.example/odata/Property");
        let current = first_page(&resource, None, size(10));
        let next = next_page(&current, &resource, "Property?$skiptoken=abc", true).unwrap();
        assert_eq!(
            next.as_str(),
            "https://reso.example/odata/Property?$skiptoken=abc"
        );
        assert!(next_page(&current, &resource, "https://elsewhere.example/p?x", true).is_err());
        assert_eq!(
            next_page(&current, &resource, "https://elsewhere.example/p?x", false)
                .unwrap()
                .as_str(),
            "https://elsewhere.example/p?x"
        );
        assert!(next_page(&current, &resource, current.as_str(), false).is_err());
        assert!(next_page(&current, &resource, "ftp://reso.example/x", false).is_err());
    }
}
