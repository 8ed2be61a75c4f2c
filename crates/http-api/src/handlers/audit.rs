//! `GET /api/v1/admin/audit-log`: the trigger attempts, newest first.

use actix_web::{HttpResponse, web};

use crate::ApiError;
use crate::auth::Admin;
use crate::dto::{AuditLogView, Envelope};
use crate::handlers::trigger::flush_refusals;
use crate::params::{self, Params};
use crate::state::SharedState;

/// Lists audit-log entries (every manual trigger attempt and its outcome; attempts refused
/// before any job was asked to run within a bound per minute, the rest summarised).
#[utoipa::path(
    get, path = "/api/v1/admin/audit-log", tag = "audit",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100 (default 50)",
            minimum = 1, maximum = 100),
        ("offset" = Option<u64>, Query, description = "Rows to skip (default 0)", minimum = 0),
    ),
    responses(
        (status = 200, description = "A page of audit entries, newest first", body = Envelope<AuditLogView>),
        (status = 400, description = "A parameter is invalid", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn audit_log(
    _admin: Admin,
    query: web::Query<Params>,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let query = params::audit(&query)?;
    flush_refusals(&state).await;
    let page = state.store.audit_log(&query).await?;
    Ok(HttpResponse::Ok().json(Envelope::new(AuditLogView::from(&page))))
}
