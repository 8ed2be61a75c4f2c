//! Reads over many jobs at once: each job's newest execution (`last_of_jobs`) and what each
//! job's executions say (`job_outcomes`). Each statement names at most [`CHUNK`] jobs in a
//! `VALUES` list (SQLite refuses a compound `SELECT` of more than 500 terms, a `VALUES` list it
//! does not count), and finds each job's rows by an index probe.

use diesel::sql_types::{Integer, Nullable, Text};
use diesel_async::RunQueryDsl;
use propimport_domain::{Execution, ExecutionStatus, JobName, JobOutcome, Result};

use super::SqlExecutionStore;
use super::rows::{EXECUTION_COLUMNS, ExecutionRow};
use crate::database::Dialect;
use crate::error::{corrupt, from_diesel};
use crate::sql_types::{DbTime, UtcTimestamp};

/// The most jobs one statement names.
const CHUNK: usize = 500;

/// `WITH j(name) AS (VALUES (…), …)`, `n` bound names.
fn names_cte(dialect: Dialect, n: usize) -> String {
    let values: Vec<String> = (1..=n)
        .map(|i| match dialect {
            Dialect::Postgres => format!("(${i})"),
            Dialect::Sqlite => "(?)".to_owned(),
        })
        .collect();
    format!("WITH j(name) AS (VALUES {})", values.join(", "))
}

/// The names of `jobs`, each once, in their order.
fn distinct(jobs: &[JobName]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(jobs.len());
    let mut seen = std::collections::HashSet::with_capacity(jobs.len());
    for job in jobs {
        if seen.insert(job.as_str()) {
            names.push(job.to_string());
        }
    }
    names
}

/// Sorts `found` in the order of `names` (each job once in both).
fn in_order<T>(names: &[String], found: &mut [T], name_of: impl Fn(&T) -> &str) {
    let position: std::collections::HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    found.sort_by_key(|t| position.get(name_of(t)).copied().unwrap_or(usize::MAX));
}

/// The newest execution of a job, in the columns an outcome needs.
#[derive(Debug, diesel::QueryableByName)]
struct NewestRow {
    #[diesel(sql_type = Text)]
    job_name: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Integer)]
    consecutive_failures: i32,
    #[diesel(sql_type = Nullable<UtcTimestamp>)]
    completed_at: Option<DbTime>,
}

/// For a job whose newest execution is no success: its newest finished execution and the end
/// of its newest SUCCESS and PARTIAL ones.
#[derive(Debug, diesel::QueryableByName)]
struct EarlierRow {
    #[diesel(sql_type = Text)]
    job_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    finished_status: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    finished_failures: Option<i32>,
    #[diesel(sql_type = Nullable<UtcTimestamp>)]
    success_at: Option<DbTime>,
    #[diesel(sql_type = Nullable<UtcTimestamp>)]
    partial_at: Option<DbTime>,
}

/// The newest execution of the job named `j.name`, by the (job, start) index.
const NEWEST_ID: &str = "(SELECT i.id FROM import_job_executions AS i WHERE i.job_name = j.name \
     ORDER BY i.started_at DESC, i.id DESC LIMIT 1)";

fn status(text: &str) -> Result<ExecutionStatus> {
    text.parse().map_err(|e| corrupt("status", e))
}

impl SqlExecutionStore {
    /// The newest execution of each of `jobs` (in their order, each once).
    pub(super) async fn newest_of_jobs(&self, jobs: &[JobName]) -> Result<Vec<Execution>> {
        let names = distinct(jobs);
        let mut found = Vec::with_capacity(names.len());
        for chunk in names.chunks(CHUNK) {
            let rows: Vec<ExecutionRow> = with_conn!(self.db, |conn, dialect| {
                let text = format!(
                    "{} SELECT {EXECUTION_COLUMNS} FROM import_job_executions WHERE id IN \
                     (SELECT {NEWEST_ID} FROM j)",
                    names_cte(dialect, chunk.len())
                );
                let mut query = diesel::sql_query(text).into_boxed();
                for name in chunk {
                    query = query.bind::<Text, _>(name);
                }
                query.load(conn).await.map_err(from_diesel)?
            });
            for row in rows {
                found.push(row.into_domain()?);
            }
        }
        in_order(&names, &mut found, |e: &Execution| e.job_name.as_str());
        Ok(found)
    }

