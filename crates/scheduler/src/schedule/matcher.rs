//! Finding matching wall-clock times with the `cron` crate, free of any time zone.
//!
//! The crate is given the parsed values as plain lists (so its own syntax quirks never
//! matter) and searches wall-clock times as if they were UTC, where no gap or fold exists;
//! time zones are applied afterwards by the caller. The crate numbers Sunday 1 and always
//! ANDs the two day fields, so day-of-week values are shifted by one and the Vixie OR rule
//! is two schedules (days of month with any weekday, weekdays with any day of month) whose
//! matches are merged.

use chrono::{NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use cron::Schedule;

use super::error::{CronField, ScheduleErrorKind};
use super::expr::Spec;
use super::field::ValueSet;

/// One or two `cron` schedules that together match the expression's wall-clock times.
#[derive(Debug, Clone)]
pub(crate) struct WallMatcher {
    schedules: Vec<Schedule>,
}

impl WallMatcher {
    /// Builds the `cron` schedules for `spec`.
    pub(crate) fn new(spec: &Spec) -> Result<Self, ScheduleErrorKind> {
        let dom = render(CronField::DayOfMonth, spec.days_of_month);
        let dow = render(CronField::DayOfWeek, spec.days_of_week);
        let day_pairs = if spec.day_or {
            vec![(dom, "*".to_owned()), ("*".to_owned(), dow)]
        } else {
            vec![(dom, dow)]
        };
        let time = [
            render(CronField::Second, spec.seconds),
            render(CronField::Minute, spec.minutes),
            render(CronField::Hour, spec.hours),
        ]
        .join(" ");
        let month = render(CronField::Month, spec.months);
        let schedules = day_pairs
            .into_iter()
            .map(|(dom, dow)| {
                let text = format!("{time} {dom} {month} {dow}");
                text.parse::<Schedule>()
                    .map_err(|e| ScheduleErrorKind::Engine(format!("{text:?}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { schedules })
    }

    /// The first matching wall-clock time at or after `from` (whole seconds).
    pub(crate) fn next_at_or_after(&self, from: NaiveDateTime) -> Option<NaiveDateTime> {
        let start = Utc.from_utc_datetime(&floor(from).checked_sub_signed(TimeDelta::seconds(1))?);
        let found = self.schedules.iter().filter_map(|s| s.after(&start).next());
        found.min().map(|t| t.naive_utc())
    }

    /// The last matching wall-clock time at or before `to` (whole seconds).
    pub(crate) fn prev_at_or_before(&self, to: NaiveDateTime) -> Option<NaiveDateTime> {
        let end = Utc.from_utc_datetime(&floor(to).checked_add_signed(TimeDelta::seconds(1))?);
        let found = self
            .schedules
            .iter()
            .filter_map(|s| s.after(&end).next_back());
        found.max().map(|t| t.naive_utc())
    }
}

/// Drops the fraction of a second.
fn floor(t: NaiveDateTime) -> NaiveDateTime {
    t.with_nanosecond(0).unwrap_or(t)
}

/// Writes a value set in the `cron` crate's syntax: `*` when complete, else a list.
fn render(field: CronField, set: ValueSet) -> String {
    if set == field.full_set() {
        return "*".to_owned();
    }
    // The crate numbers days of week 1 (Sunday) to 7 (Saturday).
    let shift = u32::from(field == CronField::DayOfWeek);
    let values: Vec<String> = (0..64u32)
        .filter(|v| set & (1 << v) != 0)
        .map(|v| (v + shift).to_string())
        .collect();
    values.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::expr::parse_expression;
    use chrono::NaiveDate;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    fn matcher(text: &str) -> WallMatcher {
        WallMatcher::new(&parse_expression(text).unwrap()).unwrap()
    }

    #[test]
    fn renders_posix_weekdays_in_the_crate_numbering() {
        let spec = parse_expression("0 0 * * 0,6").unwrap();
        assert_eq!(render(CronField::DayOfWeek, spec.days_of_week), "1,7");
        assert_eq!(render(CronField::Minute, spec.minutes), "0");
        assert_eq!(render(CronField::Month, spec.months), "*");
    }

    #[test]
    fn searches_are_inclusive_in_both_directions() {
        let m = matcher("30 2 * * *");
        let t = at(2025, 3, 30, 2, 30);
        assert_eq!(m.next_at_or_after(t), Some(t));
        assert_eq!(m.prev_at_or_before(t), Some(t));
        assert_eq!(
            m.next_at_or_after(t + TimeDelta::seconds(1)),
            Some(at(2025, 3, 31, 2, 30))
        );
        assert_eq!(
            m.prev_at_or_before(t - TimeDelta::seconds(1)),
            Some(at(2025, 3, 29, 2, 30))
        );
    }

    #[test]
    fn vixie_or_merges_both_day_rules() {
        // 2025-06-13 is a Friday; the next Friday is the 20th, the next 13th is in July.
        let m = matcher("0 0 13 * 5");
        let from = at(2025, 6, 7, 0, 0);
        let firsts: Vec<_> = std::iter::successors(m.next_at_or_after(from), |t| {
            m.next_at_or_after(*t + TimeDelta::seconds(1))
        })
        .take(5)
        .collect();
        let days: Vec<u32> = firsts.iter().map(chrono::Datelike::day).collect();
        assert_eq!(days, [13, 20, 27, 4, 11]);
        assert_eq!(m.prev_at_or_before(from), Some(at(2025, 6, 6, 0, 0)));
    }
}
