//! `import_job_execution_totals`: sums of the finished executions per UTC day, month and
//! year, by job, status and trigger, and by status alone over every job and trigger.
//!
//! Finishing a run adds it, in the finish's transaction; a purge subtracts exactly the rows it
//! deleted (`DELETE … RETURNING`), in the purge's transaction. RUNNING runs are never in the
//! totals: their counts change with every heartbeat. Readers split a window of `started_at`
//! into whole years, months and days and the partial days at its ends ([`Split`]): whole periods
//! come from the totals, the partial days and the RUNNING runs of the whole periods from the
//! executions, all in one snapshot. A finished run never changes, so the sum of the parts is
//! what an aggregate over every matching execution gives.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc};
use diesel::prelude::*;
use propimport_domain::{ExecutionStatus, JobName, RunCounts, TriggeredBy};

use crate::schema::import_job_execution_totals;
use crate::sql_types::DbTime;

/// The length of the periods a row of totals sums up: UTC days, months and years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Grain {
    Day,
    Month,
    Year,
}

impl Grain {
    /// Every grain, finest first.
    pub(super) const ALL: [Self; 3] = [Self::Day, Self::Month, Self::Year];

    /// The `period` column of its rows.
    pub(super) fn period(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Month => "month",
            Self::Year => "year",
        }
    }

    fn coarser(self) -> Option<Self> {
        match self {
            Self::Day => Some(Self::Month),
            Self::Month => Some(Self::Year),
            Self::Year => None,
        }
    }

    /// The start of the period holding `t`.
    fn floor(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let date = match self {
            Self::Day => Some(t.date_naive()),
            Self::Month => NaiveDate::from_ymd_opt(t.year(), t.month(), 1),
            Self::Year => NaiveDate::from_ymd_opt(t.year(), 1, 1),
        };
        date.map_or(t, |d| d.and_time(NaiveTime::MIN).and_utc())
    }

    /// The first start of a period at or after `t`.
    fn ceil(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let floor = self.floor(t);
        if floor == t {
            return t;
        }
        let next = match self {
            Self::Day => floor.checked_add_days(Days::new(1)),
            Self::Month => floor.checked_add_months(Months::new(1)),
            Self::Year => floor.checked_add_months(Months::new(12)),
        };
        next.unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// A span of `started_at` (or of `period_start`): from `from` (inclusive) to `to`, exclusive
/// unless `to_inclusive`; `None` is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) from: Option<DateTime<Utc>>,
    pub(super) to: Option<DateTime<Utc>>,
    pub(super) to_inclusive: bool,
}

impl Span {
    /// `[from, to)`.
    pub(super) fn half_open(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Self {
        Self {
            from,
            to,
            to_inclusive: false,
        }
    }
}

/// A window of `started_at` split into the parts read from the totals and the parts read from
/// the executions; the parts are disjoint and together cover the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Split {
    /// Whole periods: the rows of a grain whose `period_start` lies in the span; each grain
    /// as coarse as the window allows.
    pub(super) totals: Vec<(Grain, Span)>,
    /// Partial days, read from the executions (every status); each lies within one UTC day.
    pub(super) partial: Vec<Span>,
    /// The span of the whole periods, whose RUNNING runs (absent from the totals) are read
    /// from the executions.
    pub(super) whole: Option<Span>,
}

