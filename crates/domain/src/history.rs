//! The execution history: a filtered, paginated list with aggregates over the filtered set.

use chrono::{DateTime, Utc};

use crate::{Error, Execution, ExecutionStatus, JobName, PageLimit, TriggeredBy};

/// A half-open time window `[from, to)`, either end optional; `from` never after `to`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

impl TimeRange {
    /// Checks that `from` is not after `to`.
    pub fn new(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Result<Self, Error> {
        match (from, to) {
            (Some(f), Some(t)) if f > t => Err(Error::invalid(
                "from",
                format!("from ({f}) must not be after to ({t})"),
            )),
            _ => Ok(Self { from, to }),
        }
    }

    /// The inclusive lower bound.
    pub fn from(&self) -> Option<DateTime<Utc>> {
        self.from
    }

    /// The exclusive upper bound.
    pub fn to(&self) -> Option<DateTime<Utc>> {
        self.to
    }

    /// Whether `t` lies in the window.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|to| t < to)
    }
}

/// A request for a page of history, newest first. Filters combine with AND; the time range
/// applies to `started_at`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryQuery {
    /// The page size.
    pub limit: PageLimit,
    /// How many matching executions to skip.
    pub offset: u64,
    /// Only this status.
    pub status: Option<ExecutionStatus>,
    /// Only this trigger.
    pub triggered_by: Option<TriggeredBy>,
    /// Only this job.
    pub job_name: Option<JobName>,
    /// Only executions started in this window.
    pub range: TimeRange,
}

impl HistoryQuery {
    /// Whether an execution passes the filters (the in-memory reference of the stores' SQL).
    pub fn matches(&self, e: &Execution) -> bool {
        self.status.is_none_or(|s| e.status == s)
            && self
                .triggered_by
                .as_ref()
                .is_none_or(|t| &e.triggered_by == t)
            && self.job_name.as_ref().is_none_or(|j| &e.job_name == j)
            && self.range.contains(e.started_at)
    }
}

/// Where a page stands in the whole filtered set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    /// How many executions match the filters.
    pub total: i64,
    /// The page size asked for.
    pub limit: u32,
    /// The offset asked for.
    pub offset: u64,
    /// Whether executions follow this page.
    pub has_more: bool,
}

impl Pagination {
    /// The pagination of a page of `query` out of `total` matches.
    pub fn of(query: &HistoryQuery, total: i64) -> Self {
        let end = query.offset.saturating_add(u64::from(query.limit.get()));
        Self {
            total,
            limit: query.limit.get(),
            offset: query.offset,
            has_more: u64::try_from(total).is_ok_and(|t| end < t),
        }
    }
}

/// Sums over every execution that matches the filters (not just the page).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HistoryStatistics {
    /// Sum of `totalProperties`.
    pub total_properties_processed: i64,
    /// Sum of `successCount`.
    pub total_successful: i64,
    /// Sum of `failedCount`.
    pub total_failed: i64,
    /// Sum of `skippedCount`.
    pub total_skipped: i64,
    /// Mean `durationMs` of the finished ones, rounded; `null` when none has finished.
    pub average_duration_ms: Option<i64>,
}

/// One page of history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPage {
    /// The executions of the page, newest first.
    pub executions: Vec<Execution>,
    /// Where the page stands.
    pub pagination: Pagination,
    /// Aggregates over the whole filtered set.
    pub statistics: HistoryStatistics,
}

/// Rounds a mean given as a sum and a count; `None` when the count is zero.
pub(crate) fn rounded_mean(sum: f64, count: i64) -> Option<i64> {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a mean of i64 values fits in i64"
    )]
    (count > 0).then(|| (sum / count as f64).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_bounds() {
        assert!(PageLimit::new(0).is_err());
        assert!(PageLimit::new(101).is_err());
        assert_eq!(PageLimit::new(100).map(PageLimit::get), Ok(100));
        let msg = PageLimit::new(500)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(msg, "limit: limit must be between 1 and 100, got 500");
    }

    #[test]
    fn has_more_is_exact() {
        let q = HistoryQuery {
            limit: PageLimit::new(10).unwrap(),
            offset: 10,
            ..Default::default()
        };
        assert!(Pagination::of(&q, 21).has_more);
        assert!(!Pagination::of(&q, 20).has_more);
        assert!(!Pagination::of(&q, 0).has_more);
    }

    #[test]
    fn range_rejects_reversed_bounds() {
        let now = Utc::now();
        assert!(TimeRange::new(Some(now), Some(now - chrono::Duration::seconds(1))).is_err());
        assert!(TimeRange::new(Some(now), Some(now)).is_ok());
    }

    #[test]
    fn mean_rounds_and_handles_empty() {
        assert_eq!(rounded_mean(0.0, 0), None);
        assert_eq!(rounded_mean(5.0, 2), Some(3));
    }
}
