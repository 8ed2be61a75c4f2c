//! Rows of `import_job_alert_state` and `import_job_alert_events`, and their conversion to and
//! from the domain's types.

use diesel::prelude::*;
use propimport_domain::{
    AlertEvent, AlertEventKind, AlertKind, AlertState, ExecutionId, JobName, Result,
};

use crate::error::{corrupt, corrupt_value};
use crate::schema::{import_job_alert_events, import_job_alert_state};
use crate::sql_types::DbTime;

/// A row of `import_job_alert_state`, read and written whole.
#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = import_job_alert_state, treat_none_as_null = true)]
pub(super) struct StateRow {
    pub(super) job_name: String,
    pub(super) kind: String,
    active: bool,
    subject: Option<String>,
    raised_at: Option<DbTime>,
    last_sent_at: Option<DbTime>,
    repeats: i32,
    resolved_at: Option<DbTime>,
    updated_at: DbTime,
}

impl StateRow {
    /// The row storing `state`, written at `now`.
    pub(super) fn of(state: &AlertState, now: DbTime) -> Self {
        Self {
            job_name: state.job_name.to_string(),
            kind: state.kind.as_str().to_owned(),
            active: state.active,
            subject: state.subject.clone(),
            raised_at: state.raised_at.map(DbTime),
            last_sent_at: state.last_sent_at.map(DbTime),
            repeats: state.repeats,
            resolved_at: state.resolved_at.map(DbTime),
            updated_at: now,
        }
    }

    /// The domain state.
    pub(super) fn into_domain(self) -> Result<AlertState> {
        Ok(AlertState {
            job_name: JobName::parse(&self.job_name).map_err(|e| corrupt("job name", e))?,
            kind: AlertKind::from_text(&self.kind)
                .ok_or_else(|| corrupt_value("alert kind", &self.kind))?,
            active: self.active,
            subject: self.subject,
            raised_at: self.raised_at.map(|t| t.0),
            last_sent_at: self.last_sent_at.map(|t| t.0),
            repeats: self.repeats,
            resolved_at: self.resolved_at.map(|t| t.0),
        })
    }
}

/// A row of `import_job_alert_events`.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = import_job_alert_events)]
pub(super) struct EventRow {
    id: i64,
    at: DbTime,
    job_name: String,
    kind: String,
    event: String,
    alert_id: Option<i64>,
    channel: Option<String>,
    execution_id: Option<String>,
    message: Option<String>,
}

impl EventRow {
    /// The domain event.
    pub(super) fn into_domain(self) -> Result<AlertEvent> {
        Ok(AlertEvent {
            id: self.id,
            at: self.at.0,
            job_name: JobName::parse(&self.job_name).map_err(|e| corrupt("job name", e))?,
            kind: AlertKind::from_text(&self.kind)
                .ok_or_else(|| corrupt_value("alert kind", &self.kind))?,
            event: AlertEventKind::from_text(&self.event),
            alert_id: self.alert_id,
            channel: self.channel,
            execution_id: self
                .execution_id
                .as_deref()
                .map(ExecutionId::parse)
                .transpose()
                .map_err(|e| corrupt("execution id", e))?,
            message: self.message,
        })
    }
}

/// A new row of `import_job_alert_events`.
#[derive(Debug, Insertable)]
#[diesel(table_name = import_job_alert_events)]
pub(super) struct NewEventRow {
    at: DbTime,
    job_name: String,
    kind: String,
    event: String,
    alert_id: Option<i64>,
    channel: Option<String>,
    execution_id: Option<String>,
    message: Option<String>,
}

impl From<&AlertEvent> for NewEventRow {
    fn from(e: &AlertEvent) -> Self {
        Self {
            at: DbTime(e.at),
            job_name: e.job_name.to_string(),
            kind: e.kind.as_str().to_owned(),
            event: e.event.as_str().to_owned(),
            alert_id: e.alert_id,
            channel: e.channel.clone(),
            execution_id: e.execution_id.map(|id| id.to_string()),
            message: e.message.clone(),
        }
    }
}