impl Split {
    /// Splits `[from, to)` (`[from, to]` when `to_inclusive`) into whole periods no coarser
    /// than `coarsest` and partial days.
    pub(super) fn of(
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        to_inclusive: bool,
        coarsest: Grain,
    ) -> Self {
        let a = from.map(|t| Grain::Day.ceil(t));
        let b = to.map(|t| Grain::Day.floor(t));
        if let (Some(a), Some(b)) = (a, b)
            && a >= b
        {
            // No whole day: `from` and `to` lie in one day, or on either side of midnight `a`
            // (then `a == b`), where the window is cut so that each part lies in one day.
            let partial = match (from, to) {
                (Some(from), Some(to)) if a == b && from < a => {
                    let mut parts = vec![Span::half_open(Some(from), Some(a))];
                    if a < to || to_inclusive {
                        parts.push(Span {
                            from: Some(a),
                            to: Some(to),
                            to_inclusive,
                        });
                    }
                    parts
                }
                _ => vec![Span {
                    from,
                    to,
                    to_inclusive,
                }],
            };
            return Self {
                totals: Vec::new(),
                partial,
                whole: None,
            };
        }
        let mut partial = Vec::new();
        if let (Some(from), Some(a)) = (from, a)
            && from < a
        {
            partial.push(Span::half_open(Some(from), Some(a)));
        }
        if let (Some(b), Some(to)) = (b, to)
            && (b < to || to_inclusive)
        {
            partial.push(Span {
                from: Some(b),
                to: Some(to),
                to_inclusive,
            });
        }
        let mut totals = Vec::new();
        nest(a, b, Grain::Day, coarsest, &mut totals);
        Self {
            totals,
            partial,
            whole: Some(Span::half_open(a, b)),
        }
    }
}

/// Splits `[lo, hi)`, aligned on `grain`, into spans of `grain` at its ends and the coarser
/// periods it holds, recursively up to `coarsest`.
fn nest(
    lo: Option<DateTime<Utc>>,
    hi: Option<DateTime<Utc>>,
    grain: Grain,
    coarsest: Grain,
    out: &mut Vec<(Grain, Span)>,
) {
    let Some(coarser) = grain.coarser().filter(|_| grain < coarsest) else {
        out.push((grain, Span::half_open(lo, hi)));
        return;
    };
    let (clo, chi) = (lo.map(|t| coarser.ceil(t)), hi.map(|t| coarser.floor(t)));
    if let (Some(clo), Some(chi)) = (clo, chi)
        && clo >= chi
    {
        out.push((grain, Span::half_open(lo, hi)));
        return;
    }
    if let (Some(lo), Some(clo)) = (lo, clo)
        && lo < clo
    {
        out.push((grain, Span::half_open(Some(lo), Some(clo))));
    }
    if let (Some(chi), Some(hi)) = (chi, hi)
        && chi < hi
    {
        out.push((grain, Span::half_open(Some(chi), Some(hi))));
    }
    nest(clo, chi, coarser, coarsest, out);
}

/// The sums a row of totals holds (and an aggregate over executions gives).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Sums {
    pub(super) executions: i64,
    pub(super) total_properties: i64,
    pub(super) success_count: i64,
    pub(super) failed_count: i64,
    pub(super) skipped_count: i64,
    pub(super) duration_sum_ms: i64,
    pub(super) durations: i64,
}

impl Sums {
    /// One run.
    fn of(counts: &RunCounts, duration_ms: Option<i64>) -> Self {
        Self {
            executions: 1,
            total_properties: counts.total_properties,
            success_count: counts.success_count,
            failed_count: counts.failed_count,
            skipped_count: counts.skipped_count,
            duration_sum_ms: duration_ms.unwrap_or(0),
            durations: i64::from(duration_ms.is_some()),
        }
    }

    /// Sums as selected: executions, the four counts, duration sum and count.
    pub(super) fn from_tuple(t: (i64, i64, i64, i64, i64, i64, i64)) -> Self {
        Self {
            executions: t.0,
            total_properties: t.1,
            success_count: t.2,
            failed_count: t.3,
            skipped_count: t.4,
            duration_sum_ms: t.5,
            durations: t.6,
        }
    }

    fn add(&mut self, other: &Self, sign: i64) {
        self.executions += sign * other.executions;
        self.total_properties += sign * other.total_properties;
        self.success_count += sign * other.success_count;
        self.failed_count += sign * other.failed_count;
        self.skipped_count += sign * other.skipped_count;
        self.duration_sum_ms += sign * other.duration_sum_ms;
        self.durations += sign * other.durations;
    }
}

