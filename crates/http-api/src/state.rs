//! What the handlers share, and the actix `App` that serves everything.

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{Compress, DefaultHeaders, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, web};
use metrics_exporter_prometheus::PrometheusHandle;
use propimport_domain::{AlertStore, Clock, ExecutionStore, SystemClock};

use crate::rate_limit::TriggerLimiter;
use crate::{ApiError, AuthSettings, JobControl, Readiness, TriggerRateLimit};

/// Largest request body accepted (the trigger body is a tiny JSON object); a larger one is
/// answered 413 `PAYLOAD_TOO_LARGE`.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Everything the API is built from; the app fills it once at start-up.
pub struct ApiState {
    /// The execution records.
    pub store: Arc<dyn ExecutionStore>,
    /// Triggers and scheduler status.
    pub control: Arc<dyn JobControl>,
    /// The checks of `/readyz`.
    pub readiness: Arc<dyn Readiness>,
    /// Who may call the admin endpoints.
    pub auth: AuthSettings,
    /// The limit of manual triggers per caller and job; `None` disables it.
    pub trigger_rate_limit: Option<TriggerRateLimit>,
    /// Consecutive failures at which an alert is raised (shown by `/status`).
    pub alert_threshold: u32,
    /// Renders `/metrics`; `None` answers 404 there.
    pub metrics: Option<PrometheusHandle>,
    /// The time source (statistics windows, audit times).
    pub clock: Arc<dyn Clock>,
    /// How long `/readyz` waits for each check.
    pub readiness_timeout: Duration,
    /// The alert history of `/alerts` (`None`: an empty history).
    pub alerts: Option<Arc<dyn AlertStore>>,
}

impl ApiState {
    /// A state with the default rate limit (1 trigger of a job per 60 s), the system clock, an
    /// alert threshold of 3 and no metrics.
    pub fn new(
        store: Arc<dyn ExecutionStore>,
        control: Arc<dyn JobControl>,
        readiness: Arc<dyn Readiness>,
        auth: AuthSettings,
    ) -> Self {
        Self {
            store,
            control,
            readiness,
            auth,
            trigger_rate_limit: Some(TriggerRateLimit::default()),
            alert_threshold: 3,
            metrics: None,
            clock: Arc::new(SystemClock),
            readiness_timeout: Duration::from_secs(3),
            alerts: None,
        }
    }
}

/// The state as the handlers see it, shared by every worker.
pub(crate) struct SharedState {
    pub(crate) store: Arc<dyn ExecutionStore>,
    pub(crate) control: Arc<dyn JobControl>,
    pub(crate) readiness: Arc<dyn Readiness>,
    pub(crate) auth: AuthSettings,
    pub(crate) limiter: TriggerLimiter,
    /// The bound on audit rows of attempts refused before a job was asked to run.
    pub(crate) refusals: crate::audit_budget::RefusalBudget,
    pub(crate) alert_threshold: u32,
    pub(crate) metrics: Option<PrometheusHandle>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) readiness_timeout: Duration,
    pub(crate) alerts: Option<Arc<dyn AlertStore>>,
    /// The last `/status` answer, reused while still current.
    pub(crate) status_cache: crate::status_cache::StatusCache,
    /// What `/metrics` remembers of each job between scrapes.
    pub(crate) job_metrics: crate::job_metrics::JobMetrics,
}

/// The built API, cheap to clone into each actix worker; its rate limiter is shared.
#[derive(Clone)]
pub struct AdminApi(web::Data<SharedState>);

impl AdminApi {
    /// Builds the API from its state.
    pub fn new(state: ApiState) -> Self {
        Self(web::Data::new(SharedState {
            store: state.store,
            control: state.control,
            readiness: state.readiness,
            auth: state.auth,
            limiter: TriggerLimiter::new(state.trigger_rate_limit),
            refusals: crate::audit_budget::RefusalBudget::default(),
            alert_threshold: state.alert_threshold,
            metrics: state.metrics,
            clock: state.clock,
            readiness_timeout: state.readiness_timeout,
            alerts: state.alerts,
            status_cache: crate::status_cache::StatusCache::default(),
            job_metrics: crate::job_metrics::JobMetrics::default(),
        }))
    }
}

/// The actix application serving the admin API, the operations endpoints, the docs and the
/// dashboard, with request metrics, compression, size limits, JSON errors for bad input and for
/// the framework's own refusals (405 with `Allow`, 413), and framing protection on every page.
pub fn configure(
    api: AdminApi,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(api.0)
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(
            web::JsonConfig::default()
                .limit(MAX_BODY_BYTES)
                .error_handler(|e, _| {
                    ApiError::invalid(format!("the request body is not valid JSON: {e}")).into()
                }),
        )
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            ApiError::invalid(format!("the query string cannot be read: {e}")).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|e, _| {
            ApiError::invalid(format!("the path cannot be read: {e}")).into()
        }))
        .configure(crate::handlers::routes)
        .configure(crate::openapi::routes)
        .configure(crate::dashboard::routes)
        .default_service(web::to(not_found))
        .wrap(from_fn(crate::middleware::json_errors))
        .wrap(from_fn(crate::middleware::page_security))
        .wrap(Compress::default())
        .wrap(
            DefaultHeaders::new()
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::REFERRER_POLICY, "no-referrer")),
        )
        .wrap(from_fn(crate::http_metrics::track))
}

/// Paths served by GET only through services that do not answer other methods themselves
/// (the docs UI and the OpenAPI document).
fn get_only(path: &str) -> bool {
    path == "/api/v1/openapi.json" || path.starts_with("/docs/")
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    if req.method() != actix_web::http::Method::GET && get_only(req.path()) {
        let e = ApiError::method_not_allowed(format!(
            "{} is not allowed on {}; allowed: GET",
            req.method(),
            req.path()
        ));
        let mut answer = actix_web::ResponseError::error_response(&e);
        answer
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET"));
        return answer;
    }
    let e = ApiError::not_found(format!("no endpoint {} {}", req.method(), req.path()));
    actix_web::ResponseError::error_response(&e)
}
