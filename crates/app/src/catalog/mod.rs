//! The source catalog: import sources stored as data in the database, read and changed at
//! run time through the admin API, the command line and the dashboard.
//!
//! With `IMPORT_SOURCES_MODE=database` (the default) the sources file or the
//! `IMPORT_SOURCE_*` variables (else the demo feeds) seed a catalog that was never seeded;
//! from then on the catalog is the truth and the configuration is not read again. With
//! `IMPORT_SOURCES_MODE=config` the configured sources run as they are, and the catalog is
//! read-only. A change is checked exactly as the start-up configuration is
//! (`config::sources::build`), its credentials sealed (`sealing.rs`), stored with its audit
//! entry, and picked up by every replica's scheduler within a second (`watcher.rs`).

mod admin;
mod location;
mod specs;
pub mod watcher;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use propimport_domain::{
    Clock, SourceChange, SourceCredentials, SourceSpec, SourceStore, SourceWrite, StoredSource,
};
use propimport_http_api::SourceRefusal;

use crate::config::{Config, Source, SourceDefaults, SourcesMode, SpecOrigin};
use crate::sealing::CredentialKey;

/// The actor of the changes the service makes itself (the seed).
pub const SEED_ACTOR: &str = "system:seed";

/// For the commands that work with the sources (`import`, `remap`, `jobs`, `executions`): in
/// the `database` mode the catalog's sources that run replace the configured ones (a catalog
/// never seeded is seeded first), so that they see what the service runs.
///
/// # Errors
/// When the database cannot be opened or the seed fails.
pub async fn load(config: &mut Config) -> anyhow::Result<()> {
    if config.sources_mode != SourcesMode::Database {
        return Ok(());
    }
    let db = crate::database::open_quietly(config).await?;
    let catalog = Catalog::new(
        config,
        Arc::new(propimport_persistence::SqlSourceStore::new(db.clone())),
        Arc::new(propimport_domain::SystemClock),
    );
    catalog.seed_if_new().await?;
    config.sources = catalog
        .runnable()
        .await?
        .into_iter()
        .map(|r| r.source)
        .collect();
    db.close();
    Ok(())
}

/// The source catalog of one process.
pub struct Catalog {
    store: Arc<dyn SourceStore>,
    defaults: SourceDefaults,
    key: Option<CredentialKey>,
    mode: SourcesMode,
    file_feeds_dir: Option<std::path::PathBuf>,
    configured: Vec<Source>,
    clock: Arc<dyn Clock>,
    started_at: DateTime<Utc>,
    /// Woken after a change made by this process, so that its scheduler picks it up at once.
    pub changed: Arc<tokio::sync::Notify>,
}

/// A source of the catalog that runs: what it runs as, and the version it was built from.
#[derive(Clone)]
pub struct RunnableSource {
    /// The source, checked and with its credentials.
    pub source: Source,
    /// Its stored version (0 for configured sources).
    pub version: i64,
}

