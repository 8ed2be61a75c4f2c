//! Reading RESO field values the way real payloads send them: numbers as numbers or as
//! numeric strings (`"3"`, `"1,250.00"`, `"$450,000"`), booleans as `true`/`"true"`/`"Y"`,
//! lists as JSON arrays or comma-delimited strings, `null` or an empty string for "not
//! given". Each reader returns `Ok(None)` for a missing value and an error message naming the
//! field for a value that cannot be read as its type.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

/// One RESO record: a JSON object.
pub(super) type Record = Map<String, Value>;

/// The field's value, `None` when it is missing, `null` or a blank string.
pub(super) fn given<'a>(record: &'a Record, name: &str) -> Option<&'a Value> {
    match record.get(name)? {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        value => Some(value),
    }
}

/// A text field (a number is taken as its digits), trimmed with its whitespace collapsed.
pub(super) fn text(record: &Record, name: &str) -> Result<Option<String>, String> {
    match given(record, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.split_whitespace().collect::<Vec<_>>().join(" "))),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(format!("{name}: {} is not text", kind(other))),
    }
}

/// A decimal number, as a JSON number or a numeric string (`"1250.50"`).
pub(super) fn decimal(record: &Record, name: &str) -> Result<Option<f64>, String> {
    let Some(value) = given(record, name) else {
        return Ok(None);
    };
    let number = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => plain_number(s).and_then(|s| s.parse::<f64>().ok()),
        _ => None,
    };
    number
        .filter(|n| n.is_finite())
        .map(Some)
        .ok_or_else(|| format!("{name}: {} is not a number", shown(value)))
}

/// The decimal text of an amount (a number or a numeric string), for exact money parsing.
pub(super) fn amount_text(record: &Record, name: &str) -> Result<Option<String>, String> {
    match given(record, name) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::String(s)) => Ok(Some(
            plain_number(s).map_or_else(|| s.trim().to_owned(), Cow::into_owned),
        )),
        Some(other) => Err(format!("{name}: {} is not an amount", kind(other))),
    }
}

/// A numeric string without its dressing: trimmed, a leading `$` dropped, and thousands
/// separators removed when they group digits by three (`"1,250.00"` → `1250.00`); `None`
/// when commas are there but do not group thousands (`"1,5"`), which no number reader takes.
pub(super) fn plain_number(text: &str) -> Option<Cow<'_, str>> {
    let text = text.trim();
    let text = text.strip_prefix('$').map_or(text, str::trim_start);
    if !text.contains(',') {
        return Some(Cow::Borrowed(text));
    }
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or_default();
    let grouped = (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
    if !grouped {
        return None;
    }
    let mut plain = String::with_capacity(text.len());
    plain.push_str(sign);
    plain.extend(whole.chars().filter(|c| *c != ','));
    if let Some(fraction) = fraction {
        plain.push('.');
        plain.push_str(fraction);
    }
    Some(Cow::Owned(plain))
}

/// The decimal digits of a number as written (`1.1` → `("1", "1")`, `"2.50"` → `("2", "50")`,
/// `3` → `("3", "")`), for values whose fraction is a code rather than a quantity.
pub(super) fn number_parts(record: &Record, name: &str) -> Result<Option<(u64, String)>, String> {
    let Some(value) = given(record, name) else {
        return Ok(None);
    };
    let written: Cow<'_, str> = match value {
        Value::Number(n) => Cow::Owned(n.to_string()),
        Value::String(s) => Cow::Borrowed(s.trim()),
        _ => return Err(format!("{name}: {} is not a number", shown(value))),
    };
    let (whole, fraction) = written.split_once('.').unwrap_or((&written, ""));
    let whole = whole.parse::<u64>().ok();
    match whole {
        Some(whole) if fraction.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some((whole, fraction.to_owned())))
        }
        _ => Err(format!("{name}: {} is not a positive number", shown(value))),
    }
}

