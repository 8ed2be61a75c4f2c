//! The admin HTTP API of propimport, built on actix-web.
//!
//! It serves the import-jobs endpoints of the earlier service under
//! `/api/v1/admin/import-jobs` (same paths, parameters and camelCase JSON shapes), secured by
//! a bearer token or an HS256 JWT with an admin role, with rate-limited and audited manual
//! triggers and audited operator control (pause and resume a job, cancel a run); plus
//! `/healthz`, `/readyz`, Prometheus `/metrics`, the OpenAPI document at
//! `/api/v1/openapi.json`, an offline docs UI at `/docs/` and the monitoring dashboard at
//! `/dashboard/`.
//!
//! The crate depends on the domain's ports only: an [`ExecutionStore`] for the records, a
//! [`JobControl`] for triggers, pauses, cancels and scheduler status, and a [`Readiness`]
//! probe. The app crate implements them with the scheduler and the SQL stores, builds an
//! [`AdminApi`] once, and serves [`configure`]'s `App` from each worker of its `HttpServer`:
//!
//! ```no_run
//! # async fn run(state: propimport_http_api::ApiState) -> std::io::Result<()> {
//! use actix_web::HttpServer;
//! use propimport_http_api::{AdminApi, configure};
//! let api = AdminApi::new(state);
//! HttpServer::new(move || configure(api.clone()))
//!     .bind(("127.0.0.1", 5050))?
//!     .run()
//!     .await
//! # }
//! ```
//!
//! [`ExecutionStore`]: propimport_domain::ExecutionStore

mod app;
mod audit_budget;
mod auth;
mod dashboard;
pub mod dto;
mod error;
mod handlers;
mod http_metrics;
mod job_metrics;
mod middleware;
mod openapi;
mod params;
mod ports;
mod rate_limit;
mod state;
mod status_cache;

#[cfg(feature = "testing")]
pub mod testing;

pub use app::configure;
pub use audit_budget::{
    OVERALL as AUDIT_REFUSALS_PER_MINUTE, PER_ADDRESS as AUDIT_REFUSALS_PER_ADDRESS,
};
pub use auth::{AuthError, AuthSettings, JWT_LEEWAY_SECS, JwtSettings};
pub use dashboard::CONTENT_SECURITY_POLICY;
pub use error::ApiError;
pub use error::{ErrorBody, ErrorDetail};
pub use job_metrics::JobSeries;
pub use middleware::DOCS_CONTENT_SECURITY_POLICY;
pub use openapi::ApiDoc;
pub use ports::{
    ChangeBy, JobControl, JobFlags, JobState, Readiness, ReadinessCheck, RetryState, SourceAdmin,
    SourceRefusal, StoreReadiness, TickState, WaitState,
};
pub use rate_limit::TriggerRateLimit;
pub use state::{AdminApi, ApiState, MAX_BODY_BYTES};

/// The names of the metrics this crate records: HTTP requests, the per-job gauges of
/// `/metrics` and the audit rows not written.
pub mod metric_names {
    pub use crate::audit_budget::SUPPRESSED_METRIC as AUDIT_ROWS_SUPPRESSED;
    pub use crate::http_metrics::{DURATION as HTTP_REQUEST_DURATION, REQUESTS as HTTP_REQUESTS};
    pub use crate::job_metrics::{
        CONSECUTIVE_FAILURES, LAST_SUCCESS, LATE, NEXT_RUN, OTHER_JOBS, PAUSED, PERIOD, RUNNING,
    };
}

/// The base path of the import-jobs endpoints.
pub const IMPORT_JOBS_PATH: &str = "/api/v1/admin/import-jobs";