impl std::ops::AddAssign for Sums {
    fn add_assign(&mut self, other: Self) {
        self.add(&other, 1);
    }
}

/// The `level` of the rows by job, status and trigger.
pub(super) const BY_JOB: &str = "job";
/// The `level` of the rows by status alone, over every job and trigger (their `job_name` and
/// `triggered_by` are empty).
pub(super) const ALL_JOBS: &str = "all";

/// The key of a row of totals.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    grain: Grain,
    level: &'static str,
    period_start: DateTime<Utc>,
    job_name: String,
    status: &'static str,
    triggered_by: String,
}

/// A finished run as the totals see it.
pub(super) struct FinishedRow<'a> {
    pub(super) job_name: &'a JobName,
    pub(super) status: ExecutionStatus,
    pub(super) triggered_by: &'a TriggeredBy,
    pub(super) started_at: DateTime<Utc>,
    pub(super) counts: RunCounts,
    pub(super) duration_ms: Option<i64>,
}

/// Changes to apply to the totals, in key order (so that concurrent writers lock rows in the
/// same order).
#[derive(Debug, Default)]
pub(super) struct Delta(BTreeMap<Key, Sums>);

impl Delta {
    /// Adds (`sign` 1) or subtracts (`sign` -1) a finished run in its day, month and year, by
    /// job and over every job.
    pub(super) fn record(&mut self, run: &FinishedRow<'_>, sign: i64) {
        let sums = Sums::of(&run.counts, run.duration_ms);
        for grain in Grain::ALL {
            for (level, job_name, triggered_by) in [
                (
                    BY_JOB,
                    run.job_name.to_string(),
                    run.triggered_by.to_string(),
                ),
                (ALL_JOBS, String::new(), String::new()),
            ] {
                let key = Key {
                    grain,
                    level,
                    period_start: grain.floor(run.started_at),
                    job_name,
                    status: run.status.as_str(),
                    triggered_by,
                };
                self.0.entry(key).or_default().add(&sums, sign);
            }
        }
    }

    /// The rows to upsert (their sums are added to the stored ones).
    pub(super) fn rows(&self) -> Vec<TotalsRow<'_>> {
        self.0
            .iter()
            .map(|(k, s)| TotalsRow {
                period: k.grain.period(),
                level: k.level,
                period_start: DbTime(k.period_start),
                job_name: &k.job_name,
                status: k.status,
                triggered_by: &k.triggered_by,
                executions: s.executions,
                total_properties: s.total_properties,
                success_count: s.success_count,
                failed_count: s.failed_count,
                skipped_count: s.skipped_count,
                duration_sum_ms: s.duration_sum_ms,
                durations: s.durations,
            })
            .collect()
    }

    /// The starts of the rows of `grain` this delta touches.
    pub(super) fn starts(&self, grain: Grain) -> Vec<DbTime> {
        let mut starts: Vec<DbTime> = self
            .0
            .keys()
            .filter(|k| k.grain == grain)
            .map(|k| DbTime(k.period_start))
            .collect();
        starts.dedup();
        starts
    }

    /// Whether there is nothing to apply.
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A row of totals to add.
#[derive(Debug, Insertable)]
#[diesel(table_name = import_job_execution_totals)]
pub(super) struct TotalsRow<'a> {
    period: &'static str,
    level: &'static str,
    period_start: DbTime,
    job_name: &'a str,
    status: &'static str,
    triggered_by: &'a str,
    executions: i64,
    total_properties: i64,
    success_count: i64,
    failed_count: i64,
    skipped_count: i64,
    duration_sum_ms: i64,
    durations: i64,
}

