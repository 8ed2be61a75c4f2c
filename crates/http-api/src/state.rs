//! What the handlers share: the state the app builds the API from, the shared state every
//! worker serves it with, and the admin extractors (`auth::Admin`, `auth::Attempt`), which
//! check a request's credentials against that state's `AuthSettings`.

use std::future::{Ready, ready};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use metrics_exporter_prometheus::PrometheusHandle;
use propimport_domain::{AlertStore, Clock, ExecutionStore, SystemClock};

use crate::auth::{self, Actor, Admin, Attempt, Refusal};
use crate::rate_limit::TriggerLimiter;
use crate::{ApiError, AuthSettings, JobControl, JobSeries, Readiness, TriggerRateLimit};

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
    /// How many jobs have per-job gauges of their own in `/metrics` (the rest are summed up).
    pub metrics_job_series: JobSeries,
    /// The source catalog of `/sources` (`None`: those routes answer 404).
    pub sources: Option<Arc<dyn crate::SourceAdmin>>,
}

impl ApiState {
    /// A state with the default rate limit (1 trigger of a job per 60 s), the system clock, an
    /// alert threshold of 3 and no metrics (per-job gauges for the first 100 jobs when set).
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
            metrics_job_series: JobSeries::DEFAULT,
            sources: None,
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
    pub(crate) metrics_job_series: JobSeries,
    pub(crate) sources: Option<Arc<dyn crate::SourceAdmin>>,
    /// The last `/status` answers, reused while still current.
    pub(crate) status_cache: crate::status_cache::StatusCache,
    /// The per-job gauges of the last `/metrics` scrape.
    pub(crate) job_metrics: crate::job_metrics::JobMetrics,
}

/// The built API, cheap to clone into each actix worker; its rate limiter is shared.
#[derive(Clone)]
pub struct AdminApi(pub(crate) web::Data<SharedState>);

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
            metrics_job_series: state.metrics_job_series,
            sources: state.sources,
            status_cache: crate::status_cache::StatusCache::default(),
            job_metrics: crate::job_metrics::JobMetrics::default(),
        }))
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(|_| Admin).map_err(|r| r.error))
    }
}

impl FromRequest for Attempt {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Attempt(authenticate(req))))
    }
}

/// Checks an admin request's credentials against the shared state's [`AuthSettings`].
fn authenticate(req: &HttpRequest) -> Result<Actor, Refusal> {
    let settings = req
        .app_data::<web::Data<SharedState>>()
        .map(|state| &state.auth);
    auth::attempt(settings, req)
}
