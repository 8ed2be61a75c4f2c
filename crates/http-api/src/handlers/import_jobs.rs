//! The read endpoints of `/api/v1/admin/import-jobs`.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use propimport_domain::ExecutionId;

use crate::ApiError;
use crate::auth::Admin;
use crate::dto::{
    Envelope, ExecutionDetail, ExecutionSummary, FireTime, HistoryView, JobView, StatisticsView,
    StatusView,
};
use crate::params::{self, Params};
use crate::state::SharedState;

/// Paginated execution history with aggregate statistics over the filtered set.
#[utoipa::path(
    get, path = "/api/v1/admin/import-jobs/history", tag = "import-jobs",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100 (default 50)"),
        ("offset" = Option<u64>, Query, description = "Rows to skip (default 0)"),
        ("status" = Option<String>, Query, description = "RUNNING, SUCCESS, FAILED or PARTIAL (any case)"),
        ("triggeredBy" = Option<String>, Query, description = "cron, manual or api"),
        ("jobName" = Option<String>, Query, description = "Only this job"),
        ("from" = Option<String>, Query, description = "Started at or after (RFC 3339)"),
        ("to" = Option<String>, Query, description = "Started before (RFC 3339)"),
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
#[get("/history")]
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
        ("days" = Option<u32>, Query, description = "Window in days, 1 to 365 (default 30)"),
        ("jobName" = Option<String>, Query, description = "Only this job"),
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
#[get("/statistics")]
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
    params(("jobName" = Option<String>, Query, description = "Only this job")),
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
#[get("/last")]
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

fn fire_times(times: &[DateTime<Utc>], zone: Option<&str>) -> Vec<FireTime> {
    let tz = zone.and_then(|z| z.parse::<chrono_tz::Tz>().ok());
    times
        .iter()
        .map(|t| FireTime {
            utc: t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            local: match tz {
                Some(tz) => t
                    .with_timezone(&tz)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                None => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            },
        })
        .collect()
}

/// Scheduler status: every job's schedule, next runs and running execution with live
/// progress, plus the first job's fields at the top level as the earlier service had them.
#[utoipa::path(
    get, path = "/api/v1/admin/import-jobs/status", tag = "import-jobs",
    responses(
        (status = 200, description = "Scheduler and job status", body = Envelope<StatusView>),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/status")]
pub(crate) async fn status(
    _admin: Admin,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let jobs = state.control.status().await?;
    let mut views = Vec::with_capacity(jobs.len());
    for job in jobs {
        let latest = state.store.last(Some(&job.job_name)).await?;
        views.push(JobView {
            job_name: job.job_name.to_string(),
            is_scheduled: job.is_scheduled,
            next_runs: fire_times(&job.next_runs, job.timezone.as_deref()),
            schedule: job.schedule,
            timezone: job.timezone,
            running_execution: job.running.as_ref().map(Into::into),
            last_execution: latest.as_ref().map(Into::into),
        });
    }
    let first = views.first();
    let view = StatusView {
        is_running: state.control.is_running(),
        is_scheduled: first.is_some_and(|j| j.is_scheduled),
        schedule: first.and_then(|j| j.schedule.clone()),
        timezone: first.and_then(|j| j.timezone.clone()),
        next_runs: first.map(|j| j.next_runs.clone()).unwrap_or_default(),
        running_execution: views.iter().find_map(|j| j.running_execution.clone()),
        alert_threshold: state.alert_threshold,
        jobs: views,
    };
    Ok(HttpResponse::Ok().json(Envelope::new(view)))
}

/// One execution with its full error list.
#[utoipa::path(
    get, path = "/api/v1/admin/import-jobs/{executionId}", tag = "import-jobs",
    params(("executionId" = String, Path, description = "The execution's id (a UUID)")),
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
#[get("/{executionId}")]
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
