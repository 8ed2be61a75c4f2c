//! Start-up and shutdown of the service.

use anyhow::Context as _;
use chrono::{Duration, Utc};
use propimport_domain::ExecutionStore as _;
use propimport_persistence::{Database, PoolOptions, SqlExecutionStore};

use crate::config::Config;

/// How long a RUNNING execution may go without a heartbeat before it counts as abandoned.
const LEASE: Duration = Duration::minutes(2);

async fn open(config: &Config) -> anyhow::Result<Database> {
    let db = Database::connect(&config.database_url, PoolOptions::default()).await?;
    let applied = db.migrate().await?;
    tracing::info!(database = %config.database_url.redacted(), applied, "database ready");
    Ok(db)
}

/// `propimport migrate`.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let db = open(&config).await?;
    db.close();
    Ok(())
}

/// `propimport serve`: migrates, recovers abandoned runs, then waits for a shutdown signal.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let db = open(&config).await?;
    let store = SqlExecutionStore::new(db.clone());
    let recovered = store
        .recover_stale(Utc::now(), LEASE)
        .await
        .context("recovering abandoned runs")?;
    for e in &recovered {
        tracing::warn!(execution_id = %e.id, job_name = %e.job_name, "marked abandoned run FAILED");
    }
    tracing::info!("propimport is running; press Ctrl+C to stop");
    shutdown_signal().await;
    tracing::info!("received, shutting down");
    db.close();
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
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
