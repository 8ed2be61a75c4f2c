//! `GET /history`: a page of executions with aggregate statistics over the filtered set.

use actix_web::{HttpResponse, web};

use crate::ApiError;
use crate::auth::Admin;
use crate::dto::{Envelope, ExecutionStatusName, HistoryView, TriggerSource};
use crate::params::{self, Params};
use crate::state::SharedState;

/// Paginated execution history with aggregate statistics over the filtered set.
#[utoipa::path(
    get, path = "/api/v1/admin/import-jobs/history", tag = "import-jobs",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100 (default 50)",
            minimum = 1, maximum = 100),
        ("offset" = Option<u64>, Query, description = "Rows to skip (default 0)", minimum = 0),
        ("status" = Option<ExecutionStatusName>, Query,
            description = "Only this status: RUNNING, SUCCESS, FAILED or PARTIAL (any case)"),
        ("triggeredBy" = Option<TriggerSource>, Query,
            description = "Only runs started so: cron, manual or api (any case)"),
        ("jobName" = Option<String>, Query, description = "Only this job",
            min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$"),
        ("from" = Option<String>, Query, format = DateTime,
            description = "Started at or after (RFC 3339)"),
        ("to" = Option<String>, Query, format = DateTime,
            description = "Started before (RFC 3339); not before `from`"),
    ),
    responses(
        (status = 200, description = "A page of executions, newest first", body = Envelope<HistoryView>),
        (status = 400, description = "A parameter is invalid", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn history(
    _admin: Admin,
    query: web::Query<Params>,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let query = params::history(&query)?;
    let page = state.store.history(&query).await?;
    Ok(HttpResponse::Ok().json(Envelope::new(HistoryView::from(&page))))
}
