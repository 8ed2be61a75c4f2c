//! Recovery of abandoned runs and the retention purge.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, RunQueryDsl};
use propimport_domain::{
    Error, Execution, ExecutionId, ExecutionStatus, JobName, PurgeReport, Result, RetentionPolicy,
    RunCounts, TriggeredBy, abandoned_finish,
};

use super::SqlExecutionStore;
use super::rows::ExecutionRow;
use super::totals::{Delta, FinishedRow, REBUILD_POSTGRES, REBUILD_SQLITE, apply_totals};
use crate::error::{TxError, corrupt, from_diesel};
use crate::schema::import_job_executions::dsl as t;
use crate::sql_types::DbTime;

impl SqlExecutionStore {
    /// Marks RUNNING executions without a heartbeat since `now - lease` FAILED "abandoned".
    pub(super) async fn recover_abandoned(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        keep: &[ExecutionId],
    ) -> Result<Vec<Execution>> {
        let cutoff = DbTime(now - lease);
        let stale: Vec<ExecutionRow> = with_conn!(self.db, |conn, _dialect| {
            t::import_job_executions
                .filter(t::status.eq(ExecutionStatus::Running.as_str()))
                .filter(t::heartbeat_at.lt(cutoff).or(t::heartbeat_at.is_null()))
                .select(ExecutionRow::as_select())
                .order(t::started_at.asc())
                .load(conn)
                .await
                .map_err(from_diesel)?
        });
        let mut recovered = Vec::new();
        for row in stale {
            let e = row.into_domain()?;
            if keep.contains(&e.id) {
                continue;
            }
            match self.finish_running(&e.id, &abandoned_finish(&e)).await {
                Ok(done) => recovered.push(done.execution),
                // It finished, or another instance recovered it, meanwhile.
                Err(Error::NotRunning { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(recovered)
    }

    /// Deletes old finished executions in batches of `policy.batch_size`.
    pub(super) async fn purge_old(
        &self,
        policy: &RetentionPolicy,
        now: DateTime<Utc>,
    ) -> Result<PurgeReport> {
        let succeeded = self
            .purge_statuses(
                &[ExecutionStatus::Success, ExecutionStatus::Partial],
                policy.success_cutoff(now),
                policy.batch_size,
            )
            .await?;
        let failed = self
            .purge_statuses(
                &[ExecutionStatus::Failed],
                policy.failed_cutoff(now),
                policy.batch_size,
            )
            .await?;
        let audit = self
            .purge_audit(policy.audit_cutoff(now), policy.batch_size)
            .await?;
        Ok(PurgeReport {
            succeeded_deleted: succeeded,
            failed_deleted: failed,
            audit_deleted: audit,
        })
    }

    /// Recomputes the history totals from the executions, in one transaction; gives the number
    /// of rows of totals written. The store keeps them as runs finish and are purged; this is
    /// for executions written to the database by other means (a bulk load, a manual fix).
    pub async fn rebuild_totals(&self) -> Result<u64> {
        let written = with_write_conn!(self.db, bound = self.db.bulk_bound(), |conn, dialect| {
            conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
                diesel::delete(crate::schema::import_job_execution_totals::table)
                    .execute(&mut *conn)
                    .await?;
                let text = match dialect {
                    crate::database::Dialect::Postgres => REBUILD_POSTGRES,
                    crate::database::Dialect::Sqlite => REBUILD_SQLITE,
                };
                diesel::sql_query(text).execute(&mut *conn).await
            })
            .await
            .map_err(from_diesel)?
        });
        self.cache.invalidate();
        Ok(written as u64)
    }

    /// Deletes, in batches of `batch`, finished executions of `statuses` started before
    /// `cutoff`; each batch subtracts exactly the rows it deleted from the totals in the same
    /// transaction.
    async fn purge_statuses(
        &self,
        statuses: &[ExecutionStatus],
        cutoff: DateTime<Utc>,
        batch: u32,
    ) -> Result<u64> {
        let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        let cutoff = DbTime(cutoff);
        let batch = i64::from(batch.max(1));
        let mut deleted = 0u64;
        loop {
            let rows: Vec<PurgedRow> = with_write_conn!(self.db, |conn, _dialect| {
                let statuses = &statuses;
                conn.transaction::<_, TxError, _>(async move |conn| {
                    let victims: Vec<String> = t::import_job_executions
                        .filter(t::status.eq_any(statuses))
                        .filter(t::started_at.lt(cutoff))
                        .select(t::id)
                        .order(t::id.asc())
                        .limit(batch)
                        .load(&mut *conn)
                        .await?;
                    let rows: Vec<PurgedRow> = diesel::delete(
                        t::import_job_executions
                            .filter(t::id.eq_any(&victims))
                            .filter(t::status.ne(ExecutionStatus::Running.as_str())),
                    )
                    .returning(PurgedRow::as_returning())
                    .get_results(&mut *conn)
                    .await?;
                    let delta = PurgedRow::delta(&rows)?;
                    if !delta.is_empty() {
                        apply_totals!(conn, &delta);
                    }
                    Ok(rows)
                })
                .await
                .map_err(TxError::into_domain)?
            });
            let n = rows.len();
            deleted += n as u64;
            if i64::try_from(n).unwrap_or(i64::MAX) < batch {
                return Ok(deleted);
            }
        }
    }
}

/// What the totals need of a purged execution.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = crate::schema::import_job_executions)]
struct PurgedRow {
    job_name: String,
    status: String,
    triggered_by: String,
    started_at: DbTime,
    duration_ms: Option<i64>,
    total_properties: i64,
    success_count: i64,
    failed_count: i64,
    skipped_count: i64,
}

impl PurgedRow {
    /// The totals' change: every row subtracted.
    fn delta(rows: &[Self]) -> Result<Delta> {
        let mut delta = Delta::default();
        for row in rows {
            let job_name = JobName::parse(&row.job_name).map_err(|e| corrupt("job name", e))?;
            let status: ExecutionStatus = row.status.parse().map_err(|e| corrupt("status", e))?;
            let triggered_by = TriggeredBy::from_text(&row.triggered_by);
            delta.record(
                &FinishedRow {
                    job_name: &job_name,
                    status,
                    triggered_by: &triggered_by,
                    started_at: row.started_at.0,
                    counts: RunCounts {
                        total_properties: row.total_properties,
                        success_count: row.success_count,
                        failed_count: row.failed_count,
                        skipped_count: row.skipped_count,
                    },
                    duration_ms: row.duration_ms,
                },
                -1,
            );
        }
        Ok(delta)
    }
}
