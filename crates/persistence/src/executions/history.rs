//! History pages with their aggregates, and windowed statistics.

use chrono::NaiveDate;
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use diesel_async::RunQueryDsl;
use propimport_domain::{
    Execution, HistoryPage, HistoryQuery, HistoryStatistics, Pagination, Result, Statistics,
    StatisticsQuery, StatisticsRow,
};

use super::SqlExecutionStore;
use super::rows::ExecutionRow;
use crate::error::{corrupt, from_diesel};
use crate::schema::import_job_executions::dsl as t;
use crate::sql_types::DbTime;

/// The history filters as owned values, ready to bind.
struct Filters {
    status: Option<&'static str>,
    triggered_by: Option<String>,
    job_name: Option<String>,
    from: Option<DbTime>,
    to: Option<DbTime>,
}

impl Filters {
    fn of(q: &HistoryQuery) -> Self {
        Self {
            status: q.status.map(|s| s.as_str()),
            triggered_by: q.triggered_by.as_ref().map(ToString::to_string),
            job_name: q.job_name.as_ref().map(ToString::to_string),
            from: q.range.from().map(DbTime),
            to: q.range.to().map(DbTime),
        }
    }
}

/// A boxed query over `import_job_executions` with the filters applied (AND).
macro_rules! filtered {
    ($f:expr) => {{
        let f = &$f;
        let mut query = t::import_job_executions.into_boxed();
        if let Some(status) = f.status {
            query = query.filter(t::status.eq(status));
        }
        if let Some(by) = &f.triggered_by {
            query = query.filter(t::triggered_by.eq(by));
        }
        if let Some(job) = &f.job_name {
            query = query.filter(t::job_name.eq(job));
        }
        if let Some(from) = f.from {
            query = query.filter(t::started_at.ge(from));
        }
        if let Some(to) = f.to {
            query = query.filter(t::started_at.lt(to));
        }
        query
    }};
}

type Aggregates = (i64, i64, i64, i64, i64, Option<f64>);

const SUMS: [&str; 4] = [
    "CAST(COALESCE(SUM(total_properties), 0) AS BIGINT)",
    "CAST(COALESCE(SUM(success_count), 0) AS BIGINT)",
    "CAST(COALESCE(SUM(failed_count), 0) AS BIGINT)",
    "CAST(COALESCE(SUM(skipped_count), 0) AS BIGINT)",
];
const MEAN_DURATION: &str = "CAST(AVG(duration_ms) AS DOUBLE PRECISION)";

impl SqlExecutionStore {
    /// A page of history, newest first, with aggregates over the whole filtered set.
    pub(super) async fn history_page(&self, q: &HistoryQuery) -> Result<HistoryPage> {
        let f = Filters::of(q);
        let offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
        let (rows, aggregates): (Vec<ExecutionRow>, Aggregates) =
            with_conn!(self.db, |conn, _dialect| {
                let rows = filtered!(f)
                    .select(ExecutionRow::as_select())
                    .order((t::started_at.desc(), t::id.desc()))
                    .limit(i64::from(q.limit.get()))
                    .offset(offset)
                    .load(conn)
                    .await
                    .map_err(from_diesel)?;
                let aggregates = filtered!(f)
                    .select((
                        count_star(),
                        sql::<BigInt>(SUMS[0]),
                        sql::<BigInt>(SUMS[1]),
                        sql::<BigInt>(SUMS[2]),
                        sql::<BigInt>(SUMS[3]),
                        sql::<Nullable<Double>>(MEAN_DURATION),
                    ))
                    .get_result(conn)
                    .await
                    .map_err(from_diesel)?;
                (rows, aggregates)
            });
        let (total, properties, successful, failed, skipped, mean) = aggregates;
        let executions = rows
            .into_iter()
            .map(ExecutionRow::into_domain)
            .collect::<Result<Vec<Execution>>>()?;
        Ok(HistoryPage {
            executions,
            pagination: Pagination::of(q, total),
            statistics: HistoryStatistics {
                total_properties_processed: properties,
                total_successful: successful,
                total_failed: failed,
                total_skipped: skipped,
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "a mean of i64 durations fits"
                )]
                average_duration_ms: mean.map(|m| m.round() as i64),
            },
        })
    }

    /// Statistics over the window, grouped by UTC day and status in the database.
    pub(super) async fn window_statistics(&self, q: &StatisticsQuery) -> Result<Statistics> {
        let (from, to) = (DbTime(q.from()), DbTime(q.now));
        let job = q.job_name.as_ref().map(ToString::to_string);
        let rows: Vec<(String, String, i64, i64, f64, i64)> =
            with_conn!(self.db, |conn, dialect| {
                let day = dialect.started_day();
                let mut query = t::import_job_executions
                    .filter(t::started_at.ge(from))
                    .filter(t::started_at.le(to))
                    .group_by(sql::<Text>(&format!("{day}, status")))
                    .select((
                        sql::<Text>(day),
                        sql::<Text>("status"),
                        sql::<BigInt>("COUNT(*)"),
                        sql::<BigInt>(SUMS[0]),
                        sql::<Double>("CAST(COALESCE(SUM(duration_ms), 0) AS DOUBLE PRECISION)"),
                        sql::<BigInt>("COUNT(duration_ms)"),
                    ))
                    .into_boxed();
                if let Some(job) = &job {
                    query = query.filter(t::job_name.eq(job));
                }
                query.load(conn).await.map_err(from_diesel)?
            });
        let rows = rows
            .into_iter()
            .map(
                |(day, status, executions, properties_processed, duration_sum_ms, durations)| {
                    Ok(StatisticsRow {
                        day: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                            .map_err(|e| corrupt("day", e))?,
                        status: status.parse().map_err(|e| corrupt("status", e))?,
                        executions,
                        properties_processed,
                        duration_sum_ms,
                        durations,
                    })
                },
            )
            .collect::<Result<Vec<_>>>()?;
        Ok(Statistics::from_rows(q, &rows))
    }
}
