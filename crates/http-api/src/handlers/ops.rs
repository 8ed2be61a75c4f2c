//! Operations endpoints without authentication: liveness, readiness and metrics.

use std::collections::BTreeMap;

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};

use crate::ApiError;
use crate::dto::{CheckView, HealthView};
use crate::state::SharedState;

/// The process is alive.
#[utoipa::path(
    get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = HealthView))
)]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthView {
        status: "ok".to_owned(),
        checks: BTreeMap::new(),
    })
}

fn check(result: Result<(), String>) -> CheckView {
    match result {
        Ok(()) => CheckView {
            status: "ok".to_owned(),
            error: None,
        },
        Err(e) => CheckView {
            status: "failed".to_owned(),
            error: Some(e),
        },
    }
}

/// Ready to serve: the database answers, its migrations are applied, the scheduler runs.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = HealthView),
        (status = 503, description = "Not ready; the failed checks say why", body = HealthView),
    )
)]
pub(crate) async fn readyz(state: web::Data<SharedState>) -> HttpResponse {
    let mut checks = BTreeMap::new();
    match actix_web::rt::time::timeout(state.readiness_timeout, state.readiness.checks()).await {
        Ok(results) => {
            for c in results {
                checks.insert(c.name.to_owned(), check(c.result));
            }
        }
        Err(_) => {
            checks.insert(
                "database".to_owned(),
                check(Err(format!(
                    "no answer within {} ms",
                    state.readiness_timeout.as_millis()
                ))),
            );
        }
    }
    let scheduler = if state.control.is_running() {
        Ok(())
    } else {
        Err("the scheduler is not running".to_owned())
    };
    checks.insert("scheduler".to_owned(), check(scheduler));
    let ready = checks.values().all(|c| c.error.is_none());
    let body = HealthView {
        status: if ready { "ready" } else { "not_ready" }.to_owned(),
        checks,
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus metrics in the text exposition format; every configured job's gauges are read
/// afresh for each scrape (the jobs beyond the per-job limit summed up as `job_name="(other)"`).
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 404, description = "Metrics are not enabled", body = crate::error::ErrorBody),
    )
)]
pub(crate) async fn metrics(state: web::Data<SharedState>) -> Result<HttpResponse, ApiError> {
    let handle = state
        .metrics
        .as_ref()
        .ok_or_else(|| ApiError::not_found("metrics are not enabled in this service"))?;
    let jobs = state
        .job_metrics
        .render_from(
            state.control.as_ref(),
            state.store.as_ref(),
            state.metrics_job_series,
            state.readiness_timeout,
        )
        .await;
    let mut body = handle.render();
    body.push_str(&jobs);
    Ok(HttpResponse::Ok()
        .content_type(ContentType(
            "text/plain; version=0.0.4; charset=utf-8"
                .parse()
                .map_err(|_| ApiError::internal("the metrics content type cannot be built"))?,
        ))
        .body(body))
}
