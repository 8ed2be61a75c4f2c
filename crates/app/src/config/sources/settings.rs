//! The settings every source may have besides its location and format: its HTTP timeouts, its
//! retries, its image download limits and, for a snapshot, whether an empty feed is accepted. A bad value stops start-up naming the
//! variable or the key.

use std::ops::RangeInclusive;
use std::time::Duration;

use propimport_importer::{Delivery, FeedFormat, HttpSettings};

use propimport_domain::{Setting, SourceSpec};

/// `connect_timeout`: one attempt's connection.
const CONNECT: RangeInclusive<Duration> = Duration::from_millis(100)..=Duration::from_secs(600);
/// `read_timeout`: the wait for an answer, then for each next bytes of the feed.
const READ: RangeInclusive<Duration> = Duration::from_millis(100)..=Duration::from_secs(3600);
/// `timeout`: getting an answer, all attempts together.
const TOTAL: RangeInclusive<Duration> = Duration::from_secs(1)..=Duration::from_secs(12 * 3600);

/// The source's HTTP settings: the defaults, with the timeouts it sets (`30s`, `5m`, or a
/// number of seconds).
pub(super) fn http(
    entry: &SourceSpec,
    field: &impl Fn(&str) -> String,
) -> Result<HttpSettings, String> {
    let mut http = HttpSettings::default();
    http.connect_timeout = duration(
        entry.connect_timeout.as_ref(),
        &field("connect_timeout"),
        CONNECT,
        http.connect_timeout,
    )?;
    http.read_timeout = duration(
        entry.read_timeout.as_ref(),
        &field("read_timeout"),
        READ,
        http.read_timeout,
    )?;
    http.timeout = duration(
        entry.timeout.as_ref(),
        &field("timeout"),
        TOTAL,
        http.timeout,
    )?;
    Ok(http)
}

/// Whether the source accepts a feed without listings (only snapshots may say so).
pub(super) fn allow_empty(
    entry: &SourceSpec,
    format: FeedFormat,
    field: &impl Fn(&str) -> String,
) -> Result<bool, String> {
    let Some(value) = &entry.allow_empty else {
        return Ok(false);
    };
    if format.delivery() == Delivery::Incremental {
        return Err(format!(
            "{}: only feeds read whole use it; a {} run without changes is never an empty feed",
            field("allow_empty"),
            format.title()
        ));
    }
    flag(Some(value), &field("allow_empty"), false)
}

/// A yes-or-no setting named `name`; `default` when unset.
pub(super) fn flag(value: Option<&Setting>, name: &str, default: bool) -> Result<bool, String> {
    let Some(value) = value else {
        return Ok(default);
    };
    match value.text().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!("{name}={value}: expected true or false")),
    }
}

/// The source's own retries of a failed scheduled run (0 to 10) and their delays (a list such
/// as `"5m,30m"`), each `None` when unset.
pub(super) fn retries(
    entry: &SourceSpec,
    field: &impl Fn(&str) -> String,
) -> Result<(Option<u32>, Option<Vec<Duration>>), String> {
    let retries = entry
        .retries
        .as_ref()
        .map(|value| {
            value
                .text()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 10)
                .ok_or_else(|| {
                    format!(
                        "{}={value}: expected a whole number from 0 to 10",
                        field("retries")
                    )
                })
        })
        .transpose()?;
    let delays = entry
        .retry_delays
        .as_ref()
        .map(|value| {
            crate::config::vars::parse_delays(&value.text()).ok_or_else(|| {
                format!(
                    "{}={value}: expected a comma-separated list of durations from 1s to 24h, such as \"5m,30m\"",
                    field("retry_delays")
                )
            })
        })
        .transpose()?;
    Ok((retries, delays))
}

/// The source's own image download limits, overall and per host (each from 1 to 256, the
/// per-host one not above the overall one), each `None` when unset.
pub(super) fn image_concurrency(
    entry: &SourceSpec,
    field: &impl Fn(&str) -> String,
) -> Result<(Option<usize>, Option<usize>), String> {
    let limit = |value: Option<&Setting>, key: &str| {
        value
            .map(|value| {
                value
                    .text()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| crate::config::IMAGE_CONCURRENCY_LIMITS.contains(n))
                    .ok_or_else(|| {
                        format!(
                            "{}={value}: expected a whole number from 1 to 256",
                            field(key)
                        )
                    })
            })
            .transpose()
    };
    let overall = limit(entry.image_concurrency.as_ref(), "image_concurrency")?;
    let per_host = limit(
        entry.image_concurrency_per_host.as_ref(),
        "image_concurrency_per_host",
    )?;
    Ok((overall, per_host))
}

/// A duration within `range`, or `default` when unset.
fn duration(
    value: Option<&Setting>,
    name: &str,
    range: RangeInclusive<Duration>,
    default: Duration,
) -> Result<Duration, String> {
    let Some(value) = value else {
        return Ok(default);
    };
    let text = value.text();
    text.parse::<u64>()
        .ok()
        .map(Duration::from_secs)
        .or_else(|| humantime::parse_duration(&text).ok())
        .filter(|d| range.contains(d))
        .ok_or_else(|| {
            format!(
                "{name}={value}: expected a duration from {} to {}, such as {}",
                humantime::format_duration(*range.start()),
                humantime::format_duration(*range.end()),
                humantime::format_duration(default)
            )
        })
}