    /// What the executions of each of `jobs` say (in their order, each once): the newest
    /// execution of each, then, for the jobs whose newest is no success, their newest finished
    /// run and last success.
    pub(super) async fn outcomes_of_jobs(&self, jobs: &[JobName]) -> Result<Vec<JobOutcome>> {
        let names = distinct(jobs);
        let mut found = Vec::with_capacity(names.len());
        for chunk in names.chunks(CHUNK) {
            let newest: Vec<NewestRow> = with_conn!(self.db, |conn, dialect| {
                let text = format!(
                    "{} SELECT job_name, status, consecutive_failures, completed_at \
                     FROM import_job_executions WHERE id IN (SELECT {NEWEST_ID} FROM j)",
                    names_cte(dialect, chunk.len())
                );
                let mut query = diesel::sql_query(text).into_boxed();
                for name in chunk {
                    query = query.bind::<Text, _>(name);
                }
                query.load(conn).await.map_err(from_diesel)?
            });
            let mut outcomes = Vec::with_capacity(newest.len());
            for row in newest {
                let last_status = status(&row.status)?;
                let finished = last_status.is_finished();
                let succeeded = matches!(
                    last_status,
                    ExecutionStatus::Success | ExecutionStatus::Partial
                );
                outcomes.push(JobOutcome {
                    job_name: JobName::parse(&row.job_name).map_err(|e| corrupt("job name", e))?,
                    last_status,
                    last_finished: finished.then_some(last_status),
                    consecutive_failures: if finished {
                        row.consecutive_failures
                    } else {
                        0
                    },
                    last_success_at: if succeeded {
                        row.completed_at.map(|t| t.0)
                    } else {
                        None
                    },
                });
            }
            self.fill_earlier(&mut outcomes).await?;
            found.extend(outcomes);
        }
        in_order(&names, &mut found, |o: &JobOutcome| o.job_name.as_str());
        Ok(found)
    }

    /// Completes the outcomes whose newest execution is FAILED or RUNNING: the newest finished
    /// run (for a RUNNING one) and the last success, in one statement.
    async fn fill_earlier(&self, outcomes: &mut [JobOutcome]) -> Result<()> {
        let names: Vec<String> = outcomes
            .iter()
            .filter(|o| {
                matches!(
                    o.last_status,
                    ExecutionStatus::Failed | ExecutionStatus::Running
                )
            })
            .map(|o| o.job_name.to_string())
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        let rows: Vec<EarlierRow> = with_conn!(self.db, |conn, dialect| {
            let newest = |condition: &str, column: &str| {
                format!(
                    "(SELECT i.{column} FROM import_job_executions AS i WHERE i.job_name = j.name \
                     AND {condition} ORDER BY i.started_at DESC, i.id DESC LIMIT 1)"
                )
            };
            let finished = "i.status <> 'RUNNING'";
            let text = format!(
                "{} SELECT j.name AS job_name, {} AS finished_status, {} AS finished_failures, \
                 {} AS success_at, {} AS partial_at FROM j",
                names_cte(dialect, names.len()),
                newest(finished, "status"),
                newest(finished, "consecutive_failures"),
                newest("i.status = 'SUCCESS'", "completed_at"),
                newest("i.status = 'PARTIAL'", "completed_at"),
            );
            let mut query = diesel::sql_query(text).into_boxed();
            for name in &names {
                query = query.bind::<Text, _>(name);
            }
            query.load(conn).await.map_err(from_diesel)?
        });
        let position: std::collections::HashMap<String, usize> = outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| (o.job_name.to_string(), i))
            .collect();
        for row in rows {
            let Some(o) = position
                .get(&row.job_name)
                .and_then(|&i| outcomes.get_mut(i))
            else {
                continue;
            };
            o.last_finished = row.finished_status.as_deref().map(status).transpose()?;
            o.consecutive_failures = row.finished_failures.unwrap_or(0);
            o.last_success_at = row.success_at.max(row.partial_at).map(|t| t.0);
        }
        Ok(())
    }
}
