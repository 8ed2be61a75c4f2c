//! A real HTTP server over the API for tests, a job control that records runs in the store,
//! seeded executions, and the endpoint suite run against every store by
//! [`admin_api_suite!`](crate::admin_api_suite).

mod control;
mod live;
mod openapi_check;
mod seed;
mod status;
mod suite;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::HttpServer;
use async_trait::async_trait;
use chrono::Utc;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use propimport_domain::{
    AlertStore, Clock, ControlRefusal, Execution, ExecutionId, ExecutionStore, JobName, JobPause,
    LiveProgress, NewExecution, SystemClock, TriggerRefusal, TriggeredBy,
};

pub use openapi_check::OpenApiChecker;
pub use seed::{Seeded, seed};
pub use suite::*;

use crate::{
    AdminApi, ApiState, AuthSettings, JobControl, JobFlags, JobState, JwtSettings, StoreReadiness,
    configure,
};

/// The admin token of test servers.
pub const TOKEN: &str = "test-admin-token-0123456789";
/// The JWT secret of test servers.
pub const JWT_SECRET: &[u8] = b"test-jwt-secret-0123456789abcdef0123";

/// A [`JobControl`] whose triggers create RUNNING executions in the store (which decides
/// who wins a race) and leave them running until the test finishes them; pauses and cancel
/// requests go to the store too.
pub struct StoreControl {
    store: Arc<dyn ExecutionStore>,
    jobs: Vec<JobName>,
    running: AtomicBool,
    /// The live progress it reports for runs, as if this instance ran them.
    live: live::LiveRuns,
    /// The jobs it reports late.
    late: Vec<JobName>,
}

impl StoreControl {
    /// Controls `jobs`, recording into `store`.
    pub fn new(store: Arc<dyn ExecutionStore>, jobs: Vec<JobName>) -> Self {
        Self {
            store,
            jobs,
            running: AtomicBool::new(true),
            live: live::LiveRuns::default(),
            late: Vec::new(),
        }
    }

    /// Controls `jobs` of which `late` are late (as a scheduler finds a job whose tick had no
    /// run), recording into `store`.
    pub fn with_late(
        store: Arc<dyn ExecutionStore>,
        jobs: Vec<JobName>,
        late: Vec<JobName>,
    ) -> Self {
        Self {
            late,
            ..Self::new(store, jobs)
        }
    }

    /// Reports `live` as the progress of the RUNNING execution `id`, as the instance running
    /// it does (from memory, newer than its heartbeat).
    pub fn set_live(&self, id: ExecutionId, live: LiveProgress) {
        self.live.set(id, live);
    }

    /// Makes `/readyz` see a stopped scheduler, and triggers be refused as shutting down (as
    /// the scheduler refuses them once its shutdown has begun).
    pub fn stop(&self) {
        self.running.store(false, Ordering::SeqCst);
    }
}

#[async_trait]
impl JobControl for StoreControl {
    fn jobs(&self) -> Vec<JobName> {
        self.jobs.clone()
    }

    async fn trigger(
        &self,
        job: Option<&JobName>,
        triggered_by: TriggeredBy,
    ) -> Result<Execution, TriggerRefusal> {
        let configured = || self.configured();
        if !self.running.load(Ordering::SeqCst) {
            return Err(TriggerRefusal::ShuttingDown);
        }
        let job = match job {
            Some(j) if self.jobs.contains(j) => j.clone(),
            Some(j) => {
                return Err(TriggerRefusal::UnknownJob {
                    name: j.to_string(),
                    configured: configured(),
                });
            }
            None => match self.jobs.as_slice() {
                [only] => only.clone(),
                _ => return Err(TriggerRefusal::JobRequired(configured())),
            },
        };
        self.store
            .create_running(NewExecution {
                id: ExecutionId::new(),
                job_name: job,
                triggered_by,
                started_at: Utc::now(),
                scheduled_for: None,
                attempt: 1,
                instance_id: Some("test".into()),
            })
            .await
            .map_err(TriggerRefusal::from)
    }

    async fn pause(
        &self,
        job: &JobName,
        actor: &str,
        reason: Option<&str>,
    ) -> Result<JobPause, ControlRefusal> {
        self.pause_in_store(job, actor, reason).await
    }

    async fn resume(
        &self,
        job: &JobName,
        _actor: &str,
    ) -> Result<Option<JobPause>, ControlRefusal> {
        self.resume_in_store(job).await
    }

    async fn cancel(&self, id: &ExecutionId, actor: &str) -> Result<Execution, ControlRefusal> {
        self.cancel_in_store(id, actor).await
    }

    async fn overview(&self) -> Result<Vec<JobFlags>, propimport_domain::Error> {
        self.overview_of_store().await
    }

    async fn status(&self, jobs: &[JobName]) -> Result<Vec<JobState>, propimport_domain::Error> {
        self.status_of_store(jobs).await
    }

    fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }
}

