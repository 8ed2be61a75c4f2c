//! Macros that expand one piece of diesel code for whichever backend a [`crate::Database`] uses.
//!
//! Every call is bounded (see `bounded.rs`): waiting for this process's writer turn, checking
//! a connection out and running the body share one deadline, `DATABASE_TIMEOUT` unless the
//! call names a longer bound; past it the call fails with `Error::Unavailable` and the
//! connection it held is closed, never reused.

/// The shape of every bounded call: within `$bound`, with a connection checked out of the
/// pool, runs `$pg_body` or `$sq_body`. With `write: true`, SQLite writers of this process
/// take turns and the body runs inside `BEGIN IMMEDIATE` (committed when the body succeeds,
/// rolled back when it fails with `?`). A bound other than the ordinary one also raises
/// PostgreSQL's `statement_timeout` for the call. Gives the domain's `Result` of the body.
macro_rules! bounded_call {
    ($db:expr, $bound:expr, write: $write:expr,
     postgres: |$pg:ident| $pg_body:expr,
     sqlite: |$sq:ident| $sq_body:expr $(,)?) => {{
        let db: &$crate::Database = &$db;
        let bound: $crate::bounded::Bound = $bound;
        let write: bool = $write;
        $crate::bounded::within(bound, async {
            let _writer = if write { db.write_guard().await } else { None };
            match db.pools() {
                $crate::database::Pools::Postgres(pool) => {
                    let mut checkout = $crate::bounded::Checkout::get(pool, bound).await?;
                    let raised = bound.kind != $crate::bounded::BoundKind::Call;
                    if raised {
                        $crate::bounded::set_statement_timeout(checkout.conn()?, bound.limit)
                            .await
                            .map_err($crate::error::from_diesel)?;
                    }
                    let result = async {
                        let $pg: &mut diesel_async::AsyncPgConnection = checkout.conn()?;
                        Ok::<_, propimport_domain::Error>($pg_body)
                    }
                    .await;
                    if raised
                        && $crate::bounded::set_statement_timeout(checkout.conn()?, db.timeout())
                            .await
                            .is_err()
                    {
                        // Dropped without release: the connection is closed.
                        return result;
                    }
                    checkout.release();
                    result
                }
                $crate::database::Pools::Sqlite(pool) => {
                    let mut checkout = $crate::bounded::Checkout::get(pool, bound).await?;
                    if write
                        && let Err(e) = $crate::bounded::begin_immediate(checkout.conn()?).await
                    {
                        checkout.release();
                        return Err($crate::error::from_diesel(e));
                    }
                    let result = async {
                        let $sq: &mut $crate::connection::SqliteConn = checkout.conn()?;
                        Ok::<_, propimport_domain::Error>($sq_body)
                    }
                    .await;
                    if write
                        && let Err(e) =
                            $crate::bounded::end_immediate(checkout.conn()?, result.is_ok()).await
                    {
                        // The body's own error, else the failed commit; the connection is
                        // closed (dropped without release).
                        return result.and(Err($crate::error::from_diesel(e)));
                    }
                    checkout.release();
                    result
                }
            }
        })
        .await
    }};
}

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend `$db` uses,
/// and `$dialect` to its [`Dialect`]; the body is the same diesel code for both. The call is
/// bounded by `DATABASE_TIMEOUT`; an error from the body's `?` or the bound propagates with
/// `?` from the enclosing function.
macro_rules! with_conn {
    ($db:expr, |$conn:ident, $dialect:ident| $body:expr) => {
        bounded_call!($db, $db.bound(), write: false,
            postgres: |$conn| {
                let $dialect = $crate::database::Dialect::Postgres;
                $body
            },
            sqlite: |$conn| {
                let $dialect = $crate::database::Dialect::Sqlite;
                $body
            },
        )?
    };
}

/// Like `with_conn!`, for statements that write: on SQLite the writers of this process take
/// turns and the body runs in a `BEGIN IMMEDIATE` transaction (so another process's writer
/// is waited for on the busy timeout instead of failing at once; a transaction the body opens
/// is a savepoint inside it). `bound = …` names a longer bound than `DATABASE_TIMEOUT`, for a
/// statement that legitimately works longer (see [`crate::Database::bulk_bound`]).
macro_rules! with_write_conn {
    ($db:expr, bound = $bound:expr, |$conn:ident, $dialect:ident| $body:expr) => {
        bounded_call!($db, $bound, write: true,
            postgres: |$conn| {
                let $dialect = $crate::database::Dialect::Postgres;
                $body
            },
            sqlite: |$conn| {
                let $dialect = $crate::database::Dialect::Sqlite;
                $body
            },
        )?
    };
    ($db:expr, |$conn:ident, $dialect:ident| $body:expr) => {
        with_write_conn!($db, bound = $db.bound(), |$conn, $dialect| $body)
    };
}

/// Runs `$body` (which gives a `QueryResult`) on a pooled connection inside a read-only
/// snapshot: a `REPEATABLE READ READ ONLY` transaction on PostgreSQL, a deferred transaction
/// on SQLite (a WAL reader sees one snapshot until it ends), so that several statements read
/// the same state. Bounded like `with_conn!`; gives the domain's `Result`.
macro_rules! with_read_snapshot {
    ($db:expr, |$conn:ident, $dialect:ident| $body:expr) => {{
        use diesel_async::AsyncConnection as _;
        bounded_call!($db, $db.bound(), write: false,
            postgres: |conn| {
                conn.build_transaction()
                    .repeatable_read()
                    .read_only()
                    .run::<_, diesel::result::Error, _>(async |$conn| {
                        let $dialect = $crate::database::Dialect::Postgres;
                        $body
                    })
                    .await
                    .map_err($crate::error::from_diesel)
            },
            sqlite: |conn| {
                conn.transaction::<_, diesel::result::Error, _>(async |$conn| {
                    let $dialect = $crate::database::Dialect::Sqlite;
                    $body
                })
                .await
                .map_err($crate::error::from_diesel)
            },
        )
        .and_then(|read| read)
    }};
}
