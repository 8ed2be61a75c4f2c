//! Bounded database calls: every call through `with_conn!`, `with_write_conn!` or
//! `with_read_snapshot!` (waiting for the writer's turn, checking a connection out, the
//! statements) gets one deadline, and a connection whose call was abandoned at the deadline
//! is closed rather than handed to the next caller.

use std::time::Duration;

use deadpool::managed::{Manager, Object, PoolError, TimeoutType};
use diesel::QueryResult;
use diesel::connection::AnsiTransactionManager;
use diesel_async::sync_connection_wrapper::SyncTransactionManagerWrapper;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection as _, TransactionManager};
use propimport_domain::Error as DomainError;

use crate::connection::SqliteConn;

/// The variable that sets [`crate::PoolOptions::timeout`], named in every timeout error.
pub(crate) const VARIABLE: &str = "DATABASE_TIMEOUT";

/// How many times [`crate::PoolOptions::timeout`] a bulk statement may take.
pub(crate) const BULK_FACTOR: u32 = 12;
/// How many times [`crate::PoolOptions::timeout`] applying the migrations may take.
pub(crate) const MIGRATION_FACTOR: u32 = 60;

/// Which bound a call runs under; it names the bound in the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoundKind {
    /// `DATABASE_TIMEOUT` itself: every ordinary call.
    Call,
    /// [`crate::PoolOptions::bulk_timeout`]: a statement over a whole source or table.
    Bulk,
    /// [`crate::PoolOptions::migration_timeout`]: applying migrations.
    Migration,
}

/// How long one call may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bound {
    pub(crate) limit: Duration,
    pub(crate) kind: BoundKind,
}

impl Bound {
    /// The ordinary bound of a call: `DATABASE_TIMEOUT` = `limit`.
    pub(crate) fn call(limit: Duration) -> Self {
        Self {
            limit,
            kind: BoundKind::Call,
        }
    }

    /// Why a call that hit this bound failed, in a sentence naming the setting.
    pub(crate) fn message(self) -> String {
        let within = seconds(self.limit);
        match self.kind {
            BoundKind::Call => {
                format!("the database did not answer within {within} ({VARIABLE})")
            }
            BoundKind::Bulk => format!(
                "the database did not answer within {within} (the bound of a bulk statement, {} \
                 times {VARIABLE})",
                BULK_FACTOR
            ),
            BoundKind::Migration => format!(
                "the migrations did not finish within {within} ({} times {VARIABLE})",
                MIGRATION_FACTOR
            ),
        }
    }

    /// The error of a call that hit this bound.
    pub(crate) fn error(self) -> DomainError {
        DomainError::unavailable(self.message())
    }

    /// The error of a failed checkout: the pool's own timeouts (set to the same bound) read
    /// like the call's; a refused or failed connect says so.
    pub(crate) fn pool_error<E>(self, e: PoolError<E>) -> DomainError
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        match e {
            PoolError::Timeout(step) => {
                let step = match step {
                    TimeoutType::Wait => "waiting for a free connection",
                    TimeoutType::Create => "opening a connection",
                    TimeoutType::Recycle => "checking a pooled connection",
                };
                DomainError::unavailable(format!("{} ({step})", self.message()))
            }
            PoolError::Backend(e) => {
                DomainError::unavailable_because(format!("cannot connect: {e}"), e)
            }
            other => DomainError::unavailable(other.to_string()),
        }
    }
}

/// `5 s`, `1.5 s`, `0.25 s`: a bound as people read it.
pub(crate) fn seconds(d: Duration) -> String {
    let text = format!("{:.3}", d.as_secs_f64());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} s")
}

/// Runs `call` within `bound`; past it, the call is dropped (with whatever connection it held,
/// see [`Checkout`]) and fails with [`Bound::error`].
pub(crate) async fn within<T>(
    bound: Bound,
    call: impl Future<Output = Result<T, DomainError>>,
) -> Result<T, DomainError> {
    tokio::time::timeout(bound.limit, call)
        .await
        .unwrap_or_else(|_elapsed| Err(bound.error()))
}

