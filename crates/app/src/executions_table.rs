//! The table of `executions list`: each run's counts in the words people use (new, updated,
//! unchanged, failed, withdrawn; the API's `successCount` is new + updated) and, for FAILED
//! and PARTIAL runs, the reason on the same line, shortened to fit.

use propimport_domain::{Execution, ExecutionStatus};

/// The width of the table without its reason column.
const FIXED_WIDTH: usize = 150;
/// The reason's width when the terminal's is unknown (`COLUMNS` unset), or too narrow.
const MIN_REASON: usize = 40;

/// A run's counts in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Listings new to the site (`details.inserted`).
    pub new: i64,
    /// Listings changed (`details.updated`).
    pub updated: i64,
    /// Listings withdrawn because the feed no longer has them (`details.withdrawn`).
    pub withdrawn: i64,
}

impl Outcome {
    /// The words of `e`: from its details, or its success count as new when it has none.
    pub fn of(e: &Execution) -> Self {
        let detail = |key: &str| {
            e.details
                .as_ref()
                .and_then(|d| d.get(key))
                .and_then(serde_json::Value::as_i64)
        };
        let updated = detail("updated").unwrap_or(0);
        Self {
            new: detail("inserted").unwrap_or(e.counts.success_count - updated),
            updated,
            withdrawn: detail("withdrawn").unwrap_or(0),
        }
    }
}

/// Prints the header and one line per execution.
pub fn print(executions: &[Execution]) {
    let reason_width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .map_or(MIN_REASON, |c| {
            c.saturating_sub(FIXED_WIDTH).max(MIN_REASON)
        });
    println!(
        "{:<36}  {:<22}  {:<8}  {:<20}  {:>9}  {:>7}  {:>7}  {:>9}  {:>6}  {:>9}  {:<6}  REASON",
        "ID",
        "JOB",
        "STATUS",
        "STARTED",
        "DURATION",
        "NEW",
        "UPDATED",
        "UNCHANGED",
        "FAILED",
        "WITHDRAWN",
        "BY"
    );
    for e in executions {
        let words = Outcome::of(e);
        let line = format!(
            "{:<36}  {:<22}  {:<8}  {:<20}  {:>9}  {:>7}  {:>7}  {:>9}  {:>6}  {:>9}  {:<6}  {}",
            e.id.to_string(),
            e.job_name.to_string(),
            e.status.as_str(),
            e.started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            e.duration_ms
                .map_or_else(|| "-".to_owned(), |d| format!("{d} ms")),
            words.new,
            words.updated,
            e.counts.skipped_count,
            e.counts.failed_count,
            words.withdrawn,
            e.triggered_by.as_str(),
            reason(e).map_or_else(String::new, |r| shorten(&r, reason_width)),
        );
        println!("{}", line.trim_end());
    }
}

/// Why a FAILED or PARTIAL run ended so, on one line.
pub fn reason(e: &Execution) -> Option<String> {
    if !matches!(e.status, ExecutionStatus::Failed | ExecutionStatus::Partial) {
        return None;
    }
    let text = e.last_error.as_deref()?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `text` cut to `width` characters, ending in `…` when cut.
pub fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_reasons_are_cut_on_a_character() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("fetch: answered 503", 10), "fetch: an…");
        assert_eq!(shorten("ééééé", 3), "éé…");
        assert_eq!(shorten("abc", 0), "…");
    }
}
