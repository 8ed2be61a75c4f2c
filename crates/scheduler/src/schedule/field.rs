//! Reading one field of a cron expression into the set of values it selects.
//!
//! A field is a comma-separated list of items; an item is `*`, a value, or a range `a-b`,
//! optionally followed by a step `/n` (`*/n`, `a-b/n`, and `a/n`, which means `a-max/n`).
//! A value is a number or, in the month and day-of-week fields, a three-letter English name
//! in any case. Day-of-week is POSIX: 0 and 7 are Sunday, 1 is Monday, 6 is Saturday;
//! `SUN` ending a range that starts after Sunday means 7, so `FRI-SUN` is Friday to Sunday.

use super::error::{CronField, ScheduleErrorKind};

/// A set of field values, as bits (bit `v` set means value `v` is selected).
pub(crate) type ValueSet = u64;

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl CronField {
    /// The smallest and largest value the field accepts (day-of-week accepts 7 for Sunday).
    pub(crate) fn bounds(self) -> (u32, u32) {
        match self {
            Self::Second | Self::Minute => (0, 59),
            Self::Hour => (0, 23),
            Self::DayOfMonth => (1, 31),
            Self::Month => (1, 12),
            Self::DayOfWeek => (0, 7),
        }
    }

    /// Every value the field can select, after day-of-week 7 is folded onto 0.
    pub(crate) fn full_set(self) -> ValueSet {
        let (min, max) = match self {
            Self::DayOfWeek => (0, 6),
            other => other.bounds(),
        };
        (min..=max).fold(0, |set, v| set | (1 << v))
    }

    /// The value of a name in this field, if the field has names. `SUN` ending a range
    /// that starts after Sunday is 7, so `FRI-SUN` is Friday to Sunday.
    fn named_value(self, text: &str, range_start: Option<u32>) -> Option<u32> {
        let upper = text.to_ascii_uppercase();
        let position = |names: &[&str]| names.iter().position(|n| *n == upper);
        let index = match self {
            Self::Month => position(&MONTHS)? + 1,
            Self::DayOfWeek => match position(&WEEKDAYS)? {
                0 if range_start.is_some_and(|start| start > 0) => 7,
                day => day,
            },
            _ => return None,
        };
        u32::try_from(index).ok()
    }
}

/// Parses `text` as `field`, giving the selected values (day-of-week 7 folded onto 0).
pub(crate) fn parse_field(field: CronField, text: &str) -> Result<ValueSet, ScheduleErrorKind> {
    let mut set: ValueSet = 0;
    for item in text.split(',') {
        set |= parse_item(field, item)?;
    }
    if field == CronField::DayOfWeek && set & (1 << 7) != 0 {
        set = (set & !(1 << 7)) | 1;
    }
    Ok(set)
}

/// Parses one list item: `*`, `v`, `a-b`, each optionally with `/step`.
fn parse_item(field: CronField, item: &str) -> Result<ValueSet, ScheduleErrorKind> {
    let invalid = || ScheduleErrorKind::InvalidValue {
        field,
        text: item.to_owned(),
    };
    let (min, max) = field.bounds();
    let (base, step) = match item.split_once('/') {
        Some((base, step)) => (base, Some(parse_step(field, step).ok_or_else(invalid)??)),
        None => (item, None),
    };
    let (start, end) = if base == "*" {
        (min, max)
    } else if let Some((a, b)) = base.split_once('-') {
        let start = parse_value(field, a, None).ok_or_else(invalid)??;
        let end = parse_value(field, b, Some(start)).ok_or_else(invalid)??;
        if start > end {
            return Err(ScheduleErrorKind::BackwardsRange { field, start, end });
        }
        (start, end)
    } else {
        let value = parse_value(field, base, None).ok_or_else(invalid)??;
        // `a/n` runs from `a` to the field's end, as in the `cron` crate and other crons.
        (value, if step.is_some() { max } else { value })
    };
    let step = usize::try_from(step.unwrap_or(1)).map_err(|_| invalid())?;
    Ok((start..=end).step_by(step).fold(0, |set, v| set | (1 << v)))
}