/// A connection checked out of the pool for one call. It goes back to the pool only when
/// [`Checkout::release`]d: a call dropped mid-way (its deadline passed, its caller went away)
/// may have left the connection waiting for an answer, inside a transaction or frozen, so the
/// connection is taken out of the pool and closed instead.
pub(crate) struct Checkout<M: Manager> {
    object: Option<Object<M>>,
}

impl<M: Manager> Checkout<M> {
    /// Checks a connection out of `pool` (the pool's own timeouts apply too).
    pub(crate) async fn get(
        pool: &deadpool::managed::Pool<M>,
        bound: Bound,
    ) -> Result<Self, DomainError>
    where
        M::Error: std::error::Error + Send + Sync + 'static,
    {
        let object = pool.get().await.map_err(|e| bound.pool_error(e))?;
        Ok(Self {
            object: Some(object),
        })
    }

    /// The connection.
    pub(crate) fn conn(&mut self) -> Result<&mut M::Type, DomainError> {
        self.object
            .as_deref_mut()
            .ok_or_else(|| DomainError::storage("connection already released"))
    }

    /// Hands the connection back to the pool (which checks it before reuse).
    pub(crate) fn release(mut self) {
        drop(self.object.take());
    }
}

impl<M: Manager> Drop for Checkout<M> {
    fn drop(&mut self) {
        if let Some(object) = self.object.take() {
            drop(Object::take(object));
        }
    }
}

/// Sets PostgreSQL's `statement_timeout` for this session: the server's own bound on each
/// statement, a second line behind the client's deadline.
pub(crate) async fn set_statement_timeout(
    conn: &mut AsyncPgConnection,
    limit: Duration,
) -> QueryResult<()> {
    let ms = limit.as_millis().max(1);
    conn.batch_execute(&format!("SET statement_timeout = {ms}"))
        .await
}

type SqliteTx = SyncTransactionManagerWrapper<AnsiTransactionManager>;

/// Starts a write transaction on SQLite with `BEGIN IMMEDIATE`: the write lock is taken up
/// front, waiting on the busy timeout for another process's writer. (A deferred transaction
/// that upgrades its read lock to a write lock fails at once with "database is locked", since
/// waiting could deadlock.) Transactions the body opens become savepoints inside it.
pub(crate) async fn begin_immediate(conn: &mut SqliteConn) -> QueryResult<()> {
    conn.spawn_blocking(|c| AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"))
        .await
}

/// Ends what [`begin_immediate`] began: commits when the body succeeded, else rolls back.
pub(crate) async fn end_immediate(conn: &mut SqliteConn, commit: bool) -> QueryResult<()> {
    if commit {
        <SqliteTx as TransactionManager<SqliteConn>>::commit_transaction(conn).await
    } else {
        <SqliteTx as TransactionManager<SqliteConn>>::rollback_transaction(conn).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_seconds_plainly() {
        assert_eq!(seconds(Duration::from_secs(5)), "5 s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(seconds(Duration::from_millis(250)), "0.25 s");
        assert_eq!(seconds(Duration::from_secs(60)), "60 s");
    }

    #[test]
    fn timeout_errors_name_the_setting() {
        let call = Bound {
            limit: Duration::from_secs(5),
            kind: BoundKind::Call,
        };
        assert_eq!(
            call.error().to_string(),
            "storage unavailable: the database did not answer within 5 s (DATABASE_TIMEOUT)"
        );
        let bulk = Bound {
            limit: Duration::from_secs(60),
            kind: BoundKind::Bulk,
        };
        assert!(bulk.message().contains("60 s"), "{}", bulk.message());
        assert!(bulk.message().contains(VARIABLE), "{}", bulk.message());
    }
}
