//! Reading a whole cron expression: macros, 5 or 6 fields, the day rule and the job kind.

use super::error::{CronField, ScheduleErrorKind};
use super::field::{ValueSet, parse_field};

/// The `@` macros and the 5-field expressions they stand for.
const MACROS: [(&str, &str); 7] = [
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

/// A parsed expression: the values of each field and how days and DST are treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    /// Seconds (0 for a 5-field expression).
    pub(crate) seconds: ValueSet,
    /// Minutes.
    pub(crate) minutes: ValueSet,
    /// Hours.
    pub(crate) hours: ValueSet,
    /// Days of month.
    pub(crate) days_of_month: ValueSet,
    /// Months.
    pub(crate) months: ValueSet,
    /// Days of week, POSIX (bit 0 is Sunday).
    pub(crate) days_of_week: ValueSet,
    /// Vixie rule: both day fields are restricted (neither starts with `*`), so a day
    /// matches when either matches; otherwise both must match.
    pub(crate) day_or: bool,
    /// No `*` in the second, minute and hour fields: the job runs at fixed wall-clock
    /// times, which matters at DST transitions.
    pub(crate) fixed_time: bool,
}

/// Parses `expression` (trimmed; fields separated by white space).
pub(crate) fn parse_expression(expression: &str) -> Result<Spec, ScheduleErrorKind> {
    let trimmed = expression.trim();
    if trimmed.is_empty() {
        return Err(ScheduleErrorKind::Empty);
    }
    let text = if trimmed.starts_with('@') {
        MACROS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(trimmed))
            .map(|(_, text)| *text)
            .ok_or_else(|| ScheduleErrorKind::UnknownMacro {
                name: trimmed.to_owned(),
            })?
    } else {
        trimmed
    };
    let mut fields: Vec<&str> = text.split_whitespace().collect();
    match fields.len() {
        5 => fields.insert(0, "0"),
        6 => {}
        found => return Err(ScheduleErrorKind::FieldCount { found }),
    }
    let [second, minute, hour, dom, month, dow] = fields[..] else {
        return Err(ScheduleErrorKind::FieldCount {
            found: fields.len(),
        });
    };
    let spec = Spec {
        seconds: parse_field(CronField::Second, second)?,
        minutes: parse_field(CronField::Minute, minute)?,
        hours: parse_field(CronField::Hour, hour)?,
        days_of_month: parse_field(CronField::DayOfMonth, dom)?,
        months: parse_field(CronField::Month, month)?,
        days_of_week: parse_field(CronField::DayOfWeek, dow)?,
        day_or: !dom.starts_with('*') && !dow.starts_with('*'),
        fixed_time: ![second, minute, hour].iter().any(|f| f.contains('*')),
    };
    if !spec.can_fire() {
        return Err(ScheduleErrorKind::NeverFires);
    }
    Ok(spec)
}

impl Spec {
    /// Whether some date matches the day and month fields. Under the OR rule any selected
    /// weekday will do; otherwise some selected month must have a selected day of month
    /// (every such date falls on every weekday in some year).
    fn can_fire(&self) -> bool {
        if self.day_or {
            return true;
        }
        const LONGEST: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        (1..=12u32).zip(LONGEST).any(|(month, days)| {
            self.months & (1 << month) != 0
                && (1..=days).any(|d| self.days_of_month & (1 << d) != 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macros_expand_to_their_expressions() {
        for (name, text) in MACROS {
            assert_eq!(
                parse_expression(name).unwrap(),
                parse_expression(text).unwrap()
            );
            let upper = name.to_ascii_uppercase();
            assert_eq!(
                parse_expression(&upper).unwrap(),
                parse_expression(text).unwrap()
            );
        }
    }

    #[test]
    fn day_rule_and_job_kind_follow_the_fields_as_written() {
        let cases = [
            ("0 0 1 * 1", true, true),
            ("0 0 1-31 * 1-5", true, true),
            ("0 0 */2 * 1", false, true),
            ("0 0 1 * *", false, true),
            ("0 0 * * 1", false, true),
            ("30 1,2 * * *", false, true),
            ("0 */2 * * *", false, false),
            ("* 2 * * *", false, false),
            ("*/10 30 2 * * *", false, false),
            ("@hourly", false, false),
            ("@daily", false, true),
        ];
        for (text, day_or, fixed_time) in cases {
            let spec = parse_expression(text).unwrap();
            assert_eq!(
                (spec.day_or, spec.fixed_time),
                (day_or, fixed_time),
                "{text}"
            );
        }
    }

    #[test]
    fn impossible_dates_never_fire_unless_a_weekday_may_match() {
        for text in [
            "0 0 30 2 *",
            "0 0 31 4,6,9,11 *",
            "0 0 30,31 FEB *",
            "0 0 30/1 2 *",
        ] {
            assert_eq!(
                parse_expression(text),
                Err(ScheduleErrorKind::NeverFires),
                "{text}"
            );
        }
        for text in ["0 0 29 2 *", "0 0 30 2 1", "0 0 31 * *"] {
            assert!(parse_expression(text).is_ok(), "{text}");
        }
    }
}
