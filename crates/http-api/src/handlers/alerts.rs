//! `GET /api/v1/admin/alerts`: the alert history, newest first.

use actix_web::{HttpResponse, web};
use propimport_domain::AlertEventPage;

use crate::ApiError;
use crate::auth::Admin;
use crate::dto::{AlertLogView, Envelope};
use crate::params::{self, Params};
use crate::state::SharedState;

/// Lists the alert history: every alert raised, repeated after the cooldown or recovered, and
/// every delivery of one to a channel (delivered, or failed with the reason).
#[utoipa::path(
    get, path = "/api/v1/admin/alerts", tag = "alerts",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100 (default 50)",
            minimum = 1, maximum = 100),
        ("offset" = Option<u64>, Query, description = "Rows to skip (default 0)", minimum = 0),
        ("jobName" = Option<String>, Query, description = "Only this job's alerts",
            min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$"),
        ("kind" = Option<crate::dto::AlertKindName>, Query,
            description = "Only alerts of this kind and their deliveries (any case)"),
    ),
    responses(
        (status = 200, description = "A page of alert events, newest first", body = Envelope<AlertLogView>),
        (status = 400, description = "A parameter is invalid", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn alerts(
    _admin: Admin,
    query: web::Query<Params>,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let query = params::alerts(&query)?;
    let page = match &state.alerts {
        Some(store) => store.events(&query).await?,
        None => AlertEventPage::new(&query, Vec::new(), 0),
    };
    Ok(HttpResponse::Ok().json(Envelope::new(AlertLogView::from(&page))))
}
