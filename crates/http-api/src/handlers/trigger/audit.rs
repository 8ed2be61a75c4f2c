//! The audit rows of an attempt: a trigger, or an operator's pause, resume or cancel.

use actix_web::HttpRequest;
use propimport_domain::{AuditOutcome, ExecutionId, JobName, NewAuditEntry};

use crate::ApiError;
use crate::state::SharedState;

/// The actor of an attempt whose caller is not known.
pub(crate) const UNAUTHENTICATED: &str = "unauthenticated";

/// Who attempts what and from where: what every audit row of the attempt shares.
pub(crate) struct Attempter<'a> {
    state: &'a SharedState,
    /// `token:admin`, `jwt:<subject>` (its signature held) or `unauthenticated`.
    pub(crate) actor: String,
    /// The audited action: `trigger`, `pause`, `resume`, `cancel` or a `source.…` change.
    action: &'static str,
    /// The peer's address and port, as recorded.
    remote: Option<String>,
    /// The peer's IP address: the key of the refusal budget.
    address: String,
}

impl<'a> Attempter<'a> {
    /// The trigger attempt of `actor` (`None`: not known) through `req`.
    pub(super) fn new(state: &'a SharedState, req: &HttpRequest, actor: Option<&str>) -> Self {
        Self::of_action(state, req, actor, "trigger")
    }

    /// The attempt of `action` by `actor` (`None`: not known) through `req`.
    pub(crate) fn of_action(
        state: &'a SharedState,
        req: &HttpRequest,
        actor: Option<&str>,
        action: &'static str,
    ) -> Self {
        Self {
            state,
            action,
            actor: actor.unwrap_or(UNAUTHENTICATED).to_owned(),
            remote: req.connection_info().peer_addr().map(str::to_owned),
            address: req
                .peer_addr()
                .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string()),
        }
    }

    /// The peer's address and port, as the audit log records it.
    pub(crate) fn remote(&self) -> Option<String> {
        self.remote.clone()
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
            action: self.action.to_owned(),
            job_name: job,
            outcome,
            execution_id,
            detail: Some(detail),
        }
    }

    /// Writes the row of a run started, found running, or failed to start (or of an action
    /// carried out or refused by the job control).
    pub(crate) async fn record(
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
    pub(crate) fn record_detached(&self, job: Option<JobName>, detail: String) {
        self.record_failed_detached(job, None, detail);
    }

    /// [`Attempter::record_detached`] naming the execution concerned.
    pub(crate) fn record_failed_detached(
        &self,
        job: Option<JobName>,
        execution_id: Option<ExecutionId>,
        detail: String,
    ) {
        let entry = self.entry(job, AuditOutcome::Failed, execution_id, detail);
        let store = self.state.store.clone();
        // On the worker's own runtime (tokio is not a dependency of this crate outside tests).
        actix_web::rt::spawn(async move {
            if let Err(e) = store.record_audit(entry).await {
                tracing::error!(error = %e, "could not write the audit-log row of an attempt");
            }
        });
    }

    /// Writes the row of an attempt refused before any job was asked to run (401, 403, 400,
    /// 413, 429) if the refusal budget allows; else it is counted in the next summary row.
    pub(crate) async fn refused_early(
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

/// Writes the summary row of the refused attempts of a minute that has ended, if any were
/// not written one by one.
pub(crate) async fn flush_refusals(state: &SharedState) {
    if let Some(summary) = state.refusals.flush(state.clock.now()) {
        write(state, summary.entry()).await;
    }
}
