//! Start-up and shutdown of the service.

use std::sync::Arc;
use std::time::Duration;

use propimport_domain::{AlertStore, Clock, ExecutionStore, SystemClock};
use propimport_persistence::{
    Database, ServerLock, SqlAlertStore, SqlExecutionStore, SqlRunQueue, SqlSourceStore,
};
use propimport_scheduler::{
    RunSettings, ScheduledJob, Scheduler, SchedulerSettings, TrackedRunner, default_instance_id,
};

use actix_web::HttpServer;
use propimport_http_api::{AdminApi, ApiState, AuthSettings, configure};

use crate::catalog::Catalog;
use crate::catalog::watcher::{self, CatalogJobs, JobBook, OnJobs};
use crate::config::Config;
use crate::control::{DatabaseReadiness, SchedulerControl};
use crate::import_job::JobFactory;

/// [`open`](crate::database::open) for `serve`: first takes the database's server lock, held
/// while the returned guard lives, so that a second server on one SQLite file is refused
/// before it touches the database (a no-op on PostgreSQL). The other commands use
/// [`open`](crate::database::open) and run next to a server.
pub async fn open_exclusive(config: &Config) -> anyhow::Result<(Database, ServerLock)> {
    let lock = ServerLock::acquire(&config.database_url)?;
    Ok((crate::database::open(config).await?, lock))
}

/// `propimport migrate`.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let db = crate::database::open(&config).await?;
    db.close();
    Ok(())
}

