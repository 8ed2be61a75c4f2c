//! Reading environment variables into typed values while collecting every problem, so that
//! start-up reports all of them at once, each naming its variable.

use std::str::FromStr;
use std::time::Duration;

/// A source of variables (the process environment, or a map in tests) and the problems found.
pub struct Vars<F> {
    lookup: F,
    problems: Vec<String>,
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    /// Reads variables through `lookup`.
    pub fn new(lookup: F) -> Self {
        Self {
            lookup,
            problems: Vec::new(),
        }
    }

    /// The raw value, treating an empty value as unset.
    pub fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    /// Records a problem.
    pub fn problem(&mut self, message: String) {
        self.problems.push(message);
    }

    /// The value parsed with `parse`, or `default` when unset; a bad value is recorded with
    /// `expected` and the default is used so that reading can go on.
    pub fn parsed<T>(
        &mut self,
        name: &str,
        default: T,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> T {
        match self.raw(name) {
            None => default,
            Some(text) => parse(text.trim()).unwrap_or_else(|| {
                self.problem(format!("{name}={text:?}: expected {expected}"));
                default
            }),
        }
    }

    /// A number within `range`.
    pub fn number<T>(&mut self, name: &str, default: T, range: std::ops::RangeInclusive<T>) -> T
    where
        T: FromStr + PartialOrd + Copy + std::fmt::Display,
    {
        let expected = format!("a whole number from {} to {}", range.start(), range.end());
        self.parsed(name, default, &expected, |t| {
            t.parse().ok().filter(|n| range.contains(n))
        })
    }

    /// A duration such as `90s`, `15m`, `1h` or `2h 30m` (a bare number is seconds).
    pub fn duration(&mut self, name: &str, default: Duration) -> Duration {
        self.parsed(name, default, "a duration such as 90s, 15m or 1h", |t| {
            t.parse::<u64>()
                .ok()
                .map(Duration::from_secs)
                .or_else(|| humantime::parse_duration(t).ok())
        })
    }

    /// Like [`Vars::duration`], where `off` (or `0`) turns the feature off: `None`.
    pub fn optional_duration(&mut self, name: &str, default: Option<Duration>) -> Option<Duration> {
        self.parsed(
            name,
            default,
            "a duration such as 90s, 15m or 1h, or off",
            |t| match t {
                "off" | "0" => Some(None),
                _ => t
                    .parse::<u64>()
                    .ok()
                    .map(Duration::from_secs)
                    .or_else(|| humantime::parse_duration(t).ok())
                    .map(Some),
            },
        )
    }

    /// A duration like [`Vars::duration`] within `range`.
    pub fn duration_within(
        &mut self,
        name: &str,
        default: Duration,
        range: std::ops::RangeInclusive<Duration>,
    ) -> Duration {
        let expected = format!(
            "a duration from {} to {}, such as {}",
            humantime::format_duration(*range.start()),
            humantime::format_duration(*range.end()),
            humantime::format_duration(default)
        );
        self.parsed(name, default, &expected, |t| {
            t.parse::<u64>()
                .ok()
                .map(Duration::from_secs)
                .or_else(|| humantime::parse_duration(t).ok())
                .filter(|d| range.contains(d))
        })
    }

    /// A comma-separated list of durations, each from 1 s to 24 h (see [`parse_delays`]).
    pub fn duration_list(&mut self, name: &str, default: Vec<Duration>) -> Vec<Duration> {
        self.parsed(
            name,
            default,
            "a comma-separated list of durations from 1s to 24h, such as 5m,30m",
            parse_delays,
        )
    }

    /// Every problem found, or `Ok` when there were none.
    pub fn finish(self) -> Result<(), Vec<String>> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.problems)
        }
    }
}

/// Reads a comma-separated list of durations (`5m,30m`; a bare number is seconds), each from
/// 1 s to 24 h; `None` when empty or when any item is not such a duration.
pub fn parse_delays(text: &str) -> Option<Vec<Duration>> {
    let range = Duration::from_secs(1)..=Duration::from_secs(24 * 3600);
    let delays: Option<Vec<Duration>> = text
        .split(',')
        .map(|item| {
            let item = item.trim();
            item.parse::<u64>()
                .ok()
                .map(Duration::from_secs)
                .or_else(|| humantime::parse_duration(item).ok())
                .filter(|d| range.contains(d))
        })
        .collect();
    delays.filter(|d| !d.is_empty())
}
