//! Reading RESO field values the way real payloads send them: numbers as numbers or as
//! numeric strings, booleans as `true`/`"true"`/`"Y"`, `null` or an empty string for "not
//! given". Each reader returns `Ok(None)` for a missing value and an error message naming the
//! field for a value that cannot be read as its type.

use chrono::{DateTime, Utc};
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
        Value::String(s) => s.trim().parse::<f64>().ok(),
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
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(other) => Err(format!("{name}: {} is not an amount", kind(other))),
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
