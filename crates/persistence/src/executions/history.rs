//! History pages with their aggregates, and windowed statistics.
//!
//! Aggregates over a window are assembled from parts (see [`super::totals`]): whole years,
//! months and days from the totals of the finished runs, the partial days at the window's ends and
//! the RUNNING runs from the executions, all read in one snapshot with the page.

use chrono::NaiveDate;
use diesel::dsl::{count, count_star};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use propimport_domain::{
    Execution, ExecutionStatus, HistoryPage, HistoryQuery, HistoryStatistics, Pagination, Result,
    Statistics, StatisticsQuery, StatisticsRow,
};

use super::SqlExecutionStore;
use super::rows::ExecutionRow;
use super::sql::{StartedDay, SumBigInt, SumDouble};
use super::totals::{ALL_JOBS, BY_JOB, Grain, Span, Split, Sums};
use crate::error::corrupt;
use crate::schema::import_job_execution_totals::dsl as tt;
use crate::schema::import_job_executions::dsl as t;
use crate::sql_types::DbTime;

/// The history filters but the time range, as owned values ready to bind.
struct Filters {
    status: Option<&'static str>,
    triggered_by: Option<String>,
    job_name: Option<String>,
}

impl Filters {
    fn of(q: &HistoryQuery) -> Self {
        Self {
            status: q.status.map(|s| s.as_str()),
            triggered_by: q.triggered_by.as_ref().map(ToString::to_string),
            job_name: q.job_name.as_ref().map(ToString::to_string),
        }
    }
}

/// `$base` (a query over `import_job_executions`, by default the table) boxed, with the
/// filters (AND) and the span of `started_at` applied.
macro_rules! filtered {
    ($f:expr, $span:expr) => {
        filtered!(t::import_job_executions, $f, $span)
    };
    ($base:expr, $f:expr, $span:expr) => {{
        let (f, span): (&Filters, &Span) = (&$f, &$span);
        let mut query = $base.into_boxed();
        if let Some(status) = f.status {
            query = query.filter(t::status.eq(status));
        }
        if let Some(by) = &f.triggered_by {
            query = query.filter(t::triggered_by.eq(by));
        }
        if let Some(job) = &f.job_name {
            query = query.filter(t::job_name.eq(job));
        }
        if let Some(from) = span.from {
            query = query.filter(t::started_at.ge(DbTime(from)));
        }
        match span.to {
            Some(to) if span.to_inclusive => query = query.filter(t::started_at.le(DbTime(to))),
            Some(to) => query = query.filter(t::started_at.lt(DbTime(to))),
            None => {}
        }
        query
    }};
}

/// `$base` (a query over the totals, by default the table) boxed, with the rows of `$period`
/// matching the filters and `period_start` in the span: the rows over every job when neither
/// job nor trigger is asked for, else the rows by job.
macro_rules! filtered_totals {
    ($f:expr, $period:expr, $span:expr) => {
        filtered_totals!(tt::import_job_execution_totals, $f, $period, $span)
    };
    ($base:expr, $f:expr, $period:expr, $span:expr) => {{
        let (f, span): (&Filters, &Span) = (&$f, &$span);
        let mut query = $base.into_boxed().filter(tt::period.eq($period));
        if f.job_name.is_none() && f.triggered_by.is_none() {
            query = query.filter(tt::level.eq(ALL_JOBS));
        } else {
            query = query.filter(tt::level.eq(BY_JOB));
        }
        if let Some(status) = f.status {
            query = query.filter(tt::status.eq(status));
        }
        if let Some(by) = &f.triggered_by {
            query = query.filter(tt::triggered_by.eq(by));
        }
        if let Some(job) = &f.job_name {
            query = query.filter(tt::job_name.eq(job));
        }
        if let Some(from) = span.from {
            query = query.filter(tt::period_start.ge(DbTime(from)));
        }
        if let Some(to) = span.to {
            query = query.filter(tt::period_start.lt(DbTime(to)));
        }
        query
    }};
}

