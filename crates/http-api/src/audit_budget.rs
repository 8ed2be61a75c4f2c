//! The bound on audit rows of trigger attempts refused before any job was asked to run
//! (401, 403, 400, 413, 429), so that a flood of them cannot fill the audit table.
//!
//! Per UTC minute, at most [`PER_ADDRESS`] such rows are written for one remote address and
//! [`OVERALL`] for all addresses together. The attempts beyond are counted (and in the
//! `propimport_audit_rows_suppressed_total` metric), and one summary row says how many there
//! were, from which addresses and when; it is written when the next such attempt, trigger or
//! audit-log read comes after the minute ends. At most `OVERALL + 1` such rows a minute.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use propimport_domain::{AuditOutcome, NewAuditEntry};

/// Rows a minute for one remote address.
pub const PER_ADDRESS: u32 = 10;
/// Rows a minute for all addresses together.
pub const OVERALL: u32 = 100;
/// The actor of a summary row.
pub const SUMMARY_ACTOR: &str = "system:audit-limit";
/// The counter of attempts not written one by one.
pub const SUPPRESSED_METRIC: &str = "propimport_audit_rows_suppressed_total";
/// Addresses named in a summary row.
const NAMED: usize = 5;
/// Distinct addresses counted in a summary row (more are reported as "at least").
const COUNTED: usize = 1000;

/// The rows written and the attempts counted in one minute.
#[derive(Default)]
struct Minute {
    /// Minutes since the Unix epoch.
    index: i64,
    rows: HashMap<String, u32>,
    written: u32,
    suppressed: u64,
    addresses: HashSet<String>,
    named: Vec<String>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

/// What became of the attempts of a minute not written one by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Summary {
    suppressed: u64,
    distinct: usize,
    named: Vec<String>,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
}

impl Summary {
    /// The summary's audit row.
    pub(crate) fn entry(&self) -> NewAuditEntry {
        let more = if self.distinct >= COUNTED {
            "at least "
        } else {
            ""
        };
        let addresses = if self.named.len() < self.distinct {
            format!("{}, …", self.named.join(", "))
        } else {
            self.named.join(", ")
        };
        NewAuditEntry {
            at: self.last,
            actor: SUMMARY_ACTOR.to_owned(),
            remote_addr: (self.distinct == 1).then(|| self.named.concat()),
            action: "trigger".to_owned(),
            job_name: None,
            outcome: AuditOutcome::Refused,
            execution_id: None,
            detail: Some(format!(
                "{} more refused trigger attempts from {more}{} address(es) ({addresses}) between \
                 {} and {} were not recorded one by one (at most {PER_ADDRESS} rows a minute per \
                 address and {OVERALL} overall)",
                self.suppressed,
                self.distinct,
                propimport_domain::format_utc_millis(&self.first),
                propimport_domain::format_utc_millis(&self.last),
            )),
        }
    }
}

/// The budget of refused-attempt rows, shared by every worker.
#[derive(Default)]
pub(crate) struct RefusalBudget(Mutex<Minute>);

impl RefusalBudget {
    fn minute(&self) -> std::sync::MutexGuard<'_, Minute> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends the minute before `now`'s, if it had attempts not written: their summary.
    pub(crate) fn flush(&self, now: DateTime<Utc>) -> Option<Summary> {
        Self::roll(&mut self.minute(), now)
    }

    fn roll(minute: &mut Minute, now: DateTime<Utc>) -> Option<Summary> {
        let index = now.timestamp().div_euclid(60);
        if index == minute.index {
            return None;
        }
        let ended = std::mem::replace(
            minute,
            Minute {
                index,
                ..Minute::default()
            },
        );
        match (ended.suppressed, ended.first, ended.last) {
            (1.., Some(first), Some(last)) => Some(Summary {
                suppressed: ended.suppressed,
                distinct: ended.addresses.len(),
                named: ended.named,
                first,
                last,
            }),
            _ => None,
        }
    }

    /// Whether a row may be written for an attempt from `address` at `now`, and the summary
    /// of an earlier minute to write first.
    pub(crate) fn admit(&self, address: &str, now: DateTime<Utc>) -> (bool, Option<Summary>) {
        let mut minute = self.minute();
        let summary = Self::roll(&mut minute, now);
        let from_address = minute.rows.get(address).copied().unwrap_or(0);
        if from_address < PER_ADDRESS && minute.written < OVERALL {
            minute.rows.insert(address.to_owned(), from_address + 1);
            minute.written += 1;
            return (true, summary);
        }
        minute.suppressed += 1;
        minute.first.get_or_insert(now);
        minute.last = Some(now);
        if minute.addresses.len() < COUNTED
            && minute.addresses.insert(address.to_owned())
            && minute.named.len() < NAMED
        {
            minute.named.push(address.to_owned());
        }
        metrics::counter!(SUPPRESSED_METRIC).increment(1);
        (false, summary)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(minute: i64, second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
            .single()
            .unwrap_or_default()
            + chrono::Duration::minutes(minute)
            + chrono::Duration::seconds(i64::from(second))
    }

    #[test]
    fn per_address_and_overall_with_one_summary() {
        let budget = RefusalBudget::default();
        let written = (0..15)
            .filter(|i| budget.admit("203.0.113.5", at(0, *i)).0)
            .count();
        assert_eq!(written, PER_ADDRESS as usize);
        assert!(budget.admit("198.51.100.7", at(0, 20)).0, "another address");
        assert_eq!(budget.flush(at(0, 59)), None, "the minute is not over");
        let summary = budget.flush(at(1, 0)).unwrap();
        let entry = summary.entry();
        assert_eq!(entry.actor, SUMMARY_ACTOR);
        assert_eq!(entry.remote_addr.as_deref(), Some("203.0.113.5"));
        assert_eq!(entry.at, at(0, 14));
        let detail = entry.detail.unwrap_or_default();
        assert!(
            detail.starts_with("5 more refused trigger attempts from 1 address"),
            "{detail}"
        );
        assert_eq!(budget.flush(at(1, 1)), None, "summarised once");

        let mut summaries = 0;
        let mut rows = 0;
        for i in 0..500u32 {
            let (write, summary) =
                budget.admit(&format!("10.0.{}.{}", i / 250, i % 250), at(2, i / 10));
            rows += usize::from(write);
            summaries += usize::from(summary.is_some());
        }
        assert_eq!(rows, OVERALL as usize);
        assert_eq!(summaries, 0);
        let (write, summary) = budget.admit("10.9.9.9", at(3, 0));
        assert!(write);
        let entry = summary.unwrap().entry();
        assert_eq!(entry.remote_addr, None, "several addresses");
        assert!(entry.detail.unwrap_or_default().contains(
            "400 more refused trigger attempts from 400 address(es) (10.0.0.100, 10.0.0.101"
        ));
    }
}
