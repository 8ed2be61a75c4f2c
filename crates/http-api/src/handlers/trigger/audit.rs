//! The audit rows of a trigger attempt.

use actix_web::HttpRequest;
use propimport_domain::{AuditOutcome, ExecutionId, JobName, NewAuditEntry};

use crate::ApiError;
use crate::state::SharedState;

/// The actor of an attempt whose caller is not known.
pub(crate) const UNAUTHENTICATED: &str = "unauthenticated";

/// Who attempts a trigger and from where: what every audit row of the attempt shares.
pub(super) struct Attempter<'a> {
    state: &'a SharedState,
    /// `token:admin`, `jwt:<subject>` (its signature held) or `unauthenticated`.
    pub(super) actor: String,
    /// The peer's address and port, as recorded.
    remote: Option<String>,
    /// The peer's IP address: the key of the refusal budget.
    address: String,
}

impl<'a> Attempter<'a> {
    /// The attempt of `actor` (`None`: not known) through `req`.
    pub(super) fn new(state: &'a SharedState, req: &HttpRequest, actor: Option<&str>) -> Self {
        Self {
            state,
            actor: actor.unwrap_or(UNAUTHENTICATED).to_owned(),
            remote: req.connection_info().peer_addr().map(str::to_owned),
            address: req
                .peer_addr()
                .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string()),
        }
    }

    fn entry(
        &self,
        job: Option<JobName>,
        outcome: AuditOutcome,
        execution_id: Option<ExecutionId>,
        detail: String,
    ) -> NewAuditEntry {
        NewAuditEntry {
            at: self.state.clock.now(),
            actor: self.actor.clone(),
            remote_addr: self.remote.clone(),
            action: "trigger".to_owned(),
            job_name: job,
            outcome,
            execution_id,
            detail: Some(detail),
        }
    }

    /// Writes the row of a run started, found running, or failed to start.
    pub(super) async fn record(
        &self,
        job: Option<JobName>,
        outcome: AuditOutcome,
        execution_id: Option<ExecutionId>,
        detail: String,
    ) {
        write(self.state, self.entry(job, outcome, execution_id, detail)).await;
    }

    /// Writes the row of an attempt that failed because the database is unavailable, in the
    /// background: the answer (503) does not wait for a write that would wait for the same
    /// database, so it comes within `DATABASE_TIMEOUT` of the request.
    pub(super) fn record_detached(&self, job: Option<JobName>, detail: String) {
        let entry = self.entry(job, AuditOutcome::Failed, None, detail);
        let store = self.state.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.record_audit(entry).await {
                tracing::error!(error = %e, "could not write the audit-log row of a trigger attempt");
            }
        });
    }

    /// Writes the row of an attempt refused before any job was asked to run (401, 403, 400,
    /// 413, 429) if the refusal budget allows; else it is counted in the next summary row.
    pub(super) async fn refused_early(
        &self,
        job: Option<JobName>,
        outcome: AuditOutcome,
        error: &ApiError,
    ) {
        let now = self.state.clock.now();
        let (admitted, summary) = self.state.refusals.admit(&self.address, now);
        if let Some(summary) = summary {
            write(self.state, summary.entry()).await;
        }
        if admitted {
            write(
                self.state,
                self.entry(job, outcome, None, error.to_string()),
            )
            .await;
        }
    }
}

/// Writes `entry`; a failure is logged (the answer does not depend on it).
pub(crate) async fn write(state: &SharedState, entry: NewAuditEntry) {
    if let Err(e) = state.store.record_audit(entry).await {
        tracing::error!(error = %e, "could not write the audit-log row of a trigger attempt");
    }
}
