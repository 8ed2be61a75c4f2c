//! `POST /trigger`: manual runs of one job or of every job, rate-limited per caller and job,
//! with an audit row for every attempt (those refused before any job was asked to run within
//! a budget: see [`crate::audit_budget`]).

mod audit;
mod run;

use actix_web::{HttpRequest, HttpResponse, web};
use propimport_domain::{AuditOutcome, JobName};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::ApiError;
use crate::auth::Attempt;
use crate::params::{self, Params};
use crate::state::{MAX_BODY_BYTES, SharedState};

pub(crate) use audit::Attempter;
pub(crate) use audit::flush_refusals;

/// The optional body of `POST /trigger`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TriggerRequest {
    /// The job to run; every configured job that is not running when left out (here and in
    /// the query).
    #[schema(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")]
    job_name: Option<String>,
}

/// The job named by the body (an object, or nothing, or `null`) or else by the query.
fn requested_job(query: &Params, body: &[u8]) -> Result<Option<JobName>, ApiError> {
    if body.trim_ascii().is_empty() || body.trim_ascii() == b"null" {
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

fn too_large() -> ApiError {
    ApiError::payload_too_large(format!(
        "the request body is larger than {MAX_BODY_BYTES} bytes"
    ))
}

/// The body, at most [`MAX_BODY_BYTES`] of it (read only once the caller is authenticated).
pub(crate) async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<web::Bytes, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    payload
        .to_bytes_limited(MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large())?
        .map_err(|e| ApiError::invalid(format!("the request body cannot be read: {e}")))
}

/// Starts runs in the background with triggeredBy `api`: the job named in the body or the
/// query, or else every configured job that is not running.
#[utoipa::path(
    post, path = "/api/v1/admin/import-jobs/trigger", tag = "import-jobs",
    params(("jobName" = Option<String>, Query,
        description = "The job to run (or in the body); every job when neither names one",
        min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")),
    request_body(content = Option<TriggerRequest>, content_type = "application/json",
        description = "Optional; at most 16 KiB"),
    responses(
        (status = 202, description = "Runs started: `executions`; the jobs that did not start are in `refused`", body = crate::dto::TriggerAccepted),
        (status = 400, description = "Unknown or empty job name, or a malformed body", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 409, description = "No run started: every job asked for is running; a running execution's id is in error.executionId", body = crate::error::ErrorBody),
        (status = 413, description = "The body is larger than 16 KiB", body = crate::error::ErrorBody),
        (status = 429, description = "No run started: too many triggers of the job(s) by this caller; see Retry-After", body = crate::error::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The database is unavailable or the service is stopping", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn trigger(
    attempt: Attempt,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    flush_refusals(&state).await;
    let actor = match attempt.0 {
        Ok(actor) => actor,
        Err(refusal) => {
            let who = refusal.actor.map(|a| a.0);
            let attempter = Attempter::new(&state, &req, who.as_deref());
            attempter
                .refused_early(None, AuditOutcome::Refused, &refusal.error)
                .await;
            return Err(refusal.error);
        }
    };
    let attempter = Attempter::new(&state, &req, Some(&actor.0));
    let job = async {
        let body = read_body(&req, payload).await?;
        let query = web::Query::<Params>::from_query(req.query_string())
            .map_err(|e| ApiError::invalid(format!("the query string cannot be read: {e}")))?;
        requested_job(&query, &body)
    }
    .await;
    let job = match job {
        Ok(job) => job,
        Err(e) => {
            attempter
                .refused_early(None, AuditOutcome::Refused, &e)
                .await;
            return Err(e);
        }
    };
    run::start(&state, &attempter, job).await
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
        assert_eq!(
            requested_job(&query, b" null ").unwrap().unwrap().as_str(),
            "q"
        );
        assert_eq!(requested_job(&none, br#"{"jobName": null}"#).unwrap(), None);
        assert!(requested_job(&none, b"{oops").is_err());
        assert!(requested_job(&none, br#"{"jobName": "a b"}"#).is_err());
        assert!(requested_job(&none, br#"{"jobName": ""}"#).is_err());
        let empty: Params = [("jobName".to_owned(), String::new())].into();
        assert!(requested_job(&empty, b"").is_err());
    }
}
