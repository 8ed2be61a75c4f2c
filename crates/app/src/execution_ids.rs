//! Naming an execution on the command line: its whole id, or a unique start of it. Version-7
//! ids begin with their creation time in milliseconds, so the executions a start can name
//! are found among those started in the window its digits span.

use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};
use propimport_domain::{ExecutionId, ExecutionStore, HistoryQuery, PageLimit, TimeRange};

use crate::usage::usage;

/// Hex digits of a version-7 id that hold its creation time (milliseconds since 1970).
const TIME_DIGITS: usize = 12;
/// How far an execution's start may lie from the time in its id.
const CLOCK_MARGIN: TimeDelta = TimeDelta::minutes(10);
/// The most executions looked at for one start of an id.
const MAX_SCANNED: u64 = 2_000;
/// The most candidates named when a start is ambiguous.
const MAX_NAMED: usize = 5;

/// The execution `text` names: a whole id, or the start of exactly one execution's id;
/// otherwise a usage error saying why (no such execution, or the candidates).
pub async fn find(store: &dyn ExecutionStore, text: &str) -> anyhow::Result<ExecutionId> {
    if let Ok(id) = ExecutionId::parse(text) {
        return Ok(id);
    }
    let prefix = normalized(text).map_err(usage)?;
    let (from, to) = window(&prefix);
    let range = TimeRange::new(from, to).map_err(|e| usage(e.to_string()))?;
    let mut found: Vec<ExecutionId> = Vec::new();
    let mut offset = 0;
    loop {
        let query = HistoryQuery {
            limit: PageLimit::new(100).map_err(|e| anyhow::anyhow!("{e}"))?,
            offset,
            range,
            ..HistoryQuery::default()
        };
        let page = store.history(&query).await?;
        let read = page.executions.len() as u64;
        found.extend(
            page.executions
                .iter()
                .map(|e| e.id)
                .filter(|id| id.to_string().starts_with(&prefix)),
        );
        offset += read;
        if found.len() > 1 || read < 100 {
            break;
        }
        if offset >= MAX_SCANNED {
            return Err(usage(format!(
                "{prefix} is too short to find one execution among the many started in its time span; give more of the id"
            )));
        }
    }
    pick(&prefix, &found, "")
}

/// The execution `text` names among the `running` ones (a whole id is taken as it is).
pub fn find_running(text: &str, running: &[ExecutionId]) -> Result<ExecutionId, String> {
    if let Ok(id) = ExecutionId::parse(text) {
        return Ok(id);
    }
    let prefix = normalized(text)?;
    let found: Vec<ExecutionId> = running
        .iter()
        .filter(|r| r.to_string().starts_with(&prefix))
        .copied()
        .collect();
    pick(&prefix, &found, "RUNNING ").map_err(|e| e.to_string())
}

/// `text` in lower case, if it can be the start of an id.
fn normalized(text: &str) -> Result<String, String> {
    let prefix = text.trim().to_ascii_lowercase();
    if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(format!(
            "{text:?} is neither an execution id nor the start of one"
        ));
    }
    Ok(prefix)
}

/// The one id among `found`, or the error naming none or the candidates.
fn pick(prefix: &str, found: &[ExecutionId], kind: &str) -> anyhow::Result<ExecutionId> {
    match found {
        [one] => Ok(*one),
        [] => Err(usage(format!(
            "no {kind}execution's id starts with {prefix} (see `propimport executions list`)"
        ))),
        many => {
            let named: Vec<String> = many
                .iter()
                .take(MAX_NAMED)
                .map(ToString::to_string)
                .collect();
            let more = if many.len() > MAX_NAMED { ", …" } else { "" };
            Err(usage(format!(
                "{prefix} is the start of several {kind}executions' ids ({}{more}); give more of it",
                named.join(", ")
            )))
        }
    }
}

/// The window of start times an id beginning with `prefix` can have: the span of its time
/// digits, widened by [`CLOCK_MARGIN`].
fn window(prefix: &str) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let digits: String = prefix
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(TIME_DIGITS)
        .collect();
    let bound = |fill: char| {
        let mut padded = digits.clone();
        while padded.len() < TIME_DIGITS {
            padded.push(fill);
        }
        i64::from_str_radix(&padded, 16)
            .ok()
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
    };
    let from = bound('0').and_then(|t| t.checked_sub_signed(CLOCK_MARGIN));
    let to = bound('f').and_then(|t| t.checked_add_signed(CLOCK_MARGIN));
    (from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_unique_starts_of_running_ones() {
        let a = ExecutionId::parse("0190f5c2-7b7e-7cc0-8f3a-2d1c9e0b6a41").unwrap();
        let b = ExecutionId::parse("0190f5c2-7b7e-7cc0-8f3a-2d1c9e0b6a42").unwrap();
        let c = ExecutionId::parse("01a0f5c2-7b7e-7cc0-8f3a-2d1c9e0b6a43").unwrap();
        let running = [a, b, c];
        assert_eq!(
            find_running(&a.to_string(), &[]),
            Ok(a),
            "a whole id as it is"
        );
        assert_eq!(find_running("01A0", &running), Ok(c), "any case");
        assert_eq!(
            find_running("0190f5c2-7b7e-7cc0-8f3a-2d1c9e0b6a42", &running),
            Ok(b)
        );
        let many = find_running("0190f5c2", &running).unwrap_err();
        assert!(
            many.contains("several RUNNING") && many.contains(&b.to_string()),
            "{many}"
        );
        let none = find_running("ff", &running).unwrap_err();
        assert!(none.contains("no RUNNING"), "{none}");
        assert!(
            find_running("xyz", &running)
                .unwrap_err()
                .contains("neither")
        );
        assert!(find_running("", &running).is_err());
    }

    #[test]
    fn the_window_spans_the_time_digits() {
        let (from, to) = window("0190f5c2-7b7e");
        let at = Utc.timestamp_millis_opt(0x0190_f5c2_7b7e).single().unwrap();
        assert_eq!(from, Some(at - CLOCK_MARGIN));
        assert_eq!(to, Some(at + CLOCK_MARGIN));
        let (from, to) = window("0190f5c2");
        assert!(from.unwrap() < at && at < to.unwrap());
        assert!(
            to.unwrap() - from.unwrap() < TimeDelta::minutes(22),
            "2^16 ms and margins"
        );
    }
}
