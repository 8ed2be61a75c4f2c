//! One page of a RESO Web API answer: an OData JSON object with its `value` array of records,
//! `@odata.nextLink` and `@odata.count`, parsed whole (a page is bounded by its request's
//! `$top` and the transport's size cap).

use serde::Deserialize;
use serde_json::Value;

use crate::formats::{FeedError, Position};

const FORMAT: &str = "RESO Web API";

/// One page: its records (not yet mapped), the link to the next page, if any, and how many
/// records the whole query has, when the server says (`@odata.count`).
#[derive(Debug)]
pub(crate) struct Page {
    pub records: Vec<Value>,
    pub next_link: Option<String>,
    pub count: Option<i64>,
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