/// The sums of the executions matching `$f` in `$span` (of RUNNING ones only when
/// `$running`), on `$conn`.
macro_rules! execution_sums {
    ($conn:expr, $f:expr, $span:expr, $running:expr) => {{
        let mut query = filtered!($f, $span).select((
            count_star(),
            SumBigInt(t::total_properties),
            SumBigInt(t::success_count),
            SumBigInt(t::failed_count),
            SumBigInt(t::skipped_count),
            SumBigInt(t::duration_ms),
            count(t::duration_ms),
        ));
        if $running {
            query = query.filter(t::status.eq(ExecutionStatus::Running.as_str()));
        }
        Sums::from_tuple(query.get_result(&mut *$conn).await?)
    }};
}

/// The sums of the totals of `$period` matching `$f` in `$span`, on `$conn`.
macro_rules! totals_sums {
    ($conn:expr, $f:expr, $period:expr, $span:expr) => {{
        Sums::from_tuple(
            filtered_totals!($f, $period, $span)
                .select((
                    SumBigInt(tt::executions),
                    SumBigInt(tt::total_properties),
                    SumBigInt(tt::success_count),
                    SumBigInt(tt::failed_count),
                    SumBigInt(tt::skipped_count),
                    SumBigInt(tt::duration_sum_ms),
                    SumBigInt(tt::durations),
                ))
                .get_result(&mut *$conn)
                .await?,
        )
    }};
}

/// A statistics row of one status: executions, properties, duration sum and count.
type StatusRow = (String, i64, i64, f64, i64);

/// The mean of `sum` over `count`, rounded; `None` for no values.
fn rounded_mean(sum: i64, count: i64) -> Option<i64> {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        reason = "a mean of i64 durations fits; sums and counts far below 2^53"
    )]
    (count > 0).then(|| (sum as f64 / count as f64).round() as i64)
}

fn statistics_row(
    day: NaiveDate,
    (status, executions, properties_processed, duration_sum_ms, durations): StatusRow,
) -> Result<StatisticsRow> {
    Ok(StatisticsRow {
        day,
        status: status.parse().map_err(|e| corrupt("status", e))?,
        executions,
        properties_processed,
        duration_sum_ms,
        durations,
    })
}

impl SqlExecutionStore {
    /// A page of history, newest first, with aggregates over the whole filtered set.
    pub(super) async fn history_page(&self, q: &HistoryQuery) -> Result<HistoryPage> {
        let f = Filters::of(q);
        let range = Span::half_open(q.range.from(), q.range.to());
        let offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
        let limit = i64::from(q.limit.get());
        // RUNNING runs are not in the totals: a RUNNING-only history reads the executions.
        let split = (q.status != Some(ExecutionStatus::Running))
            .then(|| Split::of(range.from, range.to, false, Grain::Year));
        let (f, split) = (&f, &split);
        let (rows, sums): (Vec<ExecutionRow>, Sums) =
            with_read_snapshot!(self.db, |conn, _dialect| {
                let rows = filtered!(*f, range)
                    .select(ExecutionRow::as_select())
                    .order((t::started_at.desc(), t::id.desc()))
                    .limit(limit)
                    .offset(offset)
                    .load(&mut *conn)
                    .await?;
                let mut sums = Sums::default();
                match split {
                    None => sums += execution_sums!(conn, *f, range, false),
                    Some(split) => {
                        for (grain, span) in &split.totals {
                            sums += totals_sums!(conn, *f, grain.period(), *span);
                        }
                        for partial in &split.partial {
                            sums += execution_sums!(conn, *f, *partial, false);
                        }
                        if f.status.is_none()
                            && let Some(whole) = &split.whole
                        {
                            sums += execution_sums!(conn, *f, *whole, true);
                        }
                    }
                }
                Ok((rows, sums))
            })?;
        let executions = rows
            .into_iter()
            .map(ExecutionRow::into_domain)
            .collect::<Result<Vec<Execution>>>()?;
        Ok(HistoryPage {
            executions,
            pagination: Pagination::of(q, sums.executions),
            statistics: HistoryStatistics {
                total_properties_processed: sums.total_properties,
                total_successful: sums.success_count,
                total_failed: sums.failed_count,
                total_skipped: sums.skipped_count,
                average_duration_ms: rounded_mean(sums.duration_sum_ms, sums.durations),
            },
        })
    }

