//! Cron schedules in an IANA time zone: [`CronSchedule`] and its [`ScheduleError`].
//!
//! The syntax and the DST rules are documented on [`CronSchedule`]; the expression is read
//! here (`expr`, `field`), matched against wall-clock times by the `cron` crate (`matcher`)
//! and turned into instants with the zone's rules (`search`).

mod error;
mod expr;
mod field;
mod matcher;
mod search;
mod shift;
mod words;

#[cfg(test)]
mod dst_tests;
#[cfg(test)]
mod oracle_gen;
#[cfg(test)]
mod oracle_tests;

use std::fmt;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub use error::{CronField, ScheduleError, ScheduleErrorKind};
pub use shift::DstShift;
pub use words::describe;

use expr::parse_expression;
use matcher::WallMatcher;
use search::Search;

/// A parsed cron expression with its time zone, giving fire times as UTC instants.
///
/// # Expressions
/// Five fields `minute hour day-of-month month day-of-week`, or six with a leading
/// `second` field; or one of the macros `@yearly`, `@annually`, `@monthly`, `@weekly`,
/// `@daily`, `@midnight`, `@hourly`. Each field is a comma-separated list of `*`, values and
/// ranges `a-b`, each optionally stepped (`*/n`, `a-b/n`, or `a/n` for `a-max/n`). Months
/// and weekdays may be given as `JAN`-`DEC` and `SUN`-`SAT` in any case. Day-of-week is
/// POSIX: 0 and 7 are Sunday, 1 is Monday, 6 is Saturday.
///
/// Day fields follow Vixie cron: when both day-of-month and day-of-week are restricted
/// (neither starts with `*`), a day matches when *either* matches, so `0 0 13 * 5` fires on
/// every 13th and every Friday; otherwise a day must match both (`0 0 */2 * 1` fires on
/// Mondays with an odd day of month). An expression that can never fire, such as
/// `0 0 30 2 *`, is rejected.
///
/// # Time zones and daylight saving time
/// Fields are matched against the wall clock of the schedule's zone, and every fire time is
/// converted with the zone's rules for that date, never with an offset captured earlier.
/// Fire times are whole seconds, strictly increasing in UTC. A job is *fixed-time* when its
/// second, minute and hour fields contain no `*` (`30 2 * * *`, `0 9,17 * * 1-5`); other
/// jobs (`*/15 * * * *`, `@hourly`, `0 */2 * * *`) are *interval* jobs. At transitions:
/// - **Spring forward (gap)**: a fixed-time job whose wall-clock time is skipped runs once
///   at the first instant after the gap (Europe/Skopje, 2025-03-30: `30 2 * * *` runs at
///   03:00 CEST = 01:00Z). Interval jobs skip the missing wall-clock times, so they keep
///   their real spacing (`*/15 * * * *` runs at 01:45 CET and then 03:00 CEST, 15 minutes
///   apart); one confined to the skipped hour (`*/5 2 * * *`) does not run that day.
/// - **Fall back (fold)**: a wall-clock time that happens twice runs a fixed-time job once,
///   at its first occurrence (America/New_York, 2025-11-02: `30 1 * * *` runs at 01:30 EDT
///   only); interval jobs run at both occurrences, so `*/15 * * * *` keeps firing every real
///   15 minutes through the repeated hour.
///
/// This is Vixie cron's rule for fixed-time jobs (Vixie calls a job with `*` in its minute
/// or hour field a wildcard job). The `cron` crate, used here only to find matching
/// wall-clock times, would instead skip a fixed time in a gap and run it twice in a fold.
/// Fire times lie between 1970 and the end of 2100, the `cron` crate's years.
#[derive(Clone)]
pub struct CronSchedule {
    expression: String,
    tz: Tz,
    fixed_time: bool,
    matcher: WallMatcher,
    /// How long after each matching instant the schedule fires (a source's spread).
    offset: chrono::Duration,
}

impl CronSchedule {
    /// Parses `expression` in the IANA time zone named `tz` (e.g. `Europe/Skopje`, `UTC`).
    ///
    /// # Errors
    /// A [`ScheduleError`] naming the rejected input: the time zone when it is unknown,
    /// otherwise the expression, with what is wrong with it.
    pub fn parse(expression: &str, tz: &str) -> Result<Self, ScheduleError> {
        let zone = tz.parse::<Tz>().map_err(|_| ScheduleError::time_zone(tz))?;
        Self::new(expression, zone)
    }

    /// Parses `expression` in the time zone `tz`.
    ///
    /// # Errors
    /// A [`ScheduleError`] saying what is wrong with the expression.
    pub fn new(expression: &str, tz: Tz) -> Result<Self, ScheduleError> {
        let fail = |kind| ScheduleError::expression(expression, kind);
        let spec = parse_expression(expression).map_err(fail)?;
        let matcher = WallMatcher::new(&spec).map_err(fail)?;
        Ok(Self {
            expression: expression.to_owned(),
            tz,
            fixed_time: spec.fixed_time,
            matcher,
            offset: chrono::Duration::zero(),
        })
    }

    /// The same schedule firing `offset` after each of its instants (so that many jobs on
    /// one expression do not all fire in the same second); a negative offset is taken as
    /// zero. The instants are worked out with the zone's rules first, then shifted.
    pub fn with_offset(mut self, offset: chrono::Duration) -> Self {
        self.offset = offset.max(chrono::Duration::zero());
        self
    }

    /// How long after each matching instant it fires.
    pub fn offset(&self) -> chrono::Duration {
        self.offset
    }

    /// The first fire time strictly after `after`, or `None` when there is none (past 2100).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Some(self.search().next_after(after - self.offset)? + self.offset)
    }

    /// The next `n` fire times strictly after `after`, in increasing order (fewer past 2100).
    pub fn next_runs(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        std::iter::successors(self.next_after(after), |t| self.next_after(*t))
            .take(n)
            .collect()
    }

    /// The latest fire time at or before `t`, or `None` when there is none (before 1970);
    /// a missed tick is one between the last run and this.
    pub fn prev_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Some(self.search().prev_at_or_before(t - self.offset)? + self.offset)
    }

    /// The expression exactly as given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The schedule in words with its zone, as in "at 00:00 every day, Europe/Skopje" (the
    /// expression and zone themselves for a shape without a short phrase).
    pub fn describe(&self) -> String {
        let words = describe(&self.expression, self.tz);
        match self.offset.to_std() {
            Ok(offset) if !offset.is_zero() => {
                format!("{words}, {} later", humantime::format_duration(offset))
            }
            _ => words,
        }
    }

    /// The time zone whose wall clock the expression is matched against.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// Whether this is a fixed-time job (no `*` in the second, minute and hour fields), which
    /// runs once at a DST transition rather than at every real interval.
    pub fn is_fixed_time(&self) -> bool {
        self.fixed_time
    }

    fn search(&self) -> Search<'_> {
        Search {
            matcher: &self.matcher,
            tz: self.tz,
            fixed_time: self.fixed_time,
        }
    }
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression && self.tz == other.tz && self.offset == other.offset
    }
}

impl Eq for CronSchedule {}

impl fmt::Display for CronSchedule {
    /// Writes the expression and the zone, as in `30 2 * * * (Europe/Skopje)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.expression, self.tz.name())
    }
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CronSchedule")
            .field("expression", &self.expression)
            .field("timezone", &self.tz.name())
            .field("fixed_time", &self.fixed_time)
            .field("offset", &self.offset)
            .finish()
    }
}
