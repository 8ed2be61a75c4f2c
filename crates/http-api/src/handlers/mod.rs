//! The request handlers, one module per area, and their routes.

pub(crate) mod alerts;
pub(crate) mod audit;
pub(crate) mod control;
pub(crate) mod import_jobs;
pub(crate) mod ops;
pub(crate) mod sources;
pub(crate) mod status;
pub(crate) mod trigger;

use actix_web::web;

use crate::IMPORT_JOBS_PATH;

/// Registers every API route as a resource, so that another method on an existing path is
/// answered 405 with `Allow` (made JSON by the error middleware); fixed paths before
/// `/{executionId}`.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(IMPORT_JOBS_PATH)
            .service(web::resource("/history").route(web::get().to(import_jobs::history::history)))
            .service(
                web::resource("/statistics")
                    .route(web::get().to(import_jobs::statistics::statistics)),
            )
            .service(web::resource("/last").route(web::get().to(import_jobs::last::last)))
            .service(web::resource("/status").route(web::get().to(status::status)))
            .service(web::resource("/trigger").route(web::post().to(trigger::trigger)))
            .service(web::resource("/jobs/{jobName}/pause").route(web::post().to(control::pause)))
            .service(web::resource("/jobs/{jobName}/resume").route(web::post().to(control::resume)))
            .service(web::resource("/{executionId}/cancel").route(web::post().to(control::cancel)))
            .service(
                web::resource("/{executionId}")
                    .route(web::get().to(import_jobs::execution::execution)),
            ),
    )
    .service(web::resource("/api/v1/admin/audit-log").route(web::get().to(audit::audit_log)))
    .service(web::resource("/api/v1/admin/alerts").route(web::get().to(alerts::alerts)))
    .service(
        web::resource("/api/v1/admin/sources")
            .route(web::get().to(sources::list))
            .route(web::post().to(sources::create)),
    )
    .service(
        web::resource("/api/v1/admin/sources/{name}")
            .route(web::get().to(sources::get))
            .route(web::patch().to(sources::update))
            .route(web::delete().to(sources::delete)),
    )
    .service(web::resource("/healthz").route(web::get().to(ops::healthz)))
    .service(web::resource("/readyz").route(web::get().to(ops::readyz)))
    .service(web::resource("/metrics").route(web::get().to(ops::metrics)));
}
