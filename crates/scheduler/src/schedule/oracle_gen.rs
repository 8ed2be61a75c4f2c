//! Inputs of the oracle property test: random 5-field expressions, the zones, their
//! transitions, and start instants near those transitions.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

/// Ordinary, 30-minute (Lord Howe), midnight (Santiago) and no DST changes.
pub(super) const ZONES: [&str; 6] = [
    "Europe/Skopje",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Tehran",
    "UTC",
];
/// How many fire times each case compares.
pub(super) const RUNS: usize = 50;

/// A clock change: the instant, the offset before and the offset after.
pub(super) type Transition = (DateTime<Utc>, TimeDelta, TimeDelta);

fn offset(tz: Tz, t: DateTime<Utc>) -> TimeDelta {
    t.with_timezone(&tz).naive_local() - t.naive_utc()
}

/// Every transition of each zone from 2023 to 2101, found once by daily probes and halving.
pub(super) fn transitions(zone: usize) -> &'static [Transition] {
    static ALL: OnceLock<Vec<Vec<Transition>>> = OnceLock::new();
    &ALL.get_or_init(|| ZONES.iter().map(|z| scan(z.parse().unwrap())).collect())[zone]
}

fn scan(tz: Tz) -> Vec<Transition> {
    let day = TimeDelta::days(1);
    let mut found = Vec::new();
    let mut t = Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap();
    while t.year() < 2102 {
        let (before, after) = (offset(tz, t), offset(tz, t + day));
        if before != after {
            let (mut lo, mut hi) = (t, t + day);
            while hi - lo > TimeDelta::seconds(1) {
                let mid = lo + TimeDelta::seconds((hi - lo).num_seconds() / 2);
                if offset(tz, mid) == before {
                    lo = mid
                } else {
                    hi = mid
                }
            }
            found.push((hi, before, after));
        }
        t += day;
    }
    found
}

/// A value, biased towards the hours where clocks change (`hot`).
fn value(min: u32, max: u32, hot: Option<(u32, u32)>) -> BoxedStrategy<u32> {
    match hot {
        Some((a, b)) => prop_oneof![4 => a..=b, 1 => min..=max, 1 => Just(23)].boxed(),
        None => (min..=max).boxed(),
    }
}

/// A list item: a value, `a-b`, `a-b/n` or `a/n`.
fn item(min: u32, max: u32, hot: Option<(u32, u32)>, max_step: u32) -> BoxedStrategy<String> {
    let range =
        (value(min, max, hot), 0..=max - min).prop_map(move |(a, len)| (a, (a + len).min(max)));
    prop_oneof![
        3 => value(min, max, hot).prop_map(|v| v.to_string()),
        2 => range.clone().prop_map(|(a, b)| format!("{a}-{b}")),
        1 => (range, 1..=max_step).prop_map(|((a, b), s)| format!("{a}-{b}/{s}")),
        1 => (value(min, max, hot), 1..=max_step).prop_map(|(a, s)| format!("{a}/{s}")),
    ]
    .boxed()
}

/// A field: `*`, `*/n`, an item or a list of items; `stars` weighs how often it is `*`.
fn field(
    min: u32,
    max: u32,
    hot: Option<(u32, u32)>,
    max_step: u32,
    stars: u32,
) -> BoxedStrategy<String> {
    let one = item(min, max, hot, max_step);
    prop_oneof![
        stars => Just("*".to_owned()),
        2 => (1..=max_step).prop_map(|s| format!("*/{s}")),
        3 => one.clone(),
        2 => prop::collection::vec(one, 2..=3).prop_map(|v| v.join(",")),
    ]
    .boxed()
}

/// Months and weekdays are sometimes written as names (any case);
/// A range starting on Sunday keeps numbers: croner reads `SUN-SUN` as every day.
fn named(text: String, names: &'static [&'static str], first: u32, lower: bool) -> String {
    let sunday_range = first == 0 && (text.starts_with("0-") || text.starts_with("7-"));
    if text.contains('/') || text.contains(',') || text == "*" || sunday_range {
        return text;
    }
    let name = |v: &str| {
        let i = v.parse::<u32>().ok()?.checked_sub(first)?;
        let n = names.get(usize::try_from(i).ok()?)?;
        Some(if lower {
            n.to_lowercase()
        } else {
            (*n).to_owned()
        })
    };
    let parts: Vec<String> = text
        .split('-')
        .map(|v| name(v).unwrap_or_else(|| v.to_owned()))
        .collect();
    parts.join("-")
}

/// Day-of-month, month and day-of-week; mostly `* * *`, so that runs meet DST changes.
fn days() -> impl Strategy<Value = (String, String, String)> {
    const MONTHS: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    const DAYS: [&str; 8] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
    let star = || "*".to_owned();
    let random = (
        field(1, 31, None, 15, 4),
        (field(1, 12, None, 6, 4), any::<bool>(), any::<bool>()),
        (field(0, 7, None, 4, 2), any::<bool>(), any::<bool>()),
    )
        .prop_map(|(dom, (month, m_name, m_low), (dow, d_name, d_low))| {
            let month = if m_name {
                named(month, &MONTHS, 1, m_low)
            } else {
                month
            };
            let dow = if d_name {
                named(dow, &DAYS, 0, d_low)
            } else {
                dow
            };
            (dom, month, dow)
        });
    prop_oneof![2 => Just((star(), star(), star())), 1 => random]
}

/// A random valid-looking 5-field expression (it may still never fire).
pub(super) fn expression() -> impl Strategy<Value = String> {
    (
        field(0, 59, None, 30, 3),
        field(0, 23, Some((0, 3)), 12, 3),
        days(),
    )
        .prop_map(|(minute, hour, (dom, month, dow))| {
            format!("{minute} {hour} {dom} {month} {dow}")
        })
}

/// A 2024-2026 transition of the zone (number `pick`) moved by `shift` seconds, or for a
/// zone without one, an instant in 2024-2026.
pub(super) fn start_instant(zone: usize, pick: u32, shift: i64) -> DateTime<Utc> {
    let list: Vec<_> = transitions(zone)
        .iter()
        .filter(|t| (2024..=2026).contains(&t.0.year()))
        .collect();
    let base = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    match list.get(usize::try_from(pick).unwrap() % list.len().max(1)) {
        Some((at, ..)) => *at + TimeDelta::seconds(shift),
        None => base + TimeDelta::seconds(i64::from(pick) % (3 * 365 * 86_400)),
    }
}
