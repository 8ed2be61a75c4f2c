//! The admin audit log.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use propimport_domain::{AuditEntry, AuditPage, AuditQuery, NewAuditEntry, Result};

use super::SqlExecutionStore;
use super::rows::{AuditRow, NewAuditRow};
use crate::error::from_diesel;
use crate::schema::admin_audit_log::dsl as a;
use crate::sql_types::DbTime;

impl SqlExecutionStore {
    /// Appends an entry.
    pub(super) async fn insert_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry> {
        let row = NewAuditRow::from(entry);
        let stored: AuditRow = with_write_conn!(self.db, |conn, _dialect| {
            diesel::insert_into(a::admin_audit_log)
                .values(&row)
                .returning(AuditRow::as_returning())
                .get_result(conn)
                .await
                .map_err(from_diesel)?
        });
        stored.into_domain()
    }

    /// Deletes, in batches of `batch`, the entries written before `cutoff`; gives how many.
    pub(super) async fn purge_audit(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
        batch: u32,
    ) -> Result<u64> {
        let cutoff = DbTime(cutoff);
        let batch = i64::from(batch.max(1));
        let mut deleted = 0u64;
        loop {
            let n = with_write_conn!(self.db, |conn, _dialect| {
                let victims: Vec<i64> = a::admin_audit_log
                    .filter(a::at.lt(cutoff))
                    .select(a::id)
                    .order(a::id.asc())
                    .limit(batch)
                    .load(&mut *conn)
                    .await
                    .map_err(from_diesel)?;
                diesel::delete(a::admin_audit_log.filter(a::id.eq_any(&victims)))
                    .execute(&mut *conn)
                    .await
                    .map_err(from_diesel)?
            });
            deleted += n as u64;
            if i64::try_from(n).unwrap_or(i64::MAX) < batch {
                return Ok(deleted);
            }
        }
    }

    /// A page of entries, newest first.
    pub(super) async fn audit_page(&self, q: &AuditQuery) -> Result<AuditPage> {
        let offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
        let (rows, total): (Vec<AuditRow>, i64) = with_conn!(self.db, |conn, _dialect| {
            let rows = a::admin_audit_log
                .select(AuditRow::as_select())
                .order(a::id.desc())
                .limit(i64::from(q.limit.get()))
                .offset(offset)
                .load(conn)
                .await
                .map_err(from_diesel)?;
            let total = a::admin_audit_log
                .count()
                .get_result(conn)
                .await
                .map_err(from_diesel)?;
            (rows, total)
        });
        let entries = rows
            .into_iter()
            .map(AuditRow::into_domain)
            .collect::<Result<Vec<_>>>()?;
        Ok(AuditPage::new(q, entries, total))
    }
}