/// Adds a [`Delta`]'s rows to the totals on `$conn` (inside the caller's transaction), then
/// removes the rows it brought to zero runs.
macro_rules! apply_totals {
    ($conn:expr, $delta:expr) => {{
        use diesel::upsert::excluded;
        use $crate::schema::import_job_execution_totals::dsl as tt;
        let delta: &$crate::executions::totals::Delta = $delta;
        for row in delta.rows() {
            diesel::insert_into(tt::import_job_execution_totals)
                .values(&row)
                .on_conflict((
                    tt::period,
                    tt::level,
                    tt::period_start,
                    tt::job_name,
                    tt::status,
                    tt::triggered_by,
                ))
                .do_update()
                .set((
                    tt::executions.eq(tt::executions + excluded(tt::executions)),
                    tt::total_properties.eq(tt::total_properties + excluded(tt::total_properties)),
                    tt::success_count.eq(tt::success_count + excluded(tt::success_count)),
                    tt::failed_count.eq(tt::failed_count + excluded(tt::failed_count)),
                    tt::skipped_count.eq(tt::skipped_count + excluded(tt::skipped_count)),
                    tt::duration_sum_ms.eq(tt::duration_sum_ms + excluded(tt::duration_sum_ms)),
                    tt::durations.eq(tt::durations + excluded(tt::durations)),
                ))
                .execute(&mut *$conn)
                .await?;
        }
        for grain in $crate::executions::totals::Grain::ALL {
            let starts = delta.starts(grain);
            if !starts.is_empty() {
                diesel::delete(
                    tt::import_job_execution_totals
                        .filter(tt::period.eq(grain.period()))
                        .filter(tt::period_start.eq_any(&starts))
                        .filter(tt::executions.le(0_i64)),
                )
                .execute(&mut *$conn)
                .await?;
            }
        }
    }};
}

pub(super) use apply_totals;

