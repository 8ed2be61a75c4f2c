//! [`SqlAlertStore`]: the domain's `AlertStore` on PostgreSQL and SQLite.
//!
//! A claim is one write transaction: an upsert of the condition's row (which creates it, and
//! on PostgreSQL locks it until the transaction ends), a read of it, the domain's rule
//! ([`AlertClaim::judge`]), the write of the new state and of the history event. A concurrent
//! claim of the same condition waits for the lock and then reads the decided state, so
//! replicas seeing one condition send one alert. On SQLite every writer holds the database's
//! write lock for its whole transaction (`BEGIN IMMEDIATE`), which orders them the same way.

mod rows;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection as _, RunQueryDsl};
use propimport_domain::{
    Alert, AlertClaim, AlertDecision, AlertDelivery, AlertEvent, AlertEventKind, AlertEventPage,
    AlertEventQuery, AlertKind, AlertState, AlertStore, Error, JobName, Result, Verdict,
};

use crate::Database;
use crate::error::{TxError, corrupt, from_diesel};
use crate::schema::import_job_alert_events::dsl as ev;
use crate::schema::import_job_alert_state::dsl as st;
use crate::sql_types::DbTime;
use rows::{EventRow, NewEventRow, StateRow};

/// Alert state and history stored in a [`Database`].
#[derive(Debug, Clone)]
pub struct SqlAlertStore {
    db: Database,
}

impl SqlAlertStore {
    /// A store on `db` (which must be migrated).
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The database underneath.
    pub fn database(&self) -> &Database {
        &self.db
    }
}

/// Inserts an event on `$conn` (inside the caller's transaction); gives its id.
macro_rules! insert_event {
    ($conn:expr, $event:expr) => {
        diesel::insert_into(ev::import_job_alert_events)
            .values(NewEventRow::from($event))
            .returning(ev::id)
            .get_result::<i64>(&mut *$conn)
            .await
    };
}

/// The query of the events matching `$q`'s filters, boxed.
macro_rules! filtered_events {
    ($q:expr) => {{
        let mut query = ev::import_job_alert_events.into_boxed();
        if let Some(job) = &$q.job_name {
            query = query.filter(ev::job_name.eq(job.as_str().to_owned()));
        }
        if let Some(kind) = $q.kind {
            query = query.filter(ev::kind.eq(kind.as_str()));
        }
        query
    }};
}

#[async_trait]
impl AlertStore for SqlAlertStore {
    async fn claim(&self, claim: &AlertClaim) -> Result<AlertDecision> {
        let kind = claim.alert.kind();
        if kind == AlertKind::Recovered {
            return Err(Error::invalid("claim", "a recovery is not claimed"));
        }
        let now = DbTime(claim.at);
        let blank = StateRow::of(&AlertState::new(claim.alert.job_name().clone(), kind), now);
        let decision = with_write_conn!(self.db, |conn, _dialect| {
            let (claim, blank) = (claim, &blank);
            conn.transaction::<_, TxError, _>(async move |conn| {
                // Creates the row, or locks it (PostgreSQL) until the transaction ends.
                diesel::insert_into(st::import_job_alert_state)
                    .values(blank)
                    .on_conflict((st::job_name, st::kind))
                    .do_update()
                    .set(st::updated_at.eq(excluded(st::updated_at)))
                    .execute(&mut *conn)
                    .await?;
                let key = st::import_job_alert_state
                    .filter(st::job_name.eq(&blank.job_name))
                    .filter(st::kind.eq(&blank.kind));
                let stored: StateRow = key.select(StateRow::as_select()).first(&mut *conn).await?;
                let (verdict, state) = claim.judge(Some(&stored.into_domain()?));
                diesel::update(key)
                    .set(&StateRow::of(&state, now))
                    .execute(&mut *conn)
                    .await?;
                let event = match verdict {
                    Verdict::Raise => Some(AlertEventKind::Raised),
                    Verdict::Repeat => Some(AlertEventKind::Repeated),
                    Verdict::Suppress | Verdict::Duplicate => None,
                };
                let event_id = match event {
                    Some(e) => Some(insert_event!(
                        conn,
                        &AlertEvent::of_alert(&claim.alert, e, claim.at)
                    )?),
                    None => None,
                };
                Ok(AlertDecision { verdict, event_id })
            })
            .await
            .map_err(TxError::into_domain)?
        });
        Ok(decision)
    }

