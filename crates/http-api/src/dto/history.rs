//! The answers of `/history` and `/statistics`.

use propimport_domain::{HistoryPage, HistoryStatistics, Pagination, Statistics, TimelineDay};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ExecutionSummary, millis};

/// Paging of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaginationView {
    /// Rows matching the filters.
    pub total: i64,
    /// The page size.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u64,
    /// Whether rows follow this page.
    pub has_more: bool,
}

impl From<&Pagination> for PaginationView {
    fn from(p: &Pagination) -> Self {
        Self {
            total: p.total,
            limit: p.limit,
            offset: p.offset,
            has_more: p.has_more,
        }
    }
}

/// Totals over every execution matching the history filters.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryStatisticsView {
    /// Sum of totalProperties.
    pub total_properties_processed: i64,
    /// Sum of successCount.
    pub total_successful: i64,
    /// Sum of failedCount.
    pub total_failed: i64,
    /// Sum of skippedCount.
    pub total_skipped: i64,
    /// Mean duration of finished runs, `null` when none.
    pub average_duration_ms: Option<i64>,
}

impl From<&HistoryStatistics> for HistoryStatisticsView {
    fn from(s: &HistoryStatistics) -> Self {
        Self {
            total_properties_processed: s.total_properties_processed,
            total_successful: s.total_successful,
            total_failed: s.total_failed,
            total_skipped: s.total_skipped,
            average_duration_ms: s.average_duration_ms,
        }
    }
}

/// The answer of `/history`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryView {
    /// The page of executions, newest first.
    pub executions: Vec<ExecutionSummary>,
    /// Paging.
    pub pagination: PaginationView,
    /// Totals over the whole filtered set.
    pub statistics: HistoryStatisticsView,
}

impl From<&HistoryPage> for HistoryView {
    fn from(p: &HistoryPage) -> Self {
        Self {
            executions: p.executions.iter().map(Into::into).collect(),
            pagination: (&p.pagination).into(),
            statistics: (&p.statistics).into(),
        }
    }
}

/// One UTC day of the statistics timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimelineDayView {
    /// The day (YYYY-MM-DD, UTC).
    #[schema(format = Date)]
    pub date: String,
    /// Executions started that day.
    pub total: i64,
    /// Of which SUCCESS.
    pub success: i64,
    /// Of which FAILED.
    pub failed: i64,
    /// Of which PARTIAL.
    pub partial: i64,
    /// Of which still RUNNING.
    pub running: i64,
    /// Records processed that day.
    pub properties_processed: i64,
    /// Mean duration of that day's finished runs.
    pub average_duration_ms: Option<i64>,
}

impl From<&TimelineDay> for TimelineDayView {
    fn from(d: &TimelineDay) -> Self {
        Self {
            date: d.date.to_string(),
            total: d.total,
            success: d.success,
            failed: d.failed,
            partial: d.partial,
            running: d.running,
            properties_processed: d.properties_processed,
            average_duration_ms: d.average_duration_ms,
        }
    }
}

/// The answer of `/statistics`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatisticsView {
    /// The window in days.
    pub days: u32,
    /// The window's start (UTC midnight).
    #[schema(format = DateTime)]
    pub from: String,
    /// The window's end (now).
    #[schema(format = DateTime)]
    pub to: String,
    /// Executions started in the window.
    pub total_executions: i64,
    /// Of which SUCCESS.
    pub success_count: i64,
    /// Of which FAILED.
    pub failed_count: i64,
    /// Of which PARTIAL.
    pub partial_count: i64,
    /// Of which still RUNNING.
    pub running_count: i64,
    /// Records processed in the window.
    pub total_properties_processed: i64,
    /// Mean duration of finished runs.
    pub average_duration_ms: Option<i64>,
    /// SUCCESS as a percentage of finished runs; `null` when none finished.
    pub success_rate: Option<f64>,
    /// One entry per UTC day of the window, oldest first.
    pub timeline: Vec<TimelineDayView>,
}

impl From<&Statistics> for StatisticsView {
    fn from(s: &Statistics) -> Self {
        Self {
            days: s.days,
            from: millis(&s.from),
            to: millis(&s.to),
            total_executions: s.total_executions,
            success_count: s.success_count,
            failed_count: s.failed_count,
            partial_count: s.partial_count,
            running_count: s.running_count,
            total_properties_processed: s.total_properties_processed,
            average_duration_ms: s.average_duration_ms,
            success_rate: s.success_rate,
            timeline: s.timeline.iter().map(Into::into).collect(),
        }
    }
}