/// The process-wide metrics recorder of test binaries (installed once).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// A running test server.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The job control behind it.
    pub control: Arc<StoreControl>,
    /// The store behind it.
    pub store: Arc<dyn ExecutionStore>,
    handle: actix_web::dev::ServerHandle,
}

impl TestServer {
    /// Starts a server on a free loopback port over `store` with `jobs`; `rate_limited` keeps
    /// the default trigger limit, else triggers are unlimited.
    pub async fn start(store: Arc<dyn ExecutionStore>, jobs: &[&str], rate_limited: bool) -> Self {
        Self::start_with_clock(store, jobs, rate_limited, Arc::new(SystemClock)).await
    }

    /// Like [`TestServer::start`], with the API's clock (audit times, statistics windows).
    pub async fn start_with_clock(
        store: Arc<dyn ExecutionStore>,
        jobs: &[&str],
        rate_limited: bool,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self::start_with_alerts(store, jobs, rate_limited, clock, None).await
    }

    /// Like [`TestServer::start_with_clock`], serving `/alerts` from `alerts`.
    pub async fn start_with_alerts(
        store: Arc<dyn ExecutionStore>,
        jobs: &[&str],
        rate_limited: bool,
        clock: Arc<dyn Clock>,
        alerts: Option<Arc<dyn AlertStore>>,
    ) -> Self {
        let jobs: Vec<JobName> = jobs.iter().filter_map(|j| JobName::parse(j).ok()).collect();
        let control = Arc::new(StoreControl::new(store.clone(), jobs));
        Self::serve(store, control, rate_limited, clock, alerts).await
    }

    /// Starts a server over `store` whose jobs `control` reports (without a trigger limit).
    pub async fn with_control(store: Arc<dyn ExecutionStore>, control: Arc<StoreControl>) -> Self {
        Self::serve(store, control, false, Arc::new(SystemClock), None).await
    }

    async fn serve(
        store: Arc<dyn ExecutionStore>,
        control: Arc<StoreControl>,
        rate_limited: bool,
        clock: Arc<dyn Clock>,
        alerts: Option<Arc<dyn AlertStore>>,
    ) -> Self {
        let auth = AuthSettings::new(
            Some(TOKEN.to_owned()),
            JwtSettings::new(JWT_SECRET, "app_metadata.role", "admin").ok(),
        )
        .unwrap_or_else(|e| panic!("test auth settings: {e}"));
        let mut state = ApiState::new(
            store.clone(),
            control.clone(),
            Arc::new(StoreReadiness(store.clone())),
            auth,
        );
        if !rate_limited {
            state.trigger_rate_limit = None;
        }
        state.metrics = Some(metrics_handle());
        state.clock = clock;
        state.alerts = alerts;
        let api = AdminApi::new(state);
        let server = HttpServer::new(move || configure(api.clone()))
            .workers(2)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .unwrap_or_else(|e| panic!("bind a loopback port: {e}"));
        let port = server.addrs().first().map_or(0, |a| a.port());
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            base: format!("http://127.0.0.1:{port}"),
            control,
            store,
            handle,
        }
    }

    /// The URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// Expands to the alert-history cases of the API suite. `run` as for
/// [`admin_api_suite!`](crate::admin_api_suite); `stores` is a future of
/// `Option<(Arc<dyn ExecutionStore>, Arc<dyn AlertStore>, guard)>`, both stores of one backend.
#[macro_export]
macro_rules! admin_api_alerts_suite {
    (run = $run:path, stores = $make:expr) => {
        #[test]
        fn alert_history_pages_and_filters() {
            $run(async {
                let Some((store, alerts, _guard)) = $make.await else {
                    return;
                };
                $crate::testing::alert_history_pages_and_filters(store, alerts).await;
            });
        }
    };
}

/// Expands to one test per API suite case. `run` drives a future on a multi-threaded Tokio
/// runtime; `store` is a future of `Option<(Arc<dyn ExecutionStore>, guard)>` (the guard, a
/// temp dir or test database, lives as long as the case; `None` skips the backend).
#[macro_export]
macro_rules! admin_api_suite {
    (run = $run:path, store = $make:expr) => {
        $crate::admin_api_suite!(@cases $run, $make;
            history_shapes_filters_and_pages, statistics_window, last_and_not_found,
            execution_detail, authentication, jwt_signatures_and_times,
            refused_attempts_audited_and_bounded, trigger_conflict_and_audit,
            trigger_every_job, trigger_rate_limit, concurrent_triggers_one_wins, status_shape,
            operations_endpoints, openapi_matches_responses, openapi_declares_constraints,
            empty_values_are_refused, bad_input_is_never_a_500, method_not_allowed_with_allow,
            pages_cannot_be_framed, pause_and_resume_jobs, cancel_running_executions,
            status_searches_filters_and_pages_jobs, a_thousand_jobs_are_answered_a_page_at_a_time);
    };
    (@cases $run:path, $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $run(async {
                    let Some((store, _guard)) = $make.await else { return };
                    $crate::testing::$case(store).await;
                });
            }
        )*
    };
}
