//! Operator control: `POST /jobs/{jobName}/pause` and `/resume`, `POST /{executionId}/cancel`.
//! Every attempt is written to the audit log with its actor (those refused before the job
//! control was asked within the refusal budget, as for triggers); the trigger rate limit does
//! not apply.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use propimport_domain::{
    AuditOutcome, Error, ExecutionId, JobName, JobPause, MAX_PAUSE_REASON_CHARS,
};

use crate::ApiError;
use crate::auth::Attempt;
use crate::dto::{CancelAccepted, Envelope, JobPauseView, PauseRequest};
use crate::handlers::trigger::{Attempter, flush_refusals, read_body};
use crate::state::SharedState;
use propimport_domain::ControlRefusal;

/// The authenticated attempter of `action`, or the refusal (already audited); also the
/// source catalog's changes use it.
pub(crate) async fn attempter<'a>(
    state: &'a SharedState,
    req: &HttpRequest,
    attempt: Attempt,
    action: &'static str,
) -> Result<Attempter<'a>, ApiError> {
    flush_refusals(state).await;
    match attempt.0 {
        Ok(actor) => Ok(Attempter::of_action(state, req, Some(&actor.0), action)),
        Err(refusal) => {
            let who = refusal.actor.map(|a| a.0);
            Attempter::of_action(state, req, who.as_deref(), action)
                .refused_early(None, AuditOutcome::Refused, &refusal.error)
                .await;
            Err(refusal.error)
        }
    }
}

/// Reads a value of the request, auditing a refusal (400, 413) as an early one.
async fn checked<T>(
    attempter: &Attempter<'_>,
    job: Option<&JobName>,
    value: Result<T, ApiError>,
) -> Result<T, ApiError> {
    if let Err(e) = &value {
        attempter
            .refused_early(job.cloned(), AuditOutcome::Refused, e)
            .await;
    }
    value
}

/// The reason of a pause body: none for an empty body or `null`.
fn pause_reason(body: &[u8]) -> Result<Option<String>, ApiError> {
    if body.trim_ascii().is_empty() || body.trim_ascii() == b"null" {
        return Ok(None);
    }
    let request: PauseRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid(format!(
            "the body must be a JSON object such as {{\"reason\": \"…\"}}: {e}"
        ))
    })?;
    let reason = request.reason.map(|r| r.trim().to_owned());
    if let Some(r) = &reason
        && r.chars().count() > MAX_PAUSE_REASON_CHARS
    {
        return Err(ApiError::invalid(format!(
            "reason: must be at most {MAX_PAUSE_REASON_CHARS} characters, got {}",
            r.chars().count()
        )));
    }
    Ok(reason.filter(|r| !r.is_empty()))
}

/// The answer and audit row of a refused pause, resume or cancel.
async fn refused(
    attempter: &Attempter<'_>,
    job: Option<JobName>,
    execution: Option<ExecutionId>,
    refusal: ControlRefusal,
) -> ApiError {
    let error = ApiError::from(refusal);
    match error.status() {
        StatusCode::NOT_FOUND => {
            attempter
                .refused_early(job, AuditOutcome::Refused, &error)
                .await;
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            attempter.record_failed_detached(job, execution, error.to_string());
        }
        StatusCode::CONFLICT => {
            attempter
                .record(job, AuditOutcome::Refused, execution, error.to_string())
                .await;
        }
        _ => {
            attempter
                .record(job, AuditOutcome::Failed, execution, error.to_string())
                .await;
        }
    }
    error
}

fn pause_detail(pause: &JobPause, actor: &str) -> String {
    let since = propimport_domain::format_utc_millis(&pause.paused_at);
    let mut detail = if pause.paused_by == actor {
        format!("job paused (since {since})")
    } else {
        format!("job already paused by {} since {since}", pause.paused_by)
    };
    if let Some(reason) = &pause.reason {
        detail.push_str(&format!(": {reason}"));
    }
    detail
}