    /// Statistics over the window, by UTC day and status: whole days from the totals, the
    /// partial first and last days (each within one day) and the RUNNING runs from the
    /// executions.
    pub(super) async fn window_statistics(&self, q: &StatisticsQuery) -> Result<Statistics> {
        let split = Split::of(Some(q.from()), Some(q.now), true, Grain::Day);
        let f = Filters {
            status: None,
            triggered_by: None,
            job_name: q.job_name.as_ref().map(ToString::to_string),
        };
        let running_only = Filters {
            status: Some(ExecutionStatus::Running.as_str()),
            triggered_by: None,
            job_name: f.job_name.clone(),
        };
        let (split, f, running_only) = (&split, &f, &running_only);
        type Read = (
            Vec<(DbTime, StatusRow)>,
            Vec<(DbTime, StatusRow)>,
            Vec<(String, StatusRow)>,
        );
        let (totals, partial, running): Read = with_read_snapshot!(self.db, |conn, _dialect| {
            let mut totals = Vec::new();
            for (grain, span) in &split.totals {
                let by_day = tt::import_job_execution_totals
                    .group_by((tt::period_start, tt::status))
                    .select((
                        tt::period_start,
                        tt::status,
                        SumBigInt(tt::executions),
                        SumBigInt(tt::total_properties),
                        SumDouble(tt::duration_sum_ms),
                        SumBigInt(tt::durations),
                    ));
                let rows: Vec<(DbTime, String, i64, i64, f64, i64)> =
                    filtered_totals!(by_day, *f, grain.period(), *span)
                        .load(&mut *conn)
                        .await?;
                totals.extend(
                    rows.into_iter()
                        .map(|(d, s, n, p, ds, dn)| (d, (s, n, p, ds, dn))),
                );
            }
            let mut partial = Vec::new();
            for span in &split.partial {
                let Some(from) = span.from else { continue };
                let by_status = t::import_job_executions.group_by(t::status).select((
                    t::status,
                    count_star(),
                    SumBigInt(t::total_properties),
                    SumDouble(t::duration_ms),
                    count(t::duration_ms),
                ));
                let rows: Vec<StatusRow> = filtered!(by_status, *f, *span).load(&mut *conn).await?;
                partial.extend(rows.into_iter().map(|r| (DbTime(from), r)));
            }
            let mut running = Vec::new();
            if let Some(whole) = &split.whole {
                // Few rows (one per job at most), over many days: grouped by UTC day.
                let by_day = t::import_job_executions
                    .group_by((StartedDay, t::status))
                    .select((
                        StartedDay,
                        t::status,
                        count_star(),
                        SumBigInt(t::total_properties),
                        SumDouble(t::duration_ms),
                        count(t::duration_ms),
                    ));
                let rows: Vec<(String, String, i64, i64, f64, i64)> =
                    filtered!(by_day, *running_only, *whole)
                        .load(&mut *conn)
                        .await?;
                running.extend(
                    rows.into_iter()
                        .map(|(d, s, n, p, ds, dn)| (d, (s, n, p, ds, dn))),
                );
            }
            Ok((totals, partial, running))
        })?;
        let mut rows = Vec::with_capacity(totals.len() + partial.len() + running.len());
        for (start, row) in totals.into_iter().chain(partial) {
            rows.push(statistics_row(start.0.date_naive(), row)?);
        }
        for (day, row) in running {
            let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|e| corrupt("day", e))?;
            rows.push(statistics_row(day, row)?);
        }
        Ok(Statistics::from_rows(q, &rows))
    }
}