/// A count that may come with a fraction (`GarageSpaces: 2.5`): the whole part of a
/// non-negative number that fits `u16`.
pub(super) fn count(record: &Record, name: &str) -> Result<Option<u16>, String> {
    let Some(number) = decimal(record, name)? else {
        return Ok(None);
    };
    if (0.0..65_536.0).contains(&number) {
        // Checked to be within u16 first, so the cast is exact.
        Ok(Some(number.trunc() as u16))
    } else {
        Err(format!("{name}: {number} is not a count"))
    }
}

/// A list: a JSON array of texts or a comma-delimited string (`"Natural Gas,Forced Air"`),
/// each value trimmed with its whitespace collapsed, empty and repeated values dropped.
pub(super) fn list(record: &Record, name: &str) -> Result<Vec<String>, String> {
    let mut values: Vec<String> = Vec::new();
    let mut add = |part: &str| {
        let value = part.split_whitespace().collect::<Vec<_>>().join(" ");
        if !value.is_empty() && !values.contains(&value) {
            values.push(value);
        }
    };
    match given(record, name) {
        None => {}
        Some(Value::String(s)) => s.split(',').for_each(&mut add),
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(s) => s.split(',').for_each(&mut add),
                    Value::Null => {}
                    other => return Err(format!("{name}: {} is not a text", shown(other))),
                }
            }
        }
        Some(other) => return Err(format!("{name}: {} is not a list", kind(other))),
    }
    Ok(values)
}

/// A date (`2024-05-01`, the RESO `Date` type) as midnight UTC, or an instant with its offset.
pub(super) fn date(record: &Record, name: &str) -> Result<Option<DateTime<Utc>>, String> {
    let Some(value) = given(record, name) else {
        return Ok(None);
    };
    let day = value
        .as_str()
        .and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok());
    match day.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        Some(midnight) => Ok(Some(midnight.and_utc())),
        None => timestamp(record, name)
            .map_err(|_| format!("{name}: {} is not a date (2024-05-01)", shown(value))),
    }
}

/// A whole number that fits `T` (`3`, `3.0`, `"3"`).
pub(super) fn whole<T: TryFrom<i64>>(record: &Record, name: &str) -> Result<Option<T>, String> {
    let Some(value) = given(record, name) else {
        return Ok(None);
    };
    let Some(number) = decimal(record, name)? else {
        return Ok(None);
    };
    // Whole and far within i64, so the cast is exact.
    let whole = (number.fract() == 0.0 && number.abs() < 9.0e15).then_some(number as i64);
    whole
        .and_then(|n| T::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| format!("{name}: {} is not a whole number in range", shown(value)))
}

/// A yes/no flag: `true`/`false`, or the strings `true`, `yes`, `y`, `1` and their opposites.
pub(super) fn flag(record: &Record, name: &str) -> Result<Option<bool>, String> {
    let Some(value) = given(record, name) else {
        return Ok(None);
    };
    let flag = match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_u64().filter(|n| *n <= 1).map(|n| n == 1),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Some(true),
            "false" | "no" | "n" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    };
    flag.map(Some)
        .ok_or_else(|| format!("{name}: {} is not true or false", shown(value)))
}

/// An instant with its offset (`2024-05-01T10:30:00Z`, `2024-05-01T12:30:00.123+02:00`).
pub(super) fn timestamp(record: &Record, name: &str) -> Result<Option<DateTime<Utc>>, String> {
    let Some(value) = given(record, name) else {
        return Ok(None);
    };
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
        .map(|at| Some(at.with_timezone(&Utc)))
        .ok_or_else(|| {
            format!(
                "{name}: {} is not a timestamp with an offset (2024-05-01T10:30:00Z)",
                shown(value)
            )
        })
}

