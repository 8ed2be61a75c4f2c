//! Macros that expand one piece of diesel code for whichever backend a [`crate::Database`] uses.

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend `$db` uses,
/// and `$dialect` to its [`Dialect`]; the body is the same diesel code for both.
macro_rules! with_conn {
    ($db:expr, |$conn:ident, $dialect:ident| $body:expr) => {{
        match $db.pools() {
            $crate::database::Pools::Postgres(pool) => {
                let mut pooled = pool.get().await.map_err($crate::error::from_pool)?;
                let $conn: &mut diesel_async::AsyncPgConnection = &mut pooled;
                let $dialect = $crate::database::Dialect::Postgres;
                $body
            }
            $crate::database::Pools::Sqlite(pool) => {
                let mut pooled = pool.get().await.map_err($crate::error::from_pool)?;
                let $conn: &mut $crate::database::SqliteConn = &mut pooled;
                let $dialect = $crate::database::Dialect::Sqlite;
                $body
            }
        }
    }};
}

/// Like `with_conn!`, for statements that write: on SQLite the writers of this process take
/// turns.
macro_rules! with_write_conn {
    ($db:expr, |$conn:ident, $dialect:ident| $body:expr) => {{
        let _writer = $db.write_guard().await;
        with_conn!($db, |$conn, $dialect| $body)
    }};
}
