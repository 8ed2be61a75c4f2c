//! Opening the configured database: connect, migrate, say so.

use propimport_persistence::{Database, PoolOptions};

use crate::config::Config;

/// Opens and migrates the configured database.
pub async fn open(config: &Config) -> anyhow::Result<Database> {
    let db = open_quietly(config).await?;
    tracing::info!(database = %config.database_url.redacted(), "database ready");
    Ok(db)
}

/// [`open`] without its log line (for a command that opens the database again); the
/// migrations it applies are logged.
pub async fn open_quietly(config: &Config) -> anyhow::Result<Database> {
    let options = PoolOptions::default().with_timeout(config.database_timeout);
    let db = Database::connect(&config.database_url, options).await?;
    let applied = db.migrate().await?;
    if applied > 0 {
        tracing::info!(database = %config.database_url.redacted(), applied, "database migrated");
    }
    Ok(db)
}
