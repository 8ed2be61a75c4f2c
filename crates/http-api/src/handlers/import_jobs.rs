//! The read endpoints of `/api/v1/admin/import-jobs`.

use actix_web::{HttpResponse, web};
use propimport_domain::ExecutionId;

use crate::ApiError;
use crate::auth::Admin;
use crate::dto::{
    Envelope, ExecutionDetail, ExecutionStatusName, ExecutionSummary, HistoryView, StatisticsView,
    TriggerSource,
};
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

/// Execution statistics for the last `days` days with a per-day timeline.
#[utoipa::path(
    get, path = "/api/v1/admin/import-jobs/statistics", tag = "import-jobs",
    params(
        ("days" = Option<u32>, Query, description = "Window in days, 1 to 365 (default 30)",
            minimum = 1, maximum = 365),
        ("jobName" = Option<String>, Query, description = "Only this job",
            min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$"),
    ),
    responses(
        (status = 200, description = "Totals, success rate and timeline", body = Envelope<StatisticsView>),
        (status = 400, description = "A parameter is invalid", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn statistics(
    _admin: Admin,
    query: web::Query<Params>,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let query = params::statistics(&query, state.clock.now())?;
    let stats = state.store.statistics(&query).await?;
    Ok(HttpResponse::Ok().json(Envelope::new(StatisticsView::from(&stats))))
}

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
