//! SQLite's upsert (or plain insert) of `N` listing rows in one statement, of a text fixed by
//! `N`: diesel's statement cache keys it by its type, so the connection prepares it once and
//! each use only binds and steps it (diesel's own upsert builder has no static id: its
//! statements were parsed and planned again for every row).

use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::sql_types::{BigInt, Binary, Double, Integer, Nullable, Text};
use diesel::sqlite::Sqlite;

use crate::listings::rows::PropertyRow;
use crate::sql_types::UtcTimestamp;

/// Rows per statement for full groups; the rest of a chunk goes one row at a time.
pub(super) const GROUP: usize = 32;

const INSERT: &str = "INSERT INTO properties (source, external_id, status, content_hash, \
transaction_type, price_minor, currency, property_type, bedrooms, bathrooms, built_area_m2, \
plot_area_m2, country, province, town, postal_code, latitude, longitude, data, \
source_modified_at, first_seen_at, withdrawn_at, created_at, updated_at, source_format, \
source_record, record_key) VALUES ";

const ON_CONFLICT: &str = concat!(" ", on_conflict_update!());

/// The insertion of exactly `N` rows, with the conflict clause of an upsert if `UPSERT` (the
/// statement's text depends on `N` and `UPSERT` alone). Without it, a row whose id is stored
/// fails the statement on the unique index.
pub(super) struct InsertRows<'a, const N: usize, const UPSERT: bool>(
    pub(super) &'a [PropertyRow<'a>; N],
);

impl<const N: usize, const UPSERT: bool> QueryFragment<Sqlite> for InsertRows<'_, N, UPSERT> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql(INSERT);
        for (i, row) in self.0.iter().enumerate() {
            out.push_sql(if i == 0 { "(" } else { ", (" });
            bind_row(row, &mut out)?;
            out.push_sql(")");
        }
        if UPSERT {
            out.push_sql(ON_CONFLICT);
        }
        Ok(())
    }
}

/// Binds a row's 27 values, comma-separated, in the column order of [`INSERT`].
fn bind_row<'b>(r: &'b PropertyRow<'_>, out: &mut AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
    out.push_bind_param::<Text, _>(&r.source)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&r.external_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&r.status)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&r.content_hash)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&r.transaction_type)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<BigInt>, _>(&r.price_minor)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&r.currency)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&r.property_type)?;
    for n in [&r.bedrooms, &r.bathrooms, &r.built_area_m2, &r.plot_area_m2] {
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Integer>, _>(n)?;
    }
    for t in [&r.country, &r.province, &r.town, &r.postal_code] {
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(t)?;
    }
    for d in [&r.latitude, &r.longitude] {
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Double>, _>(d)?;
    }
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&r.data)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<UtcTimestamp>, _>(&r.source_modified_at)?;
    out.push_sql(", ");
    out.push_bind_param::<UtcTimestamp, _>(&r.first_seen_at)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<UtcTimestamp>, _>(&r.withdrawn_at)?;
    out.push_sql(", ");
    out.push_bind_param::<UtcTimestamp, _>(&r.created_at)?;
    out.push_sql(", ");
    out.push_bind_param::<UtcTimestamp, _>(&r.updated_at)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&r.source_format)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Binary>, _>(&r.source_record)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Binary>, _>(&r.record_key)
}

/// The statement cache's key: one per row count and kind.
pub(super) struct InsertRowsId<const N: usize, const UPSERT: bool>;

impl<const N: usize, const UPSERT: bool> QueryId for InsertRows<'_, N, UPSERT> {
    type QueryId = InsertRowsId<N, UPSERT>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<const N: usize, const UPSERT: bool> diesel::RunQueryDsl<diesel::sqlite::SqliteConnection>
    for InsertRows<'_, N, UPSERT>
{
}