/// Pauses a job: every instance skips its scheduled ticks from the next one until it is
/// resumed; it can still be triggered by hand, and a run in progress goes on. Idempotent: a
/// paused job keeps its first pause.
#[utoipa::path(
    post, path = "/api/v1/admin/import-jobs/jobs/{jobName}/pause", tag = "control",
    params(("jobName" = String, Path, description = "The job to pause",
        min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")),
    request_body(content = Option<PauseRequest>, content_type = "application/json",
        description = "Optional; at most 16 KiB"),
    responses(
        (status = 200, description = "The job's state: paused (by whom, since when, why)", body = Envelope<JobPauseView>),
        (status = 400, description = "A malformed job name or body, or a reason over 500 characters", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 404, description = "No configured job has this name", body = crate::error::ErrorBody),
        (status = 413, description = "The body is larger than 16 KiB", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn pause(
    attempt: Attempt,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let attempter = attempter(&state, &req, attempt, "pause").await?;
    let job = checked(&attempter, None, JobName::parse(&path).map_err(Into::into)).await?;
    let body = read_body(&req, payload).await;
    let reason = checked(&attempter, Some(&job), body.and_then(|b| pause_reason(&b))).await?;
    match state
        .control
        .pause(&job, &attempter.actor, reason.as_deref())
        .await
    {
        Ok(pause) => {
            state.status_cache.clear();
            let detail = pause_detail(&pause, &attempter.actor);
            attempter
                .record(Some(job.clone()), AuditOutcome::Accepted, None, detail)
                .await;
            Ok(HttpResponse::Ok().json(Envelope::new(JobPauseView::of(&job, Some(&pause)))))
        }
        Err(r) => Err(refused(&attempter, Some(job), None, r).await),
    }
}

/// Resumes a job: its next scheduled tick runs again (ticks skipped while it was paused are
/// not made up). Idempotent: resuming a job that is not paused changes nothing.
#[utoipa::path(
    post, path = "/api/v1/admin/import-jobs/jobs/{jobName}/resume", tag = "control",
    params(("jobName" = String, Path, description = "The job to resume",
        min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")),
    responses(
        (status = 200, description = "The job's state: not paused", body = Envelope<JobPauseView>),
        (status = 400, description = "A malformed job name", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 404, description = "No configured job has this name", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn resume(
    attempt: Attempt,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let attempter = attempter(&state, &req, attempt, "resume").await?;
    let job = checked(&attempter, None, JobName::parse(&path).map_err(Into::into)).await?;
    match state.control.resume(&job, &attempter.actor).await {
        Ok(lifted) => {
            state.status_cache.clear();
            let detail = match &lifted {
                Some(p) => format!(
                    "job resumed (paused by {} since {})",
                    p.paused_by,
                    propimport_domain::format_utc_millis(&p.paused_at)
                ),
                None => "job was not paused".to_owned(),
            };
            attempter
                .record(Some(job.clone()), AuditOutcome::Accepted, None, detail)
                .await;
            Ok(HttpResponse::Ok().json(Envelope::new(JobPauseView::of(&job, None))))
        }
        Err(r) => Err(refused(&attempter, Some(job), None, r).await),
    }
}

/// Asks for a RUNNING execution (on any replica) to be cancelled: the request is recorded on
/// it, and the instance running it stops the run within one heartbeat and records it FAILED
/// "cancelled by <actor>". Asking again changes nothing (the first request is kept).
#[utoipa::path(
    post, path = "/api/v1/admin/import-jobs/{executionId}/cancel", tag = "control",
    params(("executionId" = String, Path, format = Uuid, description = "The RUNNING execution's id (a UUID)")),
    responses(
        (status = 202, description = "Cancel requested: the run stops within one heartbeat", body = CancelAccepted),
        (status = 400, description = "The id is not a UUID", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 404, description = "No execution has this id", body = crate::error::ErrorBody),
        (status = 409, description = "`NOT_RUNNING`: the execution has ended; its id is in error.executionId", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn cancel(
    attempt: Attempt,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let attempter = attempter(&state, &req, attempt, "cancel").await?;
    let id = checked(
        &attempter,
        None,
        ExecutionId::parse(&path).map_err(Into::into),
    )
    .await?;
    match state.control.cancel(&id, &attempter.actor).await {
        Ok(execution) => {
            let Some(request) = execution.cancel_requested.clone() else {
                let e = ApiError::internal(format!(
                    "the cancel request of execution {id} was not recorded"
                ));
                attempter
                    .record(
                        Some(execution.job_name.clone()),
                        AuditOutcome::Failed,
                        Some(id),
                        e.to_string(),
                    )
                    .await;
                return Err(e);
            };
            let detail = if request.by == attempter.actor {
                "cancel requested".to_owned()
            } else {
                format!("cancel already requested by {}", request.by)
            };
            attempter
                .record(
                    Some(execution.job_name.clone()),
                    AuditOutcome::Accepted,
                    Some(id),
                    detail,
                )
                .await;
            tracing::info!(actor = %attempter.actor, execution_id = %id, job = %execution.job_name, "cancel requested");
            Ok(HttpResponse::build(StatusCode::ACCEPTED)
                .json(CancelAccepted::of(&execution, &request)))
        }
        Err(r) => {
            let job = match &r {
                ControlRefusal::Store(Error::NotRunning { .. }) => state
                    .store
                    .get(&id)
                    .await
                    .ok()
                    .flatten()
                    .map(|e| e.job_name),
                _ => None,
            };
            Err(refused(&attempter, job, Some(id), r).await)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_reasons_from_the_body() {
        assert_eq!(pause_reason(b"").unwrap(), None);
        assert_eq!(pause_reason(b" null ").unwrap(), None);
        assert_eq!(pause_reason(b"{}").unwrap(), None);
        assert_eq!(pause_reason(br#"{"reason": "  "}"#).unwrap(), None);
        assert_eq!(
            pause_reason(br#"{"reason": " partner upgrade "}"#).unwrap(),
            Some("partner upgrade".to_owned())
        );
        assert!(pause_reason(b"{oops").is_err());
        assert!(pause_reason(br#"{"reason": 5}"#).is_err());
        assert!(pause_reason(br#"{"reasn": "typo"}"#).is_err());
        let long = format!(r#"{{"reason": "{}"}}"#, "x".repeat(501));
        assert!(pause_reason(long.as_bytes()).is_err());
    }
}