/// A lookup value reduced to lower-case letters (`"Square Feet"` → `squarefeet`), for
/// comparing enumerations whatever their spelling.
pub(super) fn letters(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A value as shown in a message: strings quoted, others as JSON, long ones cut.
pub(super) fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(value: Value) -> Record {
        match value {
            Value::Object(map) => map,
            _ => Record::new(),
        }
    }

    #[test]
    fn numbers_come_as_numbers_or_strings() {
        let r = record(
            json!({"a": 3, "b": "3", "c": " 2.0 ", "d": "2.5", "e": null, "f": "", "g": -1, "h": "x", "i": true}),
        );
        assert_eq!(whole::<u16>(&r, "a"), Ok(Some(3)));
        assert_eq!(whole::<u16>(&r, "b"), Ok(Some(3)));
        assert_eq!(whole::<u16>(&r, "c"), Ok(Some(2)));
        assert!(whole::<u16>(&r, "d").is_err());
        assert_eq!(whole::<u16>(&r, "e"), Ok(None));
        assert_eq!(whole::<u16>(&r, "f"), Ok(None));
        assert_eq!(whole::<u16>(&r, "missing"), Ok(None));
        assert!(whole::<u16>(&r, "g").is_err());
        assert_eq!(
            whole::<u16>(&r, "h"),
            Err("h: \"x\" is not a number".into())
        );
        assert!(decimal(&r, "i").is_err());
        assert_eq!(decimal(&r, "d"), Ok(Some(2.5)));
    }

    #[test]
    fn numbers_in_strings_may_group_thousands() {
        let r = record(
            json!({"a": "1,250.00", "b": "$450,000", "c": "1,5", "d": " -12,345 ", "e": "12,34,567", "f": 1.1, "g": "2.50", "h": "x.1", "i": "2.-5"}),
        );
        assert_eq!(decimal(&r, "a"), Ok(Some(1250.0)));
        assert_eq!(amount_text(&r, "a"), Ok(Some("1250.00".into())));
        assert_eq!(amount_text(&r, "b"), Ok(Some("450000".into())));
        assert!(decimal(&r, "c").is_err());
        assert_eq!(decimal(&r, "d"), Ok(Some(-12345.0)));
        assert!(decimal(&r, "e").is_err());
        assert_eq!(number_parts(&r, "f"), Ok(Some((1, "1".into()))));
        assert_eq!(number_parts(&r, "g"), Ok(Some((2, "50".into()))));
        assert!(number_parts(&r, "h").is_err());
        assert!(number_parts(&r, "i").is_err());
        assert_eq!(count(&r, "f"), Ok(Some(1)));
        assert!(count(&r, "d").is_err());
    }

    #[test]
    fn lists_and_dates() {
        let r = record(
            json!({"a": "Natural Gas, Forced Air,,  ", "b": ["Central Air", " Ceiling Fan(s) ", "Central Air", null], "c": 3, "d": [1],
            "day": "2024-05-01", "at": "2024-05-01T10:00:00-05:00", "bad": "05/01/2024"}),
        );
        assert_eq!(
            list(&r, "a"),
            Ok(vec!["Natural Gas".into(), "Forced Air".into()])
        );
        assert_eq!(
            list(&r, "b"),
            Ok(vec!["Central Air".into(), "Ceiling Fan(s)".into()])
        );
        assert_eq!(list(&r, "missing"), Ok(vec![]));
        assert!(list(&r, "c").is_err() && list(&r, "d").is_err());
        assert_eq!(
            date(&r, "day").unwrap().unwrap().to_rfc3339(),
            "2024-05-01T00:00:00+00:00"
        );
        assert_eq!(
            date(&r, "at").unwrap().unwrap().to_rfc3339(),
            "2024-05-01T15:00:00+00:00"
        );
        assert!(date(&r, "bad").is_err());
    }

    #[test]
    fn flags_texts_and_times() {
        let r = record(
            json!({"a": false, "b": "Y", "c": "maybe", "t": "  Main   St ", "n": 12345,
            "z": "2024-05-01T12:30:00+02:00", "bad": "2024-05-01"}),
        );
        assert_eq!(flag(&r, "a"), Ok(Some(false)));
        assert_eq!(flag(&r, "b"), Ok(Some(true)));
        assert!(flag(&r, "c").is_err());
        assert_eq!(text(&r, "t"), Ok(Some("Main St".into())));
        assert_eq!(text(&r, "n"), Ok(Some("12345".into())));
        assert!(text(&r, "a").is_err());
        assert_eq!(
            timestamp(&r, "z").unwrap().unwrap().to_rfc3339(),
            "2024-05-01T10:30:00+00:00"
        );
        assert!(timestamp(&r, "bad").is_err());
        assert_eq!(letters("Square Feet"), "squarefeet");
    }
}
