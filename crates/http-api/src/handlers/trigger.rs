//! `POST /trigger`: a rate-limited, audited manual run.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use propimport_domain::{AuditOutcome, ExecutionId, JobName, NewAuditEntry, TriggeredBy};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Admin;
use crate::dto::TriggerAccepted;
use crate::params::{self, Params};
use crate::state::SharedState;
use crate::{ApiError, TriggerRefusal};

/// The optional body of `POST /trigger`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TriggerRequest {
    /// The job to run; required when several are configured.
    job_name: Option<String>,
}

fn requested_job(query: &Params, body: &[u8]) -> Result<Option<JobName>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return params::job_name(query);
    }
    let request: TriggerRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid(format!(
            "the body must be a JSON object such as {{\"jobName\": \"…\"}}: {e}"
        ))
    })?;
    match request.job_name {
        Some(name) => JobName::parse(name.trim()).map(Some).map_err(Into::into),
        None => params::job_name(query),
    }
}

/// Starts an import in the background with triggeredBy `api`.
#[utoipa::path(
    post, path = "/api/v1/admin/import-jobs/trigger", tag = "import-jobs",
    params(("jobName" = Option<String>, Query, description = "The job to run (or in the body)")),
    request_body(content = Option<TriggerRequest>, content_type = "application/json"),
    responses(
        (status = 202, description = "The run started", body = TriggerAccepted),
        (status = 400, description = "Unknown or missing job name, or a malformed body", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 409, description = "A run is in progress; its id is in error.executionId", body = crate::error::ErrorBody),
        (status = 429, description = "Too many triggers; see Retry-After", body = crate::error::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The database is unavailable or the service is stopping", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/trigger")]
pub(crate) async fn trigger(
    Admin(actor): Admin,
    req: HttpRequest,
    query: web::Query<Params>,
    body: web::Bytes,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let remote = req.connection_info().peer_addr().map(str::to_owned);
    let audit = |job: Option<JobName>,
                 outcome: AuditOutcome,
                 id: Option<ExecutionId>,
                 detail: String| NewAuditEntry {
        at: state.clock.now(),
        actor: actor.0.clone(),
        remote_addr: remote.clone(),
        action: "trigger".to_owned(),
        job_name: job,
        outcome,
        execution_id: id,
        detail: Some(detail),
    };
    let job = match requested_job(&query, &body) {
        Ok(job) => job,
        Err(e) => {
            record(
                &state,
                audit(None, AuditOutcome::Refused, None, e.to_string()),
            )
            .await;
            return Err(e);
        }
    };
    if let Err(secs) = state.limiter.check(&actor.0) {
        let e = ApiError::rate_limited(secs);
        record(
            &state,
            audit(job, AuditOutcome::RateLimited, None, e.to_string()),
        )
        .await;
        return Err(e);
    }
    match state.control.trigger(job.as_ref(), TriggeredBy::Api).await {
        Ok(execution) => {
            record(
                &state,
                audit(
                    Some(execution.job_name.clone()),
                    AuditOutcome::Accepted,
                    Some(execution.id),
                    "run started".to_owned(),
                ),
            )
            .await;
            tracing::info!(actor = %actor.0, job = %execution.job_name, execution_id = %execution.id, "manual trigger accepted");
            Ok(HttpResponse::build(StatusCode::ACCEPTED).json(TriggerAccepted {
                success: true,
                message: "Property import job started".to_owned(),
                note: format!(
                    "Job is running in the background. Check /api/v1/admin/import-jobs/{} or /api/v1/admin/import-jobs/last for status.",
                    execution.id
                ),
                execution_id: execution.id.to_string(),
                job_name: execution.job_name.to_string(),
            }))
        }
        Err(refusal) => {
            let (outcome, e, id) = match refusal {
                TriggerRefusal::AlreadyRunning {
                    job_name,
                    execution_id,
                } => (
                    AuditOutcome::Refused,
                    ApiError::already_running(
                        format!("a run of job {job_name} is already in progress"),
                        execution_id,
                    ),
                    Some(execution_id),
                ),
                r @ (TriggerRefusal::UnknownJob { .. } | TriggerRefusal::JobRequired(_)) => (
                    AuditOutcome::Refused,
                    ApiError::invalid(format!("jobName: {r}")),
                    None,
                ),
                TriggerRefusal::ShuttingDown => (
                    AuditOutcome::Refused,
                    ApiError::unavailable("the service is shutting down; no new runs start"),
                    None,
                ),
                TriggerRefusal::Store(e) => (AuditOutcome::Failed, ApiError::from(e), None),
            };
            record(&state, audit(job, outcome, id, e.to_string())).await;
            Err(e)
        }
    }
}

async fn record(state: &SharedState, entry: NewAuditEntry) {
    if let Err(e) = state.store.record_audit(entry).await {
        tracing::error!(error = %e, "could not write the audit-log row of a trigger attempt");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_from_body_or_query() {
        let none = Params::new();
        let query: Params = [("jobName".to_owned(), "q".to_owned())].into();
        assert_eq!(requested_job(&none, b"").unwrap(), None);
        assert_eq!(requested_job(&query, b"  ").unwrap().unwrap().as_str(), "q");
        assert_eq!(
            requested_job(&query, br#"{"jobName": "b"}"#)
                .unwrap()
                .unwrap()
                .as_str(),
            "b"
        );
        assert_eq!(requested_job(&none, b"{}").unwrap(), None);
        assert!(requested_job(&none, b"{oops").is_err());
        assert!(requested_job(&none, br#"{"jobName": "a b"}"#).is_err());
    }
}
