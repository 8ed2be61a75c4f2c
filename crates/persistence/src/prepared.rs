//! Fixed PostgreSQL statements that are prepared once per connection.
//!
//! diesel never caches a `sql_query` (it cannot know that its text is fixed), so each run of
//! one costs a round trip to prepare it and a parse and plan on the server. A [`Prepared`]
//! statement is a constant text with numbered parameters (`$1`, `$2`, …) and a
//! [`Statement::bind`] that binds each number: diesel's statement cache then keys it by its
//! text and the connection prepares it once.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::{Error, QueryResult};
use diesel::sql_types::Untyped;

/// A statement of constant text and its parameter values.
pub(crate) trait Statement {
    /// The text. Parameters are `$1`, `$2`, …; the first use of each number comes after the
    /// first use of the numbers before it (diesel numbers parameters in the order they are
    /// bound). A number may be used again anywhere later.
    const SQL: &'static str;

    /// Binds parameter `n` (1-based) with `out.push_bind_param`.
    fn bind<'b>(&'b self, n: usize, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()>;
}

/// Runs a [`Statement`] as a cacheable diesel query (rows as `QueryableByName`).
pub(crate) struct Prepared<S>(pub(crate) S);

impl<S: Statement> QueryFragment<Pg> for Prepared<S> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut rest = S::SQL;
        let mut next = 1;
        while let Some(at) = rest.find('$') {
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - at - 1);
            let number: Option<usize> = rest[at + 1..at + 1 + digits].parse().ok();
            match number {
                Some(n) if n == next => {
                    out.push_sql(&rest[..at]);
                    self.0.bind(n, &mut out)?;
                    next += 1;
                }
                Some(n) if n > next => {
                    return Err(Error::QueryBuilderError(
                        format!("parameter ${n} is used before ${next}").into(),
                    ));
                }
                // An earlier parameter used again, or a `$` that is not a parameter.
                _ => out.push_sql(&rest[..at + 1 + digits]),
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl<S> QueryId for Prepared<S> {
    type QueryId = ();
    // Not a static id: the cache keys the statement by its text and bind types.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<S> Query for Prepared<S> {
    type SqlType = Untyped;
}

#[cfg(test)]
mod tests {
    use diesel::sql_types::{Integer, Text};

    use super::*;

    struct Sample {
        name: String,
        n: i32,
    }

    impl Statement for Sample {
        const SQL: &'static str =
            "SELECT $1::text, $2::int4 WHERE $1 <> '' AND '$x' <> $2::text AND $1 <> $";

        fn bind<'b>(&'b self, n: usize, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
            match n {
                1 => out.push_bind_param::<Text, _>(&self.name),
                2 => out.push_bind_param::<Integer, _>(&self.n),
                _ => Err(Error::QueryBuilderError("Sample has two parameters".into())),
            }
        }
    }

    struct OutOfOrder;

    impl Statement for OutOfOrder {
        const SQL: &'static str = "SELECT $2, $1";

        fn bind<'b>(&'b self, _: usize, _: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
            Ok(())
        }
    }

    #[test]
    fn numbers_parameters_in_order_and_keeps_repeats() {
        let q = Prepared(Sample {
            name: "a".into(),
            n: 1,
        });
        let sql = diesel::debug_query::<Pg, _>(&q).to_string();
        assert!(
            sql.starts_with(
                "SELECT $1::text, $2::int4 WHERE $1 <> '' AND '$x' <> $2::text AND $1 <> $"
            ),
            "{sql}"
        );
        assert!(sql.contains(r#"binds: ["a", 1]"#), "{sql}");
        assert!(QueryFragment::<Pg>::is_safe_to_cache_prepared(&q, &Pg).unwrap());
    }

    #[test]
    fn refuses_a_parameter_used_before_the_ones_before_it() {
        let mut builder = diesel::pg::PgQueryBuilder::default();
        let error = Prepared(OutOfOrder).to_sql(&mut builder, &Pg).unwrap_err();
        assert!(
            error.to_string().contains("$2 is used before $1"),
            "{error}"
        );
    }
}
