//! PostgreSQL's sighting of records recognized by their keys: one prepared statement per
//! chunk, the ids and keys bound as arrays, each id looked up by a `LATERAL` subquery on the
//! source and id alone (one unique-index lookup, whatever the table's statistics; see
//! `pg.rs`), its status and key compared outside it. With the status inside, a table not
//! analyzed since its first import had each id looked up by a scan of the source's active
//! listings: seconds per chunk of 500.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::AstPass;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::prepared::{Prepared, Statement};
use crate::sql_types::{DbTime, UtcTimestamp};

/// Sets the last-seen time of the listings among `$1` (ids) whose stored record key is the
/// one at the same place of `$2` and which are active (`$3` the source, `$4` the time); gives
/// the 1-based positions of those found.
struct PgTouchKnown<'a> {
    ids: &'a [&'a str],
    keys: &'a [&'a [u8]],
    src: &'a str,
    seen: DbTime,
}

impl Statement for PgTouchKnown<'_> {
    const SQL: &'static str = concat!(
        "\
WITH found AS ( \
    SELECT p.id, k.ord \
    FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS k(external_id, record_key, ord) \
    CROSS JOIN LATERAL (SELECT q.id, q.status, q.record_key FROM properties q \
        WHERE q.source = $3 AND q.external_id = k.external_id LIMIT 1) p \
    WHERE p.status = 'active' AND p.record_key = k.record_key), ",
        sight_found!("$4"),
        "SELECT coalesce(array_agg(ord), '{}') AS found FROM found"
    );

    fn bind<'b>(&'b self, n: usize, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        use diesel::sql_types::{Array, Binary, Text};
        match n {
            1 => out.push_bind_param::<Array<Text>, _>(self.ids),
            2 => out.push_bind_param::<Array<Binary>, _>(self.keys),
            3 => out.push_bind_param::<Text, _>(self.src),
            4 => out.push_bind_param::<UtcTimestamp, _>(&self.seen),
            _ => Err(super::unknown_parameter(n)),
        }
    }
}

/// The positions [`PgTouchKnown`] answers.
#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::BigInt>)]
    found: Vec<i64>,
}

/// Whether each (id, key) was an active listing stored with that key, now seen at `seen`.
pub(super) async fn touch_known(
    mut conn: &AsyncPgConnection,
    src: &str,
    ids: &[&str],
    keys: &[&[u8]],
    seen: DbTime,
) -> QueryResult<Vec<bool>> {
    let answer: Found = Prepared(PgTouchKnown {
        ids,
        keys,
        src,
        seen,
    })
    .get_result(&mut conn)
    .await?;
    let mut matched = vec![false; ids.len()];
    for at in super::places(answer.found, ids.len())? {
        matched[at] = true;
    }
    Ok(matched)
}
