//! Recovery of abandoned runs and the retention purge.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use propimport_domain::{
    Error, ErrorLog, Execution, ExecutionStatus, FinishExecution, PurgeReport, Result,
    RetentionPolicy, abandoned_message,
};

use super::SqlExecutionStore;
use super::rows::ExecutionRow;
use crate::error::from_diesel;
use crate::schema::import_job_executions::dsl as t;
use crate::sql_types::DbTime;

impl SqlExecutionStore {
    /// Marks RUNNING executions without a heartbeat since `now - lease` FAILED "abandoned".
    pub(super) async fn recover_abandoned(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
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
            let finish = FinishExecution {
                status: ExecutionStatus::Failed,
                completed_at: now,
                counts: e.counts,
                errors: ErrorLog::default(),
                last_error: Some(abandoned_message(&e)),
                details: e.details.clone(),
            };
            match self.finish_running(&e.id, &finish).await {
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
        Ok(PurgeReport {
            succeeded_deleted: succeeded,
            failed_deleted: failed,
        })
    }

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
            let n: usize = with_write_conn!(self.db, |conn, _dialect| {
                let victims: Vec<String> = t::import_job_executions
                    .filter(t::status.eq_any(&statuses))
                    .filter(t::started_at.lt(cutoff))
                    .select(t::id)
                    .limit(batch)
                    .load(conn)
                    .await
                    .map_err(from_diesel)?;
                diesel::delete(t::import_job_executions.filter(t::id.eq_any(&victims)))
                    .execute(conn)
                    .await
                    .map_err(from_diesel)?
            });
            deleted += n as u64;
            if i64::try_from(n).unwrap_or(i64::MAX) < batch {
                return Ok(deleted);
            }
        }
    }
}
