//! `GET /last`: the most recent execution, of every job or of one.

use actix_web::{HttpResponse, web};

use crate::ApiError;
use crate::auth::Admin;
use crate::dto::{Envelope, ExecutionSummary};
use crate::params::{self, Params};
use crate::state::SharedState;

/// The most recent execution (of one job with `jobName`).
#[utoipa::path(
    get, path = "/api/v1/admin/import-jobs/last", tag = "import-jobs",
    params(("jobName" = Option<String>, Query, description = "Only this job",
        min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")),
    responses(
        (status = 200, description = "The most recent execution", body = Envelope<ExecutionSummary>),
        (status = 400, description = "A parameter is invalid", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 404, description = "No execution yet", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn last(
    _admin: Admin,
    query: web::Query<Params>,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let job = params::job_name(&query)?;
    match state.store.last(job.as_ref()).await? {
        Some(e) => Ok(HttpResponse::Ok().json(Envelope::new(ExecutionSummary::from(&e)))),
        None => Err(ApiError::not_found(match job {
            Some(job) => format!("job {job} has no execution yet"),
            None => "no execution yet".to_owned(),
        })),
    }
}
