//! Expressions the query DSL lacks: aggregates written the same on both backends, and the
//! UTC day of `started_at` as each backend writes it. Unlike SQL literals, statements built
//! from them keep a fixed text per backend, so they are prepared once per connection and
//! reused.

use diesel::backend::Backend;
use diesel::expression::{
    AppearsOnTable, Expression, IsContainedInGroupBy, SelectableExpression, ValidGrouping,
    is_aggregate, is_contained_in_group_by,
};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::sql_types::{BigInt, Double, Text};
use diesel::sqlite::Sqlite;

use crate::database::Dialect;
use crate::schema::import_job_executions;

/// Declares an aggregate over one expression: `$before` expr `$after`, of SQL type `$st`.
macro_rules! aggregate {
    ($(#[$doc:meta])* $name:ident, $st:ty, $before:literal, $after:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, QueryId)]
        pub(super) struct $name<E>(pub(super) E);

        impl<E, GB> ValidGrouping<GB> for $name<E> {
            type IsAggregate = is_aggregate::Yes;
        }

        impl<E: Expression> Expression for $name<E> {
            type SqlType = $st;
        }

        impl<E, QS> AppearsOnTable<QS> for $name<E> where E: AppearsOnTable<QS> {}

        impl<E, QS> SelectableExpression<QS> for $name<E> where E: SelectableExpression<QS> {}

        impl<E, DB> QueryFragment<DB> for $name<E>
        where
            DB: Backend,
            E: QueryFragment<DB>,
        {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
                out.push_sql($before);
                self.0.walk_ast(out.reborrow())?;
                out.push_sql($after);
                Ok(())
            }
        }
    };
}

aggregate!(
    /// `SUM(e)` as a BIGINT, 0 over no rows (PostgreSQL sums BIGINTs as NUMERIC).
    SumBigInt,
    BigInt,
    "CAST(COALESCE(SUM(",
    "), 0) AS BIGINT)"
);

aggregate!(
    /// `SUM(e)` as a DOUBLE PRECISION, 0 over no rows.
    SumDouble,
    Double,
    "CAST(COALESCE(SUM(",
    "), 0) AS DOUBLE PRECISION)"
);

/// The UTC day (`YYYY-MM-DD`) of an execution's `started_at`, as each backend writes it
/// ([`Dialect::started_day`]); a grouping key.
#[derive(Debug, Clone, Copy, QueryId)]
pub(super) struct StartedDay;

impl Expression for StartedDay {
    type SqlType = Text;
}

impl<QS> AppearsOnTable<QS> for StartedDay where
    import_job_executions::started_at: AppearsOnTable<QS>
{
}

impl<QS> SelectableExpression<QS> for StartedDay where
    import_job_executions::started_at: SelectableExpression<QS>
{
}

impl<GB> ValidGrouping<GB> for StartedDay {
    type IsAggregate = is_aggregate::Never;
}

impl<C> IsContainedInGroupBy<C> for StartedDay {
    type Output = is_contained_in_group_by::No;
}

impl QueryFragment<Pg> for StartedDay {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(Dialect::Postgres.started_day());
        Ok(())
    }
}

impl QueryFragment<Sqlite> for StartedDay {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql(Dialect::Sqlite.started_day());
        Ok(())
    }
}
