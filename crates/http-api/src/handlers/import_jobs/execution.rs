//! `GET /{executionId}`: one execution with its full error list.

use actix_web::{HttpResponse, web};
use propimport_domain::ExecutionId;

use crate::ApiError;
use crate::auth::Admin;
use crate::dto::{Envelope, ExecutionDetail};
use crate::state::SharedState;

/// One execution with its full error list.
#[utoipa::path(
    get, path = "/api/v1/admin/import-jobs/{executionId}", tag = "import-jobs",
    params(("executionId" = String, Path, format = Uuid, description = "The execution's id (a UUID)")),
    responses(
        (status = 200, description = "The execution with its errors", body = Envelope<ExecutionDetail>),
        (status = 400, description = "The id is not a UUID", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 404, description = "No execution has this id", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn execution(
    _admin: Admin,
    path: web::Path<String>,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let id = ExecutionId::parse(&path)?;
    match state.store.get(&id).await? {
        Some(e) => Ok(HttpResponse::Ok().json(Envelope::new(ExecutionDetail::from(&e)))),
        None => Err(ApiError::not_found(format!("execution {id} not found"))),
    }
}
