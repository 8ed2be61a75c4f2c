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

mod specs;
pub mod watcher;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use propimport_domain::{
    Clock, JobName, SourceChange, SourceCredentials, SourceSpec, SourceStore, SourceView,
    SourceWrite, StoredSource,
};
use propimport_http_api::{ChangeBy, SourceAdmin, SourceRefusal};
use serde_json::{Map, Value};

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

    /// How the catalog shows a stored source.
    fn view(&self, stored: StoredSource) -> SourceView {
        let credentials = self.credentials_of(&stored);
        let problem = if stored.enabled {
            self.runnable_of(&stored).err()
        } else {
            None
        };
        let (has_token, has_client_secret) = match &credentials {
            Ok(c) => (c.token.is_some(), c.client_secret.is_some()),
            // Sealed but not readable here: something is set.
            Err(_) => (stored.sealed_credentials.is_some(), false),
        };
        SourceView {
            source: stored,
            has_token,
            has_client_secret,
            problem,
        }
    }

    /// A configured source as the catalog shows it in the `config` mode.
    fn configured_view(&self, source: &Source) -> SourceView {
        let mut spec = source.spec.clone();
        let credentials = spec.take_credentials();
        SourceView {
            source: StoredSource {
                name: source.config.name.clone(),
                spec,
                enabled: true,
                sealed_credentials: None,
                version: 0,
                created_at: self.started_at,
                created_by: "configuration".to_owned(),
                updated_at: self.started_at,
                updated_by: "configuration".to_owned(),
            },
            has_token: credentials.token.is_some(),
            has_client_secret: credentials.client_secret.is_some(),
            problem: None,
        }
    }

    /// Refuses a local file as the feed of a source added or changed here (the API, the
    /// command line) unless it lies in `IMPORT_FILE_FEEDS_DIR`: an admin token must not read
    /// the service's own files. A URL left as it was stored passes.
    fn check_location(&self, url: &str, stored: Option<&str>) -> Result<(), SourceRefusal> {
        if stored == Some(url) {
            return Ok(());
        }
        let Ok(propimport_importer::Location::File(path)) =
            propimport_importer::Location::parse(url)
        else {
            return Ok(());
        };
        let inside = self
            .file_feeds_dir
            .as_deref()
            .is_some_and(|dir| within(dir, &path));
        if inside {
            return Ok(());
        }
        Err(SourceRefusal::Invalid(match &self.file_feeds_dir {
            Some(dir) => format!(
                "url={url:?}: a local file must lie in IMPORT_FILE_FEEDS_DIR ({}); other feeds are fetched over http(s)",
                dir.display()
            ),
            None => format!(
                "url={url:?}: a source added through the API or the command line reads its feed over http(s); to allow local files, set IMPORT_FILE_FEEDS_DIR to the folder they are delivered to"
            ),
        }))
    }

    fn writable(&self) -> Result<(), SourceRefusal> {
        if self.is_stored() {
            Ok(())
        } else {
            Err(SourceRefusal::ReadOnly(
                "the sources are read from the configuration (IMPORT_SOURCES_MODE=config): change IMPORT_SOURCES_FILE and restart, or run with IMPORT_SOURCES_MODE=database to manage them here".to_owned(),
            ))
        }
    }

    fn change(&self, by: &ChangeBy, action: &str, detail: String) -> SourceChange {
        SourceChange {
            at: self.clock.now(),
            actor: by.actor.clone(),
            remote_addr: by.remote_addr.clone(),
            action: action.to_owned(),
            detail: Some(detail),
        }
    }

    fn changed_here(&self) {
        self.changed.notify_one();
    }
}

/// Whether `path` (made absolute from the working folder, `..` resolved, links followed where
/// it exists) lies in `dir` (canonical).
fn within(dir: &std::path::Path, path: &std::path::Path) -> bool {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        match std::env::current_dir() {
            Ok(cwd) => cwd.join(path),
            Err(_) => return false,
        }
    };
    let resolved = std::fs::canonicalize(&absolute).unwrap_or_else(|_| {
        let mut out = std::path::PathBuf::new();
        for part in absolute.components() {
            match part {
                std::path::Component::ParentDir => {
                    out.pop();
                }
                std::path::Component::CurDir => {}
                other => out.push(other),
            }
        }
        out
    });
    resolved.starts_with(dir) && resolved != dir
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

