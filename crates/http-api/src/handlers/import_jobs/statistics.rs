//! `GET /statistics`: execution statistics over a window of days, with a per-day timeline.

use actix_web::{HttpResponse, web};

use crate::ApiError;
use crate::auth::Admin;
use crate::dto::{Envelope, StatisticsView};
use crate::params::{self, Params};
use crate::state::SharedState;

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