/// Recomputes every row of totals from the finished executions (what the migration that
/// created the table does), on PostgreSQL.
pub(super) const REBUILD_POSTGRES: &str = "
INSERT INTO import_job_execution_totals
SELECT p.period, l.level,
       date_trunc(p.period, e.started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       CASE l.level WHEN 'job' THEN e.job_name ELSE '' END,
       e.status,
       CASE l.level WHEN 'job' THEN e.triggered_by ELSE '' END,
       count(*), sum(e.total_properties), sum(e.success_count), sum(e.failed_count),
       sum(e.skipped_count), COALESCE(sum(e.duration_ms), 0), count(e.duration_ms)
FROM import_job_executions AS e
CROSS JOIN (VALUES ('day'), ('month'), ('year')) AS p (period)
CROSS JOIN (VALUES ('job'), ('all')) AS l (level)
WHERE e.status <> 'RUNNING'
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6";

/// [`REBUILD_POSTGRES`] on SQLite (timestamps are fixed-width UTC text).
pub(super) const REBUILD_SQLITE: &str = "
INSERT INTO import_job_execution_totals
SELECT p.period, l.level,
       CASE p.period
           WHEN 'day' THEN substr(e.started_at, 1, 10) || 'T00:00:00.000000Z'
           WHEN 'month' THEN substr(e.started_at, 1, 7) || '-01T00:00:00.000000Z'
           ELSE substr(e.started_at, 1, 4) || '-01-01T00:00:00.000000Z'
       END,
       CASE l.level WHEN 'job' THEN e.job_name ELSE '' END,
       e.status,
       CASE l.level WHEN 'job' THEN e.triggered_by ELSE '' END,
       count(*), sum(e.total_properties), sum(e.success_count), sum(e.failed_count),
       sum(e.skipped_count), COALESCE(sum(e.duration_ms), 0), count(e.duration_ms)
FROM import_job_executions AS e
CROSS JOIN (SELECT 'day' AS period UNION ALL SELECT 'month' UNION ALL SELECT 'year') AS p
CROSS JOIN (SELECT 'job' AS level UNION ALL SELECT 'all') AS l
WHERE e.status <> 'RUNNING'
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6";

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn span(from: DateTime<Utc>, to: DateTime<Utc>) -> Span {
        Span::half_open(Some(from), Some(to))
    }

    #[test]
    fn years_months_days_and_partial_days() {
        let s = Split::of(
            Some(at(2024, 11, 15, 12)),
            Some(at(2026, 2, 2, 18)),
            false,
            Grain::Year,
        );
        assert_eq!(
            s.partial,
            vec![
                span(at(2024, 11, 15, 12), at(2024, 11, 16, 0)),
                span(at(2026, 2, 2, 0), at(2026, 2, 2, 18)),
            ]
        );
        assert_eq!(
            s.totals,
            vec![
                (Grain::Day, span(at(2024, 11, 16, 0), at(2024, 12, 1, 0))),
                (Grain::Day, span(at(2026, 2, 1, 0), at(2026, 2, 2, 0))),
                (Grain::Month, span(at(2024, 12, 1, 0), at(2025, 1, 1, 0))),
                (Grain::Month, span(at(2026, 1, 1, 0), at(2026, 2, 1, 0))),
                (Grain::Year, span(at(2025, 1, 1, 0), at(2026, 1, 1, 0))),
            ]
        );
        assert_eq!(s.whole, Some(span(at(2024, 11, 16, 0), at(2026, 2, 2, 0))));
    }

    #[test]
    fn unbounded_is_every_year() {
        let s = Split::of(None, None, false, Grain::Year);
        assert_eq!(s.totals, vec![(Grain::Year, Span::half_open(None, None))]);
        assert!(s.partial.is_empty());
        let s = Split::of(Some(at(2025, 3, 1, 0)), None, false, Grain::Year);
        assert_eq!(
            s.totals,
            vec![
                (Grain::Month, span(at(2025, 3, 1, 0), at(2026, 1, 1, 0))),
                (Grain::Year, Span::half_open(Some(at(2026, 1, 1, 0)), None)),
            ]
        );
    }

    #[test]
    fn within_a_day_is_all_partial() {
        let (from, to) = (at(2025, 2, 10, 8), at(2025, 2, 10, 20));
        let s = Split::of(Some(from), Some(to), false, Grain::Year);
        assert_eq!(s.partial, vec![span(from, to)]);
        assert!(s.totals.is_empty());
        assert_eq!(s.whole, None);
        let s = Split::of(Some(from), Some(from), false, Grain::Year);
        assert_eq!(s.partial, vec![span(from, from)]);
    }

    #[test]
    fn a_window_across_one_midnight_is_cut_there() {
        let (from, to) = (at(2025, 2, 10, 8), at(2025, 2, 11, 8));
        let s = Split::of(Some(from), Some(to), true, Grain::Day);
        assert!(s.totals.is_empty());
        assert_eq!(
            s.partial,
            vec![
                span(from, at(2025, 2, 11, 0)),
                Span {
                    from: Some(at(2025, 2, 11, 0)),
                    to: Some(to),
                    to_inclusive: true
                },
            ]
        );
        let s = Split::of(Some(from), Some(at(2025, 2, 11, 0)), false, Grain::Year);
        assert_eq!(s.partial, vec![span(from, at(2025, 2, 11, 0))]);
    }

    #[test]
    fn days_only_without_a_whole_month() {
        let s = Split::of(
            Some(at(2025, 1, 20, 0)),
            Some(at(2025, 2, 20, 0)),
            false,
            Grain::Year,
        );
        assert!(s.partial.is_empty());
        assert_eq!(
            s.totals,
            vec![(Grain::Day, span(at(2025, 1, 20, 0), at(2025, 2, 20, 0)))]
        );
    }

    #[test]
    fn an_inclusive_end_at_midnight_is_read_from_the_executions() {
        let now = at(2025, 3, 1, 0);
        let s = Split::of(Some(at(2025, 2, 1, 0)), Some(now), true, Grain::Day);
        assert_eq!(
            s.partial,
            vec![Span {
                from: Some(now),
                to: Some(now),
                to_inclusive: true
            }]
        );
        assert_eq!(s.totals, vec![(Grain::Day, span(at(2025, 2, 1, 0), now))]);
    }
}
