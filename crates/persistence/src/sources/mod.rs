//! [`SqlSourceStore`]: the domain's `SourceStore` on PostgreSQL and SQLite.
//!
//! Every change is one write transaction that first moves the catalog's revision on (an
//! upsert of its one row, which on PostgreSQL locks the row until the transaction ends, so
//! changes of the catalog take turns; SQLite's `BEGIN IMMEDIATE` orders them the same way),
//! then checks the stored source (its name, its version), writes it and the audit entry. A
//! seed inserts the revision row only where none exists, so of replicas seeding at once one
//! seeds and the others find the row and write nothing.

mod rows;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, RunQueryDsl};
use propimport_domain::{
    AuditOutcome, Error, JobName, NewAuditEntry, Result, SourceChange, SourceStore, SourceWrite,
    StoredSource,
};

use crate::Database;
use crate::error::{TxError, from_diesel};
use crate::executions::rows::NewAuditRow;
use crate::schema::admin_audit_log::dsl as audit;
use crate::schema::import_source_catalog::dsl as cat;
use crate::schema::import_sources::dsl as src;
use crate::sql_types::DbTime;
use rows::{NewSourceRow, SourceDefinition, SourceRow};

/// The source catalog stored in a [`Database`].
#[derive(Debug, Clone)]
pub struct SqlSourceStore {
    db: Database,
}

impl SqlSourceStore {
    /// A store on `db` (which must be migrated).
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// The audit row of `change` for source `name`.
fn audit_row(name: &JobName, change: &SourceChange) -> NewAuditRow {
    NewAuditRow::from(NewAuditEntry {
        at: change.at,
        actor: change.actor.clone(),
        remote_addr: change.remote_addr.clone(),
        action: change.action.clone(),
        job_name: Some(name.clone()),
        outcome: AuditOutcome::Accepted,
        execution_id: None,
        detail: change.detail.clone(),
    })
}

/// Moves the catalog's revision on (creating its row), inside the caller's transaction.
macro_rules! bump_revision {
    ($conn:expr) => {
        diesel::insert_into(cat::import_source_catalog)
            .values((cat::id.eq(1i16), cat::revision.eq(1i64)))
            .on_conflict(cat::id)
            .do_update()
            .set(cat::revision.eq(cat::revision + 1i64))
            .execute(&mut *$conn)
            .await
    };
}

/// The stored row of source `$name`, if any, inside the caller's transaction.
macro_rules! find_source {
    ($conn:expr, $name:expr) => {
        src::import_sources
            .filter(src::name.eq($name))
            .select(SourceRow::as_select())
            .first::<SourceRow>(&mut *$conn)
            .await
            .optional()
    };
}

#[async_trait]
impl SourceStore for SqlSourceStore {
    async fn catalog_revision(&self) -> Result<Option<i64>> {
        Ok(with_conn!(self.db, |conn, _dialect| {
            cat::import_source_catalog
                .filter(cat::id.eq(1i16))
                .select(cat::revision)
                .first::<i64>(conn)
                .await
                .optional()
                .map_err(from_diesel)?
        }))
    }

    async fn sources(&self) -> Result<Vec<StoredSource>> {
        let rows: Vec<SourceRow> = with_conn!(self.db, |conn, _dialect| {
            src::import_sources
                .select(SourceRow::as_select())
                .order(src::id.asc())
                .load(conn)
                .await
                .map_err(from_diesel)?
        });
        rows.into_iter().map(SourceRow::into_domain).collect()
    }

    async fn source(&self, name: &JobName) -> Result<Option<StoredSource>> {
        let name = name.as_str();
        let row: Option<SourceRow> = with_conn!(self.db, |conn, _dialect| {
            find_source!(conn, name).map_err(from_diesel)?
        });
        row.map(SourceRow::into_domain).transpose()
    }

