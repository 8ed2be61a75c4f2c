//! Creating, advancing, finishing and reading single executions.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, RunQueryDsl};
use propimport_domain::{
    CancelRequest, Error, Execution, ExecutionId, ExecutionStatus, FinishExecution, FinishedRun,
    JobName, NewExecution, Progress, Result,
};

use super::SqlExecutionStore;
use super::rows::{ExecutionRow, FinishRow, NewExecutionRow, cancel_request, parse_errors};
use super::totals::{Delta, FinishedRow, apply_totals};
use crate::error::{from_diesel, is_unique_violation};
use crate::schema::import_job_executions::dsl as t;
use crate::sql_types::DbTime;

const RUNNING: &str = "RUNNING";

impl SqlExecutionStore {
    /// Inserts a RUNNING row; the database's unique indexes decide conflicts, which are then
    /// named: the claimed tick first (another replica ran this tick), else the running
    /// execution.
    pub(super) async fn insert_running(&self, new: &NewExecution) -> Result<Execution> {
        let row = NewExecutionRow::from(new);
        for _ in 0..3 {
            let inserted: QueryResult<usize> = with_write_conn!(self.db, |conn, _dialect| {
                diesel::insert_into(t::import_job_executions)
                    .values(&row)
                    .execute(conn)
                    .await
            });
            match inserted {
                Ok(_) => return Ok(Execution::start(new)),
                Err(e) if is_unique_violation(&e) => {
                    if let Some(tick) = new.scheduled_for
                        && self
                            .has_tick(&new.job_name, tick, Some(new.attempt))
                            .await?
                    {
                        return Err(Error::TickAlreadyClaimed {
                            job_name: new.job_name.clone(),
                            scheduled_for: tick,
                        });
                    }
                    if let Some(running) = self
                        .list_running(Some(&new.job_name))
                        .await?
                        .into_iter()
                        .next()
                    {
                        return Err(Error::AlreadyRunning {
                            job_name: new.job_name.clone(),
                            execution_id: running.id,
                        });
                    }
                    // The running execution finished between the insert and the look-up: try again.
                }
                Err(e) => return Err(from_diesel(e)),
            }
        }
        Err(Error::storage(format!(
            "cannot insert execution {}: it keeps conflicting",
            new.id
        )))
    }

    /// Writes counts and heartbeat of a RUNNING execution; gives its cancel request, read
    /// back by the same statement.
    pub(super) async fn write_heartbeat(
        &self,
        id: &ExecutionId,
        p: &Progress,
        at: DateTime<Utc>,
    ) -> Result<Option<CancelRequest>> {
        let key = id.to_string();
        let updated: Vec<(Option<String>, Option<DbTime>)> =
            with_write_conn!(self.db, |conn, _dialect| {
                diesel::update(
                    t::import_job_executions
                        .filter(t::id.eq(&key))
                        .filter(t::status.eq(RUNNING)),
                )
                .set((
                    t::total_properties.eq(p.counts.total_properties),
                    t::success_count.eq(p.counts.success_count),
                    t::failed_count.eq(p.counts.failed_count),
                    t::skipped_count.eq(p.counts.skipped_count),
                    t::expected_total.eq(p.expected_total),
                    t::heartbeat_at.eq(DbTime(at)),
                    t::updated_at.eq(DbTime(at)),
                ))
                .returning((t::cancel_requested_by, t::cancel_requested_at))
                .get_results(conn)
                .await
                .map_err(from_diesel)?
            });
        match updated.into_iter().next() {
            Some((by, at)) => Ok(cancel_request(by, at)),
            None => Err(self.not_running(id).await),
        }
    }