/// `propimport serve`: migrates, starts the scheduler (which recovers abandoned runs and
/// catches up a missed tick) and the HTTP server, then runs until SIGINT or SIGTERM and shuts
/// down gracefully: the server stops accepting, the scheduler stops ticking, a running import
/// gets the grace period, the pools close. A second signal records the running imports FAILED "interrupted: forced shutdown" and exits within a second.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let names: Vec<_> = config
        .sources
        .iter()
        .map(|s| s.config.name.clone())
        .collect();
    let metrics = crate::metrics::install(&names, config.http.metrics_job_series);
    let (db, _server_lock) = open_exclusive(&config).await?;
    let store: Arc<dyn ExecutionStore> = Arc::new(SqlExecutionStore::new(db.clone()));
    let s = &config.scheduling;
    let clock = Arc::new(SystemClock) as Arc<dyn Clock>;
    let catalog = Arc::new(Catalog::new(
        &config,
        Arc::new(SqlSourceStore::new(db.clone())),
        clock.clone(),
    ));
    if !catalog.seed_if_new().await? {
        catalog.warn_ignored().await;
    }
    let revision = if catalog.is_stored() {
        catalog.store().catalog_revision().await?
    } else {
        None
    };
    let factory = JobFactory::new(&config, &db, config.skip_images)?;
    let mut book = JobBook::default();
    let CatalogJobs { jobs, retries } = book.jobs(&factory, &catalog.runnable().await?);
    let alert_store: Arc<dyn AlertStore> = Arc::new(SqlAlertStore::new(db.clone()));
    let alerts = Arc::new(crate::alerting::build(&config, alert_store.clone())?);
    let runner = Arc::new(TrackedRunner::new(
        store.clone(),
        clock,
        alerts.clone(),
        RunSettings {
            instance_id: default_instance_id(),
            heartbeat_interval: s.heartbeat,
            max_duration: s.max_run_duration,
            cancel_overlong: s.cancel_overlong,
            store_retry: config.retrying.store.clone(),
        },
    ));
    crate::metrics::register_jobs(&jobs);
    crate::metrics::set_own_jobs(&job_names(&jobs));
    let periods = crate::metrics::periods(&jobs);
    let settings = SchedulerSettings {
        lease: chrono::Duration::from_std(s.lease)?,
        misfire: s.misfire,
        retention: Some((s.retention, s.retention_schedule.clone())),
        late_after: s.late_grace.map(chrono::Duration::from_std).transpose()?,
        retry: s.retry.clone(),
        job_retries: retries,
    };
    let scheduler = Arc::new(
        Scheduler::new(runner, jobs, settings)
            .with_run_queue(Arc::new(SqlRunQueue::new(db.clone())), s.run_limits)
            .start()
            .await,
    );
    let control = Arc::new(SchedulerControl::new(scheduler.clone(), periods));
    let follower = catalog.is_stored().then(|| {
        let control = control.clone();
        // Counters are started at 0 once per job: only the jobs new since are registered.
        let registered = std::sync::Mutex::new(
            scheduler
                .jobs()
                .into_iter()
                .collect::<std::collections::HashSet<_>>(),
        );
        let on_jobs: OnJobs = Box::new(move |jobs| {
            let new: Vec<ScheduledJob> = {
                let mut known = registered
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                jobs.iter()
                    .filter(|j| known.insert(j.job.name().clone()))
                    .cloned()
                    .collect()
            };
            crate::metrics::register_jobs(&new);
            crate::metrics::set_own_jobs(&job_names(jobs));
            control.set_periods(crate::metrics::periods(jobs));
        });
        tokio::spawn(watcher::follow(
            catalog.clone(),
            factory,
            book,
            scheduler.clone(),
            on_jobs,
            revision,
        ))
    });
    let (auth, generated_token) = match &config.http.auth {
        Some(auth) => (auth.clone(), None),
        None => {
            let token = crate::config::random_token()?;
            (AuthSettings::new(Some(token.clone()), None)?, Some(token))
        }
    };
    let mut state = ApiState::new(
        store,
        control,
        Arc::new(DatabaseReadiness(db.clone())),
        auth,
    );
    state.trigger_rate_limit = config.http.trigger_rate_limit;
    state.alert_threshold = u32::try_from(s.alerts.threshold).unwrap_or(0);
    state.alerts = Some(alert_store);
    state.metrics = metrics;
    state.metrics_job_series = config.http.metrics_job_series;
    state.sources = Some(catalog.clone());
    let api = AdminApi::new(state);
    let server = HttpServer::new(move || configure(api.clone()))
        .workers(2)
        .disable_signals()
        .shutdown_timeout(5)
        .bind((config.http.host, config.http.port))
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {}:{} (HOST, PORT): {e}",
                config.http.host,
                config.http.port
            )
        })?;
    let address = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("the HTTP server bound no address"))?;
    let server = server.run();
    let server_handle = server.handle();
    let server_task = tokio::spawn(server);
    let token_shown = match generated_token {
        Some(token) => {
            use std::io::IsTerminal as _;
            Some(crate::admin_token::place(
                &config,
                &token,
                std::io::stdout().is_terminal(),
            )?)
        }
        None => None,
    };
    crate::banner::print(
        &config,
        address,
        &scheduler.status().await.unwrap_or_default(),
        token_shown.as_ref(),
    );
    tracing::info!(%address, "propimport is running; press Ctrl+C to stop");

    let signal = received_signal().await;
    tracing::info!(signal, "{signal} received, shutting down");
    let forced = scheduler.clone();
    tokio::spawn(async move {
        let signal = received_signal().await;
        tracing::warn!(
            signal,
            "second signal ({signal}): recording the running imports and exiting now"
        );
        // Within a second, whatever the database does: a run not recorded by then is
        // recovered as abandoned by the next start or another replica.
        let _ = tokio::time::timeout(FORCED_EXIT_WITHIN, forced.record_forced_exit()).await;
        std::process::exit(130);
    });
    // Stop accepting first; the workers (and the database connections they opened) stay up
    // until the scheduler has recorded every run, then the server stops.
    server_handle.pause().await;
    if let Some(follower) = follower {
        follower.abort();
    }
    scheduler.shutdown(s.shutdown_grace).await;
    if !alerts.shutdown(crate::alerting::DELIVERY_GRACE).await {
        tracing::warn!("alert deliveries still in flight were abandoned at shutdown");
    }
    server_handle.stop(true).await;
    match server_task.await {
        Ok(Err(e)) => tracing::warn!(error = %e, "the HTTP server stopped with an error"),
        Err(e) => tracing::warn!(error = %e, "the HTTP server task failed"),
        Ok(Ok(())) => {}
    }
    db.close();
    tracing::info!("stopped");
    Ok(())
}

/// The names of `jobs`, in order.
fn job_names(jobs: &[ScheduledJob]) -> Vec<propimport_domain::JobName> {
    jobs.iter().map(|j| j.job.name().clone()).collect()
}

/// How long a second shutdown signal waits for the running imports to be recorded.
const FORCED_EXIT_WITHIN: Duration = Duration::from_millis(800);

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    received_signal().await;
}

/// Resolves on SIGINT or SIGTERM, giving its name.
pub async fn received_signal() -> &'static str {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = interrupt => "SIGINT",
                    _ = term.recv() => "SIGTERM",
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl+C stops the service");
                let _ = interrupt.await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
        "SIGINT"
    }
}