impl Catalog {
    /// The catalog of `config` on `store`.
    pub fn new(config: &Config, store: Arc<dyn SourceStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            defaults: config.source_defaults.clone(),
            key: config.credentials_key.clone(),
            mode: config.sources_mode,
            file_feeds_dir: config.file_feeds_dir.clone(),
            configured: config.sources.clone(),
            started_at: clock.now(),
            clock,
            changed: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Whether the catalog is the truth (`IMPORT_SOURCES_MODE=database`).
    pub fn is_stored(&self) -> bool {
        self.mode == SourcesMode::Database
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn SourceStore> {
        &self.store
    }

    /// Seeds a catalog that was never seeded with the configured sources; gives whether it
    /// did. Nothing in the `config` mode.
    ///
    /// # Errors
    /// When a configured source has credentials and no key is set to seal them, or the store
    /// fails.
    pub async fn seed_if_new(&self) -> anyhow::Result<bool> {
        if !self.is_stored() {
            return Ok(false);
        }
        if self.store.catalog_revision().await?.is_some() {
            return Ok(false);
        }
        let writes = self
            .configured
            .iter()
            .map(|s| self.write_of(s.spec.clone(), true))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("seeding the source catalog: {e} (or set IMPORT_SOURCES_MODE=config to run the configured sources without the catalog)"))?;
        let change = SourceChange {
            at: self.clock.now(),
            actor: SEED_ACTOR.to_owned(),
            remote_addr: None,
            action: "source.seed".to_owned(),
            detail: Some(format!("seeded from {}", seed_origin())),
        };
        let seeded = self.store.seed_sources(&writes, &change).await?;
        if seeded {
            tracing::info!(
                sources = writes.len(),
                from = seed_origin(),
                "source catalog seeded"
            );
        }
        Ok(seeded)
    }

    /// Says that the configured sources are not read when they differ from the catalog's:
    /// the catalog was seeded before (`serve` says it once at start-up; replicas started
    /// together with the same file say nothing).
    pub async fn warn_ignored(&self) {
        let origin = seed_origin();
        if !self.is_stored() || origin == DEMO_ORIGIN {
            return;
        }
        let Ok(stored) = self.store.sources().await else {
            return;
        };
        let configured: Vec<SourceSpec> = self
            .configured
            .iter()
            .map(|s| {
                let mut spec = s.spec.clone();
                let _ = spec.take_credentials();
                spec
            })
            .collect();
        let same = stored.len() == configured.len()
            && stored.iter().zip(&configured).all(|(s, c)| &s.spec == c);
        if !same {
            tracing::warn!(
                "{origin} is set, but the source catalog was seeded before and differs from it: the catalog's sources run, the configuration's are not read again; change sources through the admin API, `propimport sources` or the dashboard, or set IMPORT_SOURCES_MODE=config to run the configured ones"
            );
        }
    }

    /// The sources that run: the enabled sources of the catalog that check and whose
    /// credentials open (the others are logged), or the configured ones.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn runnable(&self) -> anyhow::Result<Vec<RunnableSource>> {
        if !self.is_stored() {
            return Ok(self
                .configured
                .iter()
                .map(|s| RunnableSource {
                    source: s.clone(),
                    version: 0,
                })
                .collect());
        }
        let mut runnable = Vec::new();
        for stored in self.store.sources().await? {
            if !stored.enabled {
                continue;
            }
            match self.runnable_of(&stored) {
                Ok(source) => runnable.push(RunnableSource {
                    source,
                    version: stored.version,
                }),
                Err(problem) => {
                    tracing::error!(job_name = %stored.name, version = stored.version, problem = %problem, "source not scheduled: it does not check as stored");
                }
            }
        }
        Ok(runnable)
    }

    /// What a stored source runs as.
    fn runnable_of(&self, stored: &StoredSource) -> Result<Source, String> {
        let mut spec = stored.spec.clone();
        spec.set_credentials(self.credentials_of(stored)?);
        crate::config::sources_build(spec, &self.defaults, &SpecOrigin::Api)
    }

    /// The credentials of a stored source, opened.
    fn credentials_of(&self, stored: &StoredSource) -> Result<SourceCredentials, String> {
        match (&stored.sealed_credentials, &self.key) {
            (None, _) => Ok(SourceCredentials::default()),
            (Some(_), None) => {
                Err("its credentials are sealed and SOURCE_CREDENTIALS_KEY is not set".to_owned())
            }
            (Some(sealed), Some(key)) => key.open(&stored.name, sealed),
        }
    }

    /// Checks a source as written and gives what is stored of it.
    fn write_of(&self, spec: SourceSpec, enabled: bool) -> Result<SourceWrite, SourceRefusal> {
        let source = crate::config::sources_build(spec, &self.defaults, &SpecOrigin::Api)
            .map_err(SourceRefusal::Invalid)?;
        let name = source.config.name.clone();
        let mut spec = source.spec;
        let credentials = spec.take_credentials();
        let sealed_credentials = if credentials.is_empty() {
            None
        } else {
            let Some(key) = &self.key else {
                let field = if credentials.token.is_some() {
                    "token"
                } else {
                    "clientSecret"
                };
                return Err(SourceRefusal::Invalid(format!(
                    "{field}: credentials are stored sealed, and SOURCE_CREDENTIALS_KEY is not set; set it to 64 hexadecimal digits (32 random bytes, such as `openssl rand -hex 32`), the same on every replica"
                )));
            };
            Some(
                key.seal(&name, &credentials)
                    .map_err(SourceRefusal::Invalid)?,
            )
        };
        Ok(SourceWrite {
            name,
            spec,
            enabled,
            sealed_credentials,
        })
    }
}

/// The seed's origin when no source is configured.
const DEMO_ORIGIN: &str = "the demo feeds";

/// Where the seed came from, for the audit log.
fn seed_origin() -> String {
    if let Ok(file) = std::env::var("IMPORT_SOURCES_FILE") {
        format!("IMPORT_SOURCES_FILE={file:?}")
    } else if std::env::var("IMPORT_SOURCE_URL").is_ok() {
        "the IMPORT_SOURCE_* variables".to_owned()
    } else {
        DEMO_ORIGIN.to_owned()
    }
}
