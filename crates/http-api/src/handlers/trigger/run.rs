//! Asking each job to start, and the answer: 202 when any run started, else the reason none
//! did.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use propimport_domain::{AuditOutcome, Execution, JobName, TriggerRefusal, TriggeredBy};

use super::audit::Attempter;
use crate::ApiError;
use crate::dto::{RefusedRun, StartedRun, TriggerAccepted};
use crate::state::SharedState;

/// A job that did not start, and why.
struct Refused {
    job: JobName,
    error: ApiError,
}

/// Starts `job`, or every configured job when `None`, for the attempter; one audit row per
/// job.
pub(super) async fn start(
    state: &SharedState,
    attempter: &Attempter<'_>,
    job: Option<JobName>,
) -> Result<HttpResponse, ApiError> {
    let every = job.is_none();
    let jobs = match job {
        Some(job) => vec![job],
        None => state.control.jobs(),
    };
    if jobs.is_empty() {
        let e = ApiError::unavailable("no import job is configured");
        attempter
            .record(None, AuditOutcome::Failed, None, e.to_string())
            .await;
        return Err(e);
    }
    let how = if every {
        "run started (a trigger of every job)"
    } else {
        "run started"
    };
    let mut started = Vec::new();
    let mut refused: Vec<Refused> = Vec::new();
    for job in jobs {
        // With the database unavailable, the other jobs would only wait for it in turn.
        if let Some(down) = refused
            .iter()
            .find(|r| r.error.status() == StatusCode::SERVICE_UNAVAILABLE)
        {
            let error = ApiError::unavailable(down.error.message().to_owned());
            attempter.record_detached(Some(job.clone()), error.to_string());
            refused.push(Refused { job, error });
            continue;
        }
        if let Err(secs) = state.limiter.check(&attempter.actor, job.as_str()) {
            let error = ApiError::rate_limited(secs).with_message(format!(
                "too many manual triggers of job {job}; retry in {secs} s"
            ));
            attempter
                .refused_early(Some(job.clone()), AuditOutcome::RateLimited, &error)
                .await;
            refused.push(Refused { job, error });
            continue;
        }
        match state.control.trigger(Some(&job), TriggeredBy::Api).await {
            Ok(execution) => {
                state.limiter.consume(&attempter.actor, job.as_str());
                attempter
                    .record(
                        Some(execution.job_name.clone()),
                        AuditOutcome::Accepted,
                        Some(execution.id),
                        how.to_owned(),
                    )
                    .await;
                tracing::info!(actor = %attempter.actor, job = %execution.job_name, execution_id = %execution.id, "manual trigger accepted");
                started.push(execution);
            }
            Err(refusal) => {
                let (outcome, error) = refusal_error(refusal);
                if error.status() == StatusCode::BAD_REQUEST {
                    attempter
                        .refused_early(Some(job.clone()), outcome, &error)
                        .await;
                } else if error.status() == StatusCode::SERVICE_UNAVAILABLE {
                    attempter.record_detached(Some(job.clone()), error.to_string());
                } else {
                    attempter
                        .record(
                            Some(job.clone()),
                            outcome,
                            error.execution_id(),
                            error.to_string(),
                        )
                        .await;
                }
                refused.push(Refused { job, error });
            }
        }
    }
    answer(&started, refused)
}

/// The answer and audit outcome of a job that did not start: refused, or failed when the store
/// failed.
fn refusal_error(refusal: TriggerRefusal) -> (AuditOutcome, ApiError) {
    let outcome = match refusal {
        TriggerRefusal::Store(_) => AuditOutcome::Failed,
        _ => AuditOutcome::Refused,
    };
    (outcome, ApiError::from(refusal))
}

fn answer(started: &[Execution], refused: Vec<Refused>) -> Result<HttpResponse, ApiError> {
    let Some(first) = started.first() else {
        return Err(none_started(refused));
    };
    let message = match started.len() {
        1 => "Property import job started".to_owned(),
        n => format!("{n} property import jobs started"),
    };
    Ok(
        HttpResponse::build(StatusCode::ACCEPTED).json(TriggerAccepted {
            success: true,
            message,
            note: match started {
                [one] => format!(
                    "Job is running in the background. Check /api/v1/admin/import-jobs/{} or /api/v1/admin/import-jobs/last for status.",
                    one.id
                ),
                _ => "Jobs are running in the background. Check /api/v1/admin/import-jobs/{executionId} for each of executions, or /api/v1/admin/import-jobs/status.".to_owned(),
            },
            execution_id: first.id.to_string(),
            job_name: first.job_name.to_string(),
            executions: started
                .iter()
                .map(|e| StartedRun {
                    job_name: e.job_name.to_string(),
                    execution_id: e.id.to_string(),
                })
                .collect(),
            refused: refused
                .iter()
                .map(|r| RefusedRun {
                    job_name: r.job.to_string(),
                    code: r.error.code().to_owned(),
                    message: r.error.message().to_owned(),
                    execution_id: r.error.execution_id().map(|id| id.to_string()),
                    retry_after: r.error.retry_after_secs(),
                })
                .collect(),
        }),
    )
}

/// Why no run started: the only job's reason; of several, a fault or bad request first, then
/// the shortest wait of the rate limit, else 409 naming every running execution.
fn none_started(mut refused: Vec<Refused>) -> ApiError {
    if refused.len() <= 1 {
        return refused.pop().map_or_else(
            || ApiError::internal("no job was asked to start"),
            |r| r.error,
        );
    }
    let conflict_or_wait = |e: &ApiError| {
        e.status() == StatusCode::CONFLICT || e.status() == StatusCode::TOO_MANY_REQUESTS
    };
    if let Some(r) = refused.iter().find(|r| !conflict_or_wait(&r.error)) {
        return r.error.clone();
    }
    if let Some(wait) = refused
        .iter()
        .filter_map(|r| r.error.retry_after_secs())
        .min()
    {
        return ApiError::rate_limited(wait).with_message(format!(
            "no run started: every job is running or was triggered too recently by this caller; retry in {wait} s"
        ));
    }
    let running: Vec<String> = refused
        .iter()
        .map(|r| match r.error.execution_id() {
            Some(id) => format!("{} ({id})", r.job),
            None => r.job.to_string(),
        })
        .collect();
    let first = refused.iter().find_map(|r| r.error.execution_id());
    let message = format!(
        "no run started: every job is already running: {}",
        running.join(", ")
    );
    match first {
        Some(id) => ApiError::already_running(message, id),
        None => ApiError::internal(message),
    }
}
