//! The request handlers, one module per area.

pub(crate) mod audit;
pub(crate) mod import_jobs;
pub(crate) mod ops;
pub(crate) mod trigger;

use actix_web::web;

use crate::IMPORT_JOBS_PATH;

/// Registers every API route; fixed paths before `/{executionId}`.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(IMPORT_JOBS_PATH)
            .service(import_jobs::history)
            .service(import_jobs::statistics)
            .service(import_jobs::last)
            .service(import_jobs::status)
            .service(trigger::trigger)
            .service(import_jobs::execution),
    )
    .service(audit::audit_log)
    .service(ops::healthz)
    .service(ops::readyz)
    .service(ops::metrics);
}
