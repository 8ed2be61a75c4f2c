//! [`SqlRunQueue`]: the domain's `RunQueue` on PostgreSQL and SQLite.
//!
//! A turn is one write transaction: on PostgreSQL it first takes a transaction-scoped
//! advisory lock (so turns of all instances take turns), on SQLite the write lock
//! (`BEGIN IMMEDIATE`) does the same; it reads the queue, computes the next one with the
//! domain's `take_turns`, and writes only the rows that changed or went.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, RunQueryDsl};
use propimport_domain::{JobName, QueuedRun, Result, RunLimits, RunQueue};

use crate::Database;
use crate::database::Dialect;
use crate::error::{TxError, corrupt, from_diesel};
use crate::schema::import_run_queue::dsl as q;
use crate::sql_types::DbTime;

/// The key of the advisory lock turns take on PostgreSQL ("propimport run queue").
const LOCK_KEY: i64 = 0x7072_6f70_7275_6e71;

/// The run queue stored in a [`Database`].
#[derive(Debug, Clone)]
pub struct SqlRunQueue {
    db: Database,
}

impl SqlRunQueue {
    /// A queue on `db` (which must be migrated).
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = crate::schema::import_run_queue, treat_none_as_null = true)]
struct QueueRow {
    job_name: String,
    tick: Option<DbTime>,
    due_at: DbTime,
    host: Option<String>,
    granted_at: Option<DbTime>,
    ended_at: Option<DbTime>,
    seen_at: DbTime,
    instance_id: String,
}

impl QueueRow {
    fn of(run: &QueuedRun) -> Self {
        Self {
            job_name: run.job_name.to_string(),
            tick: run.tick.map(DbTime),
            due_at: DbTime(run.due_at),
            host: run.host.clone(),
            granted_at: run.granted_at.map(DbTime),
            ended_at: run.ended_at.map(DbTime),
            seen_at: DbTime(run.seen_at),
            instance_id: run.instance_id.clone(),
        }
    }

    fn into_domain(self) -> Result<QueuedRun> {
        Ok(QueuedRun {
            job_name: JobName::parse(&self.job_name).map_err(|e| {
                corrupt(&format!("import_run_queue.job_name {:?}", self.job_name), e)
            })?,
            tick: self.tick.map(|t| t.0),
            due_at: self.due_at.0,
            host: self.host,
            granted_at: self.granted_at.map(|t| t.0),
            ended_at: self.ended_at.map(|t| t.0),
            seen_at: self.seen_at.0,
            instance_id: self.instance_id,
        })
    }
}

#[async_trait]
impl RunQueue for SqlRunQueue {
    async fn take_turns(
        &self,
        mine: &[QueuedRun],
        limits: &RunLimits,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueuedRun>> {
        let queue: Vec<QueuedRun> = with_write_conn!(self.db, |conn, dialect| {
            conn.transaction::<_, TxError, _>(async move |conn| {
                if matches!(dialect, Dialect::Postgres) {
                    diesel::sql_query(format!("SELECT pg_advisory_xact_lock({LOCK_KEY})"))
                        .execute(&mut *conn)
                        .await?;
                }
                let rows: Vec<QueueRow> = q::import_run_queue
                    .select(QueueRow::as_select())
                    .load(&mut *conn)
                    .await?;
                let queue = rows
                    .into_iter()
                    .map(QueueRow::into_domain)
                    .collect::<Result<Vec<_>>>()?;
                let (next, changed, gone) =
                    propimport_domain::take_turns(&queue, mine, limits, now);
                if !gone.is_empty() {
                    let gone: Vec<&str> = gone.iter().map(JobName::as_str).collect();
                    diesel::delete(q::import_run_queue.filter(q::job_name.eq_any(gone)))
                        .execute(&mut *conn)
                        .await?;
                }
                for name in &changed {
                    let Some(run) = next.iter().find(|r| &r.job_name == name) else {
                        continue;
                    };
                    let row = QueueRow::of(run);
                    diesel::insert_into(q::import_run_queue)
                        .values(&row)
                        .on_conflict(q::job_name)
                        .do_update()
                        .set(&row)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(next)
            })
            .await
            .map_err(TxError::into_domain)?
        });
        Ok(queue)
    }

    async fn end_turn(
        &self,
        job: &JobName,
        tick: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let name = job.as_str();
        let ended = q::ended_at.eq(Some(DbTime(at)));
        with_write_conn!(self.db, |conn, _dialect| {
            let rows = q::import_run_queue.filter(q::job_name.eq(name));
            match tick {
                Some(t) => {
                    diesel::update(rows.filter(q::tick.eq(DbTime(t))))
                        .set(ended)
                        .execute(conn)
                        .await
                }
                None => {
                    diesel::update(rows.filter(q::tick.is_null()))
                        .set(ended)
                        .execute(conn)
                        .await
                }
            }
            .map_err(from_diesel)?
        });
        Ok(())
    }

    async fn run_queue(&self) -> Result<Vec<QueuedRun>> {
        let rows: Vec<QueueRow> = with_conn!(self.db, |conn, _dialect| {
            q::import_run_queue
                .select(QueueRow::as_select())
                .order((q::due_at.asc(), q::job_name.asc()))
                .load(conn)
                .await
                .map_err(from_diesel)?
        });
        rows.into_iter().map(QueueRow::into_domain).collect()
    }
}