#[async_trait]
impl SourceAdmin for Catalog {
    fn read_only(&self) -> bool {
        !self.is_stored()
    }

    async fn list(&self) -> Result<Vec<SourceView>, SourceRefusal> {
        if !self.is_stored() {
            return Ok(self
                .configured
                .iter()
                .map(|s| self.configured_view(s))
                .collect());
        }
        Ok(self
            .store
            .sources()
            .await?
            .into_iter()
            .map(|s| self.view(s))
            .collect())
    }

    async fn get(&self, name: &JobName) -> Result<SourceView, SourceRefusal> {
        if !self.is_stored() {
            return self
                .configured
                .iter()
                .find(|s| &s.config.name == name)
                .map(|s| self.configured_view(s))
                .ok_or_else(|| propimport_domain::Error::SourceNotFound(name.clone()).into());
        }
        self.store
            .source(name)
            .await?
            .map(|s| self.view(s))
            .ok_or_else(|| propimport_domain::Error::SourceNotFound(name.clone()).into())
    }

    async fn create(
        &self,
        body: Map<String, Value>,
        by: &ChangeBy,
    ) -> Result<SourceView, SourceRefusal> {
        self.writable()?;
        let (spec, enabled) = specs::new_spec(body)?;
        self.check_location(&spec.url, None)?;
        let write = self.write_of(spec, enabled.unwrap_or(true))?;
        let detail = specs::created_detail(&write);
        let created = self
            .store
            .create_source(&write, &self.change(by, "source.create", detail))
            .await?;
        self.changed_here();
        Ok(self.view(created))
    }

    async fn update(
        &self,
        name: &JobName,
        patch: Map<String, Value>,
        expected: Option<i64>,
        by: &ChangeBy,
    ) -> Result<SourceView, SourceRefusal> {
        self.writable()?;
        let Some(stored) = self.store.source(name).await? else {
            return Err(propimport_domain::Error::SourceNotFound(name.clone()).into());
        };
        let credentials = self
            .credentials_of(&stored)
            .map_err(|e| SourceRefusal::Invalid(format!("the stored credentials: {e}")))?;
        let patched = specs::patched(&stored, credentials, patch)?;
        self.check_location(&patched.spec.url, Some(&stored.spec.url))?;
        let write = self.write_of(patched.spec, patched.enabled)?;
        let (action, detail) = patched.audit;
        let updated = self
            .store
            .update_source(&write, expected, &self.change(by, action, detail))
            .await?;
        self.changed_here();
        Ok(self.view(updated))
    }

    async fn delete(
        &self,
        name: &JobName,
        expected: Option<i64>,
        by: &ChangeBy,
    ) -> Result<SourceView, SourceRefusal> {
        self.writable()?;
        let deleted = self
            .store
            .delete_source(
                name,
                expected,
                &self.change(by, "source.delete", "deleted; its history stays".to_owned()),
            )
            .await?;
        self.changed_here();
        Ok(self.view(deleted))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::within;

    #[test]
    fn only_files_inside_the_feeds_folder_are_within_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = std::fs::canonicalize(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("a.xml"), "x").unwrap_or_else(|e| panic!("{e}"));
        assert!(within(&root, &root.join("a.xml")));
        assert!(within(&root, &root.join("later/b.xml")), "not there yet");
        assert!(!within(&root, &root.join("../escape.xml")));
        assert!(!within(&root, &root.join("sub/../../escape.xml")));
        assert!(!within(&root, &root), "the folder itself is no feed");
        assert!(!within(&root, Path::new("/etc/hostname")));
        assert!(
            !within(&root, Path::new("relative.xml")),
            "relative to the working folder"
        );
    }
}
