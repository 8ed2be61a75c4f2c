//! Operator control: cancel requests on running executions, and paused jobs.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use propimport_domain::{
    CancelRequest, Error, Execution, ExecutionId, ExecutionStatus, JobName, JobPause, Result,
};

use super::SqlExecutionStore;
use super::rows::PauseRow;
use crate::error::from_diesel;
use crate::schema::import_job_executions::dsl as t;
use crate::schema::import_job_pauses::dsl as p;
use crate::sql_types::DbTime;

impl SqlExecutionStore {
    /// Records the request on the RUNNING execution unless one is there already; gives the
    /// execution as it is now.
    pub(super) async fn record_cancel(
        &self,
        id: &ExecutionId,
        request: &CancelRequest,
    ) -> Result<Execution> {
        let key = id.to_string();
        let updated = with_write_conn!(self.db, |conn, _dialect| {
            diesel::update(
                t::import_job_executions
                    .filter(t::id.eq(&key))
                    .filter(t::status.eq(ExecutionStatus::Running.as_str()))
                    .filter(t::cancel_requested_by.is_null()),
            )
            .set((
                t::cancel_requested_by.eq(&request.by),
                t::cancel_requested_at.eq(DbTime(request.at)),
                t::updated_at.eq(DbTime(request.at)),
            ))
            .execute(conn)
            .await
            .map_err(from_diesel)?
        });
        let now = self.get_row(id).await?.ok_or(Error::NotFound(*id))?;
        // Recorded now, or by an earlier request while it still runs; a run that ended (even
        // just after this request was recorded) is reported as it ended only when nothing was.
        if updated == 0 && now.status != ExecutionStatus::Running {
            return Err(Error::NotRunning {
                execution_id: *id,
                status: now.status,
            });
        }
        Ok(now)
    }

    /// Inserts the pause unless the job is paused already; gives the pause as stored.
    pub(super) async fn insert_pause(&self, pause: &JobPause) -> Result<JobPause> {
        let row = PauseRow::of(pause);
        let name = pause.job_name.to_string();
        let stored: PauseRow = with_write_conn!(self.db, |conn, _dialect| {
            diesel::insert_into(p::import_job_pauses)
                .values(&row)
                .on_conflict(p::job_name)
                .do_nothing()
                .execute(&mut *conn)
                .await
                .map_err(from_diesel)?;
            p::import_job_pauses
                .filter(p::job_name.eq(&name))
                .select(PauseRow::as_select())
                .first(&mut *conn)
                .await
                .map_err(from_diesel)?
        });
        stored.into_domain()
    }

    /// Deletes the job's pause; gives it (`None` when the job was not paused).
    pub(super) async fn delete_pause(&self, job: &JobName) -> Result<Option<JobPause>> {
        let name = job.to_string();
        let deleted: Vec<PauseRow> = with_write_conn!(self.db, |conn, _dialect| {
            diesel::delete(p::import_job_pauses.filter(p::job_name.eq(&name)))
                .returning(PauseRow::as_returning())
                .get_results(conn)
                .await
                .map_err(from_diesel)?
        });
        deleted
            .into_iter()
            .next()
            .map(PauseRow::into_domain)
            .transpose()
    }

    /// Every pause, by job name.
    pub(super) async fn list_pauses(&self) -> Result<Vec<JobPause>> {
        let rows: Vec<PauseRow> = with_conn!(self.db, |conn, _dialect| {
            p::import_job_pauses
                .select(PauseRow::as_select())
                .load(conn)
                .await
                .map_err(from_diesel)?
        });
        // Sorted here: the database's collation may order names otherwise.
        let mut pauses = rows
            .into_iter()
            .map(PauseRow::into_domain)
            .collect::<Result<Vec<_>>>()?;
        pauses.sort_by(|a, b| a.job_name.cmp(&b.job_name));
        Ok(pauses)
    }
}