    async fn seed_sources(&self, sources: &[SourceWrite], change: &SourceChange) -> Result<bool> {
        let at = DbTime(change.at);
        let rows = sources
            .iter()
            .map(|s| NewSourceRow::of(s, at, &change.actor))
            .collect::<Result<Vec<_>>>()?;
        let audits: Vec<NewAuditRow> = sources.iter().map(|s| audit_row(&s.name, change)).collect();
        let seeded = with_write_conn!(self.db, |conn, _dialect| {
            let (rows, audits) = (&rows, &audits);
            conn.transaction::<_, TxError, _>(async move |conn| {
                let claimed = diesel::insert_into(cat::import_source_catalog)
                    .values((cat::id.eq(1i16), cat::revision.eq(1i64)))
                    .on_conflict_do_nothing()
                    .execute(&mut *conn)
                    .await?;
                if claimed == 0 {
                    return Ok(false);
                }
                for row in rows {
                    diesel::insert_into(src::import_sources)
                        .values(row)
                        .execute(&mut *conn)
                        .await?;
                }
                for row in audits {
                    diesel::insert_into(audit::admin_audit_log)
                        .values(row)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(true)
            })
            .await
            .map_err(TxError::into_domain)?
        });
        Ok(seeded)
    }

    async fn create_source(
        &self,
        source: &SourceWrite,
        change: &SourceChange,
    ) -> Result<StoredSource> {
        let row = NewSourceRow::of(source, DbTime(change.at), &change.actor)?;
        let audit_row = audit_row(&source.name, change);
        let name = &source.name;
        let created: SourceRow = with_write_conn!(self.db, |conn, _dialect| {
            let (row, audit_row) = (&row, &audit_row);
            conn.transaction::<_, TxError, _>(async move |conn| {
                bump_revision!(conn)?;
                if find_source!(conn, name.as_str())?.is_some() {
                    return Err(Error::SourceExists(name.clone()).into());
                }
                let created = diesel::insert_into(src::import_sources)
                    .values(row)
                    .returning(SourceRow::as_returning())
                    .get_result::<SourceRow>(&mut *conn)
                    .await?;
                diesel::insert_into(audit::admin_audit_log)
                    .values(audit_row)
                    .execute(&mut *conn)
                    .await?;
                Ok(created)
            })
            .await
            .map_err(TxError::into_domain)?
        });
        created.into_domain()
    }

    async fn update_source(
        &self,
        source: &SourceWrite,
        expected: Option<i64>,
        change: &SourceChange,
    ) -> Result<StoredSource> {
        let definition = SourceDefinition::of(source)?;
        let audit_row = audit_row(&source.name, change);
        let (name, at, actor) = (&source.name, DbTime(change.at), change.actor.as_str());
        let updated: SourceRow = with_write_conn!(self.db, |conn, _dialect| {
            let (definition, audit_row) = (&definition, &audit_row);
            conn.transaction::<_, TxError, _>(async move |conn| {
                bump_revision!(conn)?;
                let Some(found) = find_source!(conn, name.as_str())? else {
                    return Err(Error::SourceNotFound(name.clone()).into());
                };
                let found = found.into_domain()?;
                found.check_version(expected)?;
                let updated =
                    diesel::update(src::import_sources.filter(src::name.eq(name.as_str())))
                        .set((
                            definition,
                            src::version.eq(found.version + 1),
                            src::updated_at.eq(at),
                            src::updated_by.eq(actor),
                        ))
                        .returning(SourceRow::as_returning())
                        .get_result::<SourceRow>(&mut *conn)
                        .await?;
                diesel::insert_into(audit::admin_audit_log)
                    .values(audit_row)
                    .execute(&mut *conn)
                    .await?;
                Ok(updated)
            })
            .await
            .map_err(TxError::into_domain)?
        });
        updated.into_domain()
    }

    async fn delete_source(
        &self,
        name: &JobName,
        expected: Option<i64>,
        change: &SourceChange,
    ) -> Result<StoredSource> {
        let audit_row = audit_row(name, change);
        let deleted: StoredSource = with_write_conn!(self.db, |conn, _dialect| {
            let audit_row = &audit_row;
            conn.transaction::<_, TxError, _>(async move |conn| {
                bump_revision!(conn)?;
                let Some(found) = find_source!(conn, name.as_str())? else {
                    return Err(Error::SourceNotFound(name.clone()).into());
                };
                let found = found.into_domain()?;
                found.check_version(expected)?;
                diesel::delete(src::import_sources.filter(src::name.eq(name.as_str())))
                    .execute(&mut *conn)
                    .await?;
                diesel::insert_into(audit::admin_audit_log)
                    .values(audit_row)
                    .execute(&mut *conn)
                    .await?;
                Ok(found)
            })
            .await
            .map_err(TxError::into_domain)?
        });
        Ok(deleted)
    }
}
