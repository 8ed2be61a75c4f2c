//! Start-up and shutdown of the service.

use std::sync::Arc;
use std::time::Duration;

use propimport_domain::{Clock, ExecutionStore, Job, ListingStore, Notifier, SystemClock};
use propimport_importer::Importer;
use propimport_persistence::{Database, PoolOptions, SqlExecutionStore, SqlListingStore};
use propimport_scheduler::{
    Alerts, RunSettings, ScheduledJob, Scheduler, SchedulerSettings, TrackedRunner,
    WebhookNotifier, default_instance_id,
};

use crate::config::Config;
use crate::import_job::ImportJob;

/// Opens and migrates the configured database.
pub async fn open(config: &Config) -> anyhow::Result<Database> {
    let db = Database::connect(&config.database_url, PoolOptions::default()).await?;
    let applied = db.migrate().await?;
    tracing::info!(database = %config.database_url.redacted(), applied, "database ready");
    Ok(db)
}

/// One scheduled import job per configured source, storing into `db`.
pub fn import_jobs(config: &Config, db: &Database) -> anyhow::Result<Vec<ScheduledJob>> {
    let listings: Arc<dyn ListingStore> = Arc::new(SqlListingStore::new(db.clone()));
    config
        .sources
        .iter()
        .map(|source| {
            let importer = Importer::builder(source.config.clone(), listings.clone()).build()?;
            Ok(ScheduledJob {
                job: Arc::new(ImportJob::new(importer)) as Arc<dyn Job>,
                schedule: Some(
                    source
                        .schedule
                        .clone()
                        .unwrap_or_else(|| config.scheduling.schedule.clone()),
                ),
            })
        })
        .collect()
}

/// `propimport migrate`.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let db = open(&config).await?;
    db.close();
    Ok(())
}

/// `propimport serve`: migrates, starts the scheduler (which recovers abandoned runs and
/// catches up a missed tick), then runs until SIGINT or SIGTERM and shuts down gracefully.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let db = open(&config).await?;
    let store: Arc<dyn ExecutionStore> = Arc::new(SqlExecutionStore::new(db.clone()));
    let s = &config.scheduling;
    let notifier = match &s.alert_webhook {
        Some(url) => Some(Arc::new(WebhookNotifier::new(
            url.clone(),
            Duration::from_secs(10),
            3,
        )?) as Arc<dyn Notifier>),
        None => None,
    };
    let runner = Arc::new(TrackedRunner::new(
        store,
        Arc::new(SystemClock) as Arc<dyn Clock>,
        Arc::new(Alerts::new(s.alerts, notifier)),
        RunSettings {
            instance_id: default_instance_id(),
            heartbeat_interval: s.heartbeat,
        },
    ));
    let jobs = import_jobs(&config, &db)?;
    let settings = SchedulerSettings {
        lease: chrono::Duration::from_std(s.lease)?,
        misfire: s.misfire,
        retention: Some((s.retention, s.retention_schedule.clone())),
    };
    let scheduler = Scheduler::new(runner, jobs, settings).start().await;
    let now = chrono::Utc::now();
    for status in scheduler.status().await.unwrap_or_default() {
        match (&status.schedule, status.next_runs.first()) {
            (Some(schedule), Some(next)) => tracing::info!(
                job = %status.job_name,
                schedule = %schedule,
                next_local = %next.with_timezone(&schedule.timezone()),
                next_utc = %next,
                "import scheduled"
            ),
            _ => tracing::info!(job = %status.job_name, "import runs only when triggered"),
        }
    }
    if config.sources.is_empty() {
        tracing::warn!(
            "no import source configured (IMPORT_SOURCE_URL or IMPORT_SOURCES_FILE); only the retention purge runs"
        );
    }
    if let Some(next) = s.retention_schedule.next_after(now) {
        tracing::info!(
            schedule = %s.retention_schedule,
            next_local = %next.with_timezone(&s.retention_schedule.timezone()),
            next_utc = %next,
            "retention purge scheduled"
        );
    }
    tracing::info!("propimport is running; press Ctrl+C to stop");
    shutdown_signal().await;
    tracing::info!("received, shutting down");
    scheduler.shutdown(s.shutdown_grace).await;
    db.close();
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl+C stops the service");
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
