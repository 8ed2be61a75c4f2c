//! Statistics over a window of days: totals per status, properties processed, mean duration,
//! success rate and a per-day (UTC) timeline with every day present.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::history::rounded_mean;
use crate::{Error, ExecutionStatus, JobName};

/// A window length between 1 and [`WindowDays::MAX`] days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowDays(u32);

impl WindowDays {
    /// The longest window.
    pub const MAX: u32 = 365;
    /// The window when none is asked for.
    pub const DEFAULT: Self = Self(30);

    /// Checks a requested window.
    pub fn new(days: i64) -> Result<Self, Error> {
        match u32::try_from(days) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(Error::invalid(
                "days",
                format!("days must be between 1 and {}, got {days}", Self::MAX),
            )),
        }
    }

    /// The number of days.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for WindowDays {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A request for statistics over the `days` before `now`.
#[derive(Debug, Clone, PartialEq)]
pub struct StatisticsQuery {
    /// The window length.
    pub days: WindowDays,
    /// Only this job.
    pub job_name: Option<JobName>,
    /// The end of the window.
    pub now: DateTime<Utc>,
}

impl StatisticsQuery {
    /// The inclusive start of the window.
    pub fn from(&self) -> DateTime<Utc> {
        self.now - Duration::days(i64::from(self.days.get()))
    }
}

/// One grouped row as a store reads it: the executions of one status started on one UTC day.
#[derive(Debug, Clone, PartialEq)]
pub struct StatisticsRow {
    /// The UTC day.
    pub day: NaiveDate,
    /// The status.
    pub status: ExecutionStatus,
    /// How many executions.
    pub executions: i64,
    /// Sum of their `totalProperties`.
    pub properties_processed: i64,
    /// Sum of their durations, in milliseconds.
    pub duration_sum_ms: f64,
    /// How many of them have a duration.
    pub durations: i64,
}

/// The executions of one UTC day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimelineDay {
    /// The day, `YYYY-MM-DD`.
    pub date: NaiveDate,
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
    /// Sum of `totalProperties`.
    pub properties_processed: i64,
    /// Mean duration of the finished ones; `null` when none finished.
    pub average_duration_ms: Option<i64>,
}

/// Statistics for a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    /// The window length in days.
    pub days: u32,
    /// The window's start.
    pub from: DateTime<Utc>,
    /// The window's end.
    pub to: DateTime<Utc>,
    /// Executions started in the window.
    pub total_executions: i64,
    /// Of which SUCCESS.
    pub success_count: i64,
    /// Of which FAILED.
    pub failed_count: i64,
    /// Of which PARTIAL.
    pub partial_count: i64,
    /// Of which RUNNING.
    pub running_count: i64,
    /// Sum of `totalProperties`.
    pub total_properties_processed: i64,
    /// Mean duration of the finished ones; `null` when none finished.
    pub average_duration_ms: Option<i64>,
    /// SUCCESS as a percentage of finished executions, two decimals; `null` when none finished.
    pub success_rate: Option<f64>,
    /// Every UTC day of the window, oldest first, with zeros for days without runs.
    pub timeline: Vec<TimelineDay>,
}

impl Statistics {
    /// Builds the statistics of `query` from grouped rows (rows outside the window's days are
    /// ignored). Every store reads the same rows and calls this, so they agree.
    pub fn from_rows(query: &StatisticsQuery, rows: &[StatisticsRow]) -> Self {
        let first = query.from().date_naive();
        let last = query.now.date_naive();
        let mut days: BTreeMap<NaiveDate, (TimelineDay, f64, i64)> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| {
                (
                    d,
                    (
                        TimelineDay {
                            date: d,
                            ..Default::default()
                        },
                        0.0,
                        0,
                    ),
                )
            })
            .collect();
        for row in rows {
            let Some((day, sum, n)) = days.get_mut(&row.day) else {
                continue;
            };
            day.total += row.executions;
            day.properties_processed += row.properties_processed;
            *sum += row.duration_sum_ms;
            *n += row.durations;
            *match row.status {
                ExecutionStatus::Success => &mut day.success,
                ExecutionStatus::Failed => &mut day.failed,
                ExecutionStatus::Partial => &mut day.partial,
                ExecutionStatus::Running => &mut day.running,
            } += row.executions;
        }
        let (sum_all, n_all) = days
            .values()
            .fold((0.0, 0), |(s, n), (_, ds, dn)| (s + ds, n + dn));
        let timeline: Vec<TimelineDay> = days
            .into_values()
            .map(|(mut day, sum, n)| {
                day.average_duration_ms = rounded_mean(sum, n);
                day
            })
            .collect();
        let total = |f: fn(&TimelineDay) -> i64| timeline.iter().map(f).sum::<i64>();
        let (success, failed, partial) = (
            total(|d| d.success),
            total(|d| d.failed),
            total(|d| d.partial),
        );
        let finished = success + failed + partial;
        #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
        let success_rate =
            (finished > 0).then(|| (success as f64 * 10_000.0 / finished as f64).round() / 100.0);
        Self {
            days: query.days.get(),
            from: query.from(),
            to: query.now,
            total_executions: total(|d| d.total),
            success_count: success,
            failed_count: failed,
            partial_count: partial,
            running_count: total(|d| d.running),
            total_properties_processed: total(|d| d.properties_processed),
            average_duration_ms: rounded_mean(sum_all, n_all),
            success_rate,
            timeline,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn row(day: NaiveDate, status: ExecutionStatus, n: i64) -> StatisticsRow {
        StatisticsRow {
            day,
            status,
            executions: n,
            properties_processed: 10 * n,
            duration_sum_ms: 100.0 * n as f64,
            durations: if status == ExecutionStatus::Running {
                0
            } else {
                n
            },
        }
    }

    #[test]
    fn timeline_is_dense_and_crosses_month_boundary() {
        let now = Utc.with_ymd_and_hms(2025, 3, 2, 12, 0, 0).unwrap();
        let q = StatisticsQuery {
            days: WindowDays::new(3).unwrap(),
            job_name: None,
            now,
        };
        let feb28 = NaiveDate::from_ymd_opt(2025, 2, 28).unwrap();
        let mar2 = NaiveDate::from_ymd_opt(2025, 3, 2).unwrap();
        let s = Statistics::from_rows(
            &q,
            &[
                row(feb28, ExecutionStatus::Success, 3),
                row(mar2, ExecutionStatus::Failed, 1),
            ],
        );
        let dates: Vec<String> = s.timeline.iter().map(|d| d.date.to_string()).collect();
        assert_eq!(
            dates,
            ["2025-02-27", "2025-02-28", "2025-03-01", "2025-03-02"]
        );
        assert_eq!(s.total_executions, 4);
        assert_eq!(s.success_rate, Some(75.0));
        assert_eq!(s.timeline[1].success, 3);
        assert_eq!(s.timeline[2].total, 0);
        assert_eq!(s.average_duration_ms, Some(100));
    }

    #[test]
    fn empty_window_has_nulls_not_zero_division() {
        let q = StatisticsQuery {
            days: WindowDays::DEFAULT,
            job_name: None,
            now: Utc::now(),
        };
        let s = Statistics::from_rows(&q, &[]);
        assert_eq!(s.total_executions, 0);
        assert_eq!(s.success_rate, None);
        assert_eq!(s.average_duration_ms, None);
        assert_eq!(s.timeline.len(), 31);
    }

    #[test]
    fn window_bounds() {
        assert!(WindowDays::new(0).is_err());
        assert!(WindowDays::new(366).is_err());
        assert!(WindowDays::new(365).is_ok());
    }
}