    async fn recover(&self, notice: &Alert, at: DateTime<Utc>) -> Result<Option<i64>> {
        if notice.kind() != AlertKind::Recovered {
            return Err(Error::invalid(
                "notice",
                "a recovery needs a recovered alert",
            ));
        }
        let job = notice.job_name().to_string();
        let event = AlertEvent::of_alert(notice, AlertEventKind::Recovered, at);
        let ended = with_write_conn!(self.db, |conn, _dialect| {
            let (job, event) = (&job, &event);
            conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
                let ended = diesel::update(
                    st::import_job_alert_state
                        .filter(st::job_name.eq(job))
                        .filter(st::kind.eq(AlertKind::FailureThreshold.as_str()))
                        .filter(st::active.eq(true)),
                )
                .set((
                    st::active.eq(false),
                    st::resolved_at.eq(Some(DbTime(at))),
                    st::updated_at.eq(DbTime(at)),
                ))
                .execute(&mut *conn)
                .await?;
                if ended == 0 {
                    return Ok(None);
                }
                insert_event!(conn, event).map(Some)
            })
            .await
            .map_err(from_diesel)?
        });
        Ok(ended)
    }

    async fn clear(
        &self,
        job_name: &JobName,
        kinds: &[AlertKind],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let job = job_name.to_string();
        let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        with_write_conn!(self.db, |conn, _dialect| {
            diesel::update(
                st::import_job_alert_state
                    .filter(st::job_name.eq(&job))
                    .filter(st::kind.eq_any(&kinds))
                    .filter(st::active.eq(true)),
            )
            .set((
                st::active.eq(false),
                st::resolved_at.eq(Some(DbTime(at))),
                st::updated_at.eq(DbTime(at)),
            ))
            .execute(conn)
            .await
            .map_err(from_diesel)?
        });
        Ok(())
    }

    async fn record_delivery(&self, delivery: &AlertDelivery) -> Result<i64> {
        let event = AlertEvent::of_delivery(delivery);
        let id = with_write_conn!(self.db, |conn, _dialect| {
            insert_event!(conn, &event).map_err(from_diesel)?
        });
        Ok(id)
    }

    async fn state(&self, job_name: &JobName, kind: AlertKind) -> Result<Option<AlertState>> {
        let job = job_name.to_string();
        let row: Option<StateRow> = with_conn!(self.db, |conn, _dialect| {
            st::import_job_alert_state
                .filter(st::job_name.eq(&job))
                .filter(st::kind.eq(kind.as_str()))
                .select(StateRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(from_diesel)?
        });
        row.map(StateRow::into_domain).transpose()
    }

    async fn in_alert(&self, kind: AlertKind) -> Result<Vec<JobName>> {
        let names: Vec<String> = with_conn!(self.db, |conn, _dialect| {
            st::import_job_alert_state
                .filter(st::kind.eq(kind.as_str()))
                .filter(st::active.eq(true))
                .select(st::job_name)
                .order(st::job_name.asc())
                .load(conn)
                .await
                .map_err(from_diesel)?
        });
        names
            .iter()
            .map(|n| JobName::parse(n).map_err(|e| corrupt("job name", e)))
            .collect()
    }

    async fn events(&self, query: &AlertEventQuery) -> Result<AlertEventPage> {
        let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
        let (rows, total): (Vec<EventRow>, i64) =
            with_read_snapshot!(self.db, |conn, _dialect| {
                let rows = filtered_events!(query)
                    .select(EventRow::as_select())
                    .order(ev::id.desc())
                    .limit(i64::from(query.limit.get()))
                    .offset(offset)
                    .load(&mut *conn)
                    .await?;
                let total = filtered_events!(query)
                    .count()
                    .get_result(&mut *conn)
                    .await?;
                Ok((rows, total))
            })?;
        let events = rows
            .into_iter()
            .map(EventRow::into_domain)
            .collect::<Result<Vec<_>>>()?;
        Ok(AlertEventPage::new(query, events, total))
    }

    async fn purge_events(&self, before: DateTime<Utc>, batch: u32) -> Result<u64> {
        let before = DbTime(before);
        let batch = i64::from(batch.max(1));
        let mut deleted = 0u64;
        loop {
            let n = with_write_conn!(self.db, |conn, _dialect| {
                let victims: Vec<i64> = ev::import_job_alert_events
                    .filter(ev::at.lt(before))
                    .select(ev::id)
                    .order(ev::id.asc())
                    .limit(batch)
                    .load(&mut *conn)
                    .await
                    .map_err(from_diesel)?;
                diesel::delete(ev::import_job_alert_events.filter(ev::id.eq_any(&victims)))
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
}