/// Parses a step: `None` if it is not a number, `Some(Err)` if out of range.
fn parse_step(field: CronField, text: &str) -> Option<Result<u32, ScheduleErrorKind>> {
    let step = parse_number(text)?;
    let max = field.bounds().1;
    Some(if (1..=max).contains(&step) {
        Ok(step)
    } else {
        Err(ScheduleErrorKind::StepOutOfRange { field, step, max })
    })
}

/// Parses a value: `None` if it is neither a number nor a name, `Some(Err)` if out of range.
fn parse_value(
    field: CronField,
    text: &str,
    range_start: Option<u32>,
) -> Option<Result<u32, ScheduleErrorKind>> {
    let value = match parse_number(text) {
        Some(value) => value,
        None => return field.named_value(text, range_start).map(Ok),
    };
    let (min, max) = field.bounds();
    Some(if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ScheduleErrorKind::OutOfRange {
            field,
            value,
            min,
            max,
        })
    })
}

/// Parses plain ASCII digits (no sign, no white space) that fit a `u32`.
fn parse_number(text: &str) -> Option<u32> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u32>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(field: CronField, text: &str) -> Vec<u32> {
        let set = parse_field(field, text).unwrap();
        (0..64).filter(|v| set & (1 << v) != 0).collect()
    }

    #[test]
    fn items_select_the_documented_values() {
        use CronField::*;
        let cases: &[(CronField, &str, &[u32])] = &[
            (Minute, "*/15", &[0, 15, 30, 45]),
            (Minute, "5,10-12", &[5, 10, 11, 12]),
            (Minute, "10-30/10", &[10, 20, 30]),
            (Minute, "50/4", &[50, 54, 58]),
            (Hour, "23", &[23]),
            (DayOfMonth, "*/10", &[1, 11, 21, 31]),
            (Month, "jan,Mar-may", &[1, 3, 4, 5]),
            (Month, "*/5", &[1, 6, 11]),
            (DayOfWeek, "7", &[0]),
            (DayOfWeek, "0,7", &[0]),
            (DayOfWeek, "FRI-SUN", &[0, 5, 6]),
            (DayOfWeek, "sun-tue", &[0, 1, 2]),
            (DayOfWeek, "SUN-SUN", &[0]),
            (DayOfWeek, "Sat-Sun", &[0, 6]),
            (DayOfWeek, "*/2", &[0, 2, 4, 6]),
            (DayOfWeek, "1-7/3", &[0, 1, 4]),
            (DayOfWeek, "5/1", &[0, 5, 6]),
        ];
        for (field, text, expected) in cases {
            assert_eq!(values(*field, text), *expected, "{field} {text}");
        }
    }

    #[test]
    fn bad_items_are_rejected_with_the_field_named() {
        use CronField::*;
        let cases: &[(CronField, &str, &str)] = &[
            (Minute, "60", "minute: 60 is out of range 0-59"),
            (DayOfMonth, "0", "day-of-month: 0 is out of range 1-31"),
            (Minute, "1,,2", "minute: \"\" is not a valid value"),
            (Minute, "JAN", "minute: \"JAN\" is not a valid value"),
            (Month, "5-2", "month: range 5-2 runs backwards"),
            (Hour, "*/0", "hour: step 0 is out of range 1-23"),
            (Hour, "*/24", "hour: step 24 is out of range 1-23"),
            (Hour, "1-2/x", "hour: \"1-2/x\" is not a valid value"),
            (DayOfWeek, "?", "day-of-week: \"?\" is not a valid value"),
            (DayOfWeek, "-1", "day-of-week: \"-1\" is not a valid value"),
            (
                Second,
                "99999999999",
                "second: \"99999999999\" is not a valid value",
            ),
        ];
        for (field, text, message) in cases {
            assert_eq!(parse_field(*field, text).unwrap_err().to_string(), *message);
        }
    }
}
