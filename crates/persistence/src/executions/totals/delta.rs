//! Changes to the totals: the sums of a finished run added to (or subtracted from) its day,
//! month and year, by job and over every job ([`Delta`]), and the statement that applies them
//! ([`apply_totals`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use propimport_domain::{ExecutionStatus, JobName, RunCounts, TriggeredBy};

use super::Grain;
use crate::schema::import_job_execution_totals;
use crate::sql_types::DbTime;

/// The sums a row of totals holds (and an aggregate over executions gives).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(in crate::executions) struct Sums {
    pub(in crate::executions) executions: i64,
    pub(in crate::executions) total_properties: i64,
    pub(in crate::executions) success_count: i64,
    pub(in crate::executions) failed_count: i64,
    pub(in crate::executions) skipped_count: i64,
    pub(in crate::executions) duration_sum_ms: i64,
    pub(in crate::executions) durations: i64,
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
    pub(in crate::executions) fn from_tuple(t: (i64, i64, i64, i64, i64, i64, i64)) -> Self {
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
pub(in crate::executions) const BY_JOB: &str = "job";
/// The `level` of the rows by status alone, over every job and trigger (their `job_name` and
/// `triggered_by` are empty).
pub(in crate::executions) const ALL_JOBS: &str = "all";

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
pub(in crate::executions) struct FinishedRow<'a> {
    pub(in crate::executions) job_name: &'a JobName,
    pub(in crate::executions) status: ExecutionStatus,
    pub(in crate::executions) triggered_by: &'a TriggeredBy,
    pub(in crate::executions) started_at: DateTime<Utc>,
    pub(in crate::executions) counts: RunCounts,
    pub(in crate::executions) duration_ms: Option<i64>,
}

/// Changes to apply to the totals, in key order (so that concurrent writers lock rows in the
/// same order).
#[derive(Debug, Default)]
pub(in crate::executions) struct Delta(BTreeMap<Key, Sums>);

impl Delta {
    /// Adds (`sign` 1) or subtracts (`sign` -1) a finished run in its day, month and year, by
    /// job and over every job.
    pub(in crate::executions) fn record(&mut self, run: &FinishedRow<'_>, sign: i64) {
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
    pub(in crate::executions) fn rows(&self) -> Vec<TotalsRow<'_>> {
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
    pub(in crate::executions) fn starts(&self, grain: Grain) -> Vec<DbTime> {
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
    pub(in crate::executions) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A row of totals to add.
#[derive(Debug, Insertable)]
#[diesel(table_name = import_job_execution_totals)]
pub(in crate::executions) struct TotalsRow<'a> {
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

pub(in crate::executions) use apply_totals;