    /// Finishes a RUNNING execution and adds it to the totals, in one transaction. While it is
    /// RUNNING no other run of its job can start or finish, so the previous run's count cannot
    /// change underneath; the `status = 'RUNNING'` guard makes a concurrent finish or recovery
    /// lose cleanly (and add nothing to the totals).
    pub(super) async fn finish_running(
        &self,
        id: &ExecutionId,
        finish: &FinishExecution,
    ) -> Result<FinishedRun> {
        let current = self.get_row(id).await?.ok_or(Error::NotFound(*id))?;
        if current.status != ExecutionStatus::Running {
            return Err(Error::NotRunning {
                execution_id: *id,
                status: current.status,
            });
        }
        let previous = self.previous_failures(&current.job_name, id).await?;
        let finished = current.finished(finish, previous);
        let changes = FinishRow::of(&finished, finish)?;
        let mut delta = Delta::default();
        delta.record(
            &FinishedRow {
                job_name: &finished.job_name,
                status: finished.status,
                triggered_by: &finished.triggered_by,
                started_at: finished.started_at,
                counts: finished.counts,
                duration_ms: finished.duration_ms,
            },
            1,
        );
        let key = id.to_string();
        let updated = with_write_conn!(self.db, |conn, _dialect| {
            let (changes, key, delta) = (&changes, &key, &delta);
            conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
                let updated = diesel::update(
                    t::import_job_executions
                        .filter(t::id.eq(key))
                        .filter(t::status.eq(RUNNING)),
                )
                .set(changes)
                .execute(&mut *conn)
                .await?;
                if updated == 1 {
                    apply_totals!(conn, delta);
                }
                Ok(updated)
            })
            .await
            .map_err(from_diesel)?
        });
        if updated != 1 {
            return Err(self.not_running(id).await);
        }
        Ok(FinishedRun {
            execution: finished,
            previous_consecutive_failures: previous,
        })
    }

    async fn previous_failures(&self, job: &JobName, except: &ExecutionId) -> Result<i32> {
        let (job, except) = (job.to_string(), except.to_string());
        let found: Option<i32> = with_conn!(self.db, |conn, _dialect| {
            t::import_job_executions
                .filter(t::job_name.eq(&job))
                .filter(t::status.ne(RUNNING))
                .filter(t::id.ne(&except))
                .order((t::started_at.desc(), t::id.desc()))
                .select(t::consecutive_failures)
                .first(conn)
                .await
                .optional()
                .map_err(from_diesel)?
        });
        Ok(found.unwrap_or(0))
    }

    /// The error for an execution that was expected to be RUNNING.
    pub(super) async fn not_running(&self, id: &ExecutionId) -> Error {
        match self.get_row(id).await {
            Ok(Some(e)) => Error::NotRunning {
                execution_id: *id,
                status: e.status,
            },
            Ok(None) => Error::NotFound(*id),
            Err(e) => e,
        }
    }

    pub(super) async fn get_row(&self, id: &ExecutionId) -> Result<Option<Execution>> {
        let key = id.to_string();
        let row: Option<ExecutionRow> = with_conn!(self.db, |conn, _dialect| {
            t::import_job_executions
                .filter(t::id.eq(&key))
                .select(ExecutionRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(from_diesel)?
        });
        row.map(ExecutionRow::into_domain).transpose()
    }

    /// One execution with its error list.
    pub(super) async fn get_with_errors(&self, id: &ExecutionId) -> Result<Option<Execution>> {
        let Some(mut execution) = self.get_row(id).await? else {
            return Ok(None);
        };
        let key = id.to_string();
        let errors: Option<String> = with_conn!(self.db, |conn, _dialect| {
            t::import_job_executions
                .filter(t::id.eq(&key))
                .select(t::errors)
                .first(conn)
                .await
                .optional()
                .map_err(from_diesel)?
                .flatten()
        });
        execution.errors = parse_errors(errors.as_deref())?;
        Ok(Some(execution))
    }

    /// The most recently started execution.
    pub(super) async fn newest(&self, job: Option<&JobName>) -> Result<Option<Execution>> {
        let job = job.map(ToString::to_string);
        let row: Option<ExecutionRow> = with_conn!(self.db, |conn, _dialect| {
            let mut query = t::import_job_executions
                .select(ExecutionRow::as_select())
                .into_boxed();
            if let Some(job) = &job {
                query = query.filter(t::job_name.eq(job));
            }
            query
                .order((t::started_at.desc(), t::id.desc()))
                .first(conn)
                .await
                .optional()
                .map_err(from_diesel)?
        });
        row.map(ExecutionRow::into_domain).transpose()
    }

    /// The RUNNING executions, oldest first.
    pub(super) async fn list_running(&self, job: Option<&JobName>) -> Result<Vec<Execution>> {
        let job = job.map(ToString::to_string);
        let rows: Vec<ExecutionRow> = with_conn!(self.db, |conn, _dialect| {
            let mut query = t::import_job_executions
                .filter(t::status.eq(RUNNING))
                .select(ExecutionRow::as_select())
                .into_boxed();
            if let Some(job) = &job {
                query = query.filter(t::job_name.eq(job));
            }
            query
                .order((t::started_at.asc(), t::id.asc()))
                .load(conn)
                .await
                .map_err(from_diesel)?
        });
        rows.into_iter().map(ExecutionRow::into_domain).collect()
    }

    /// Whether the tick has an execution (of the given attempt, or of any).
    pub(super) async fn has_tick(
        &self,
        job: &JobName,
        tick: DateTime<Utc>,
        attempt: Option<i32>,
    ) -> Result<bool> {
        let job = job.to_string();
        let count: i64 = with_conn!(self.db, |conn, _dialect| {
            let mut query = t::import_job_executions
                .filter(t::job_name.eq(&job))
                .filter(t::scheduled_for.eq(DbTime(tick)))
                .into_boxed();
            if let Some(attempt) = attempt {
                query = query.filter(t::attempt.eq(attempt));
            }
            query.count().get_result(conn).await.map_err(from_diesel)?
        });
        Ok(count > 0)
    }
}
