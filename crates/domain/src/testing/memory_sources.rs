//! An in-memory [`SourceStore`], its audit entries written to an execution store.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

use crate::{
    AuditOutcome, Error, ExecutionStore, JobName, NewAuditEntry, Result, SourceChange, SourceStore,
    SourceWrite, StoredSource,
};

/// A [`SourceStore`] in memory; its audit entries go to `audit`.
pub struct InMemorySourceStore {
    state: Mutex<State>,
    audit: Arc<dyn ExecutionStore>,
}

#[derive(Default)]
struct State {
    revision: Option<i64>,
    sources: Vec<StoredSource>,
}

impl InMemorySourceStore {
    /// An empty catalog that writes its audit entries to `audit`.
    pub fn new(audit: Arc<dyn ExecutionStore>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            audit,
        }
    }

    /// The execution store its audit entries go to.
    pub fn audit(&self) -> &dyn ExecutionStore {
        self.audit.as_ref()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn audited(&self, name: &JobName, change: &SourceChange) -> Result<()> {
        self.audit
            .record_audit(NewAuditEntry {
                at: change.at,
                actor: change.actor.clone(),
                remote_addr: change.remote_addr.clone(),
                action: change.action.clone(),
                job_name: Some(name.clone()),
                outcome: AuditOutcome::Accepted,
                execution_id: None,
                detail: change.detail.clone(),
            })
            .await
            .map(|_| ())
    }
}

fn stored(source: &SourceWrite, change: &SourceChange) -> StoredSource {
    StoredSource {
        name: source.name.clone(),
        spec: source.spec.clone(),
        enabled: source.enabled,
        sealed_credentials: source.sealed_credentials.clone(),
        version: 1,
        created_at: change.at,
        created_by: change.actor.clone(),
        updated_at: change.at,
        updated_by: change.actor.clone(),
    }
}

fn bump(revision: &mut Option<i64>) {
    *revision = Some(revision.unwrap_or(0) + 1);
}

#[async_trait]
impl SourceStore for InMemorySourceStore {
    async fn catalog_revision(&self) -> Result<Option<i64>> {
        Ok(self.state().revision)
    }

    async fn sources(&self) -> Result<Vec<StoredSource>> {
        Ok(self.state().sources.clone())
    }

    async fn source(&self, name: &JobName) -> Result<Option<StoredSource>> {
        Ok(self
            .state()
            .sources
            .iter()
            .find(|s| &s.name == name)
            .cloned())
    }

    async fn seed_sources(&self, sources: &[SourceWrite], change: &SourceChange) -> Result<bool> {
        {
            let mut state = self.state();
            if state.revision.is_some() {
                return Ok(false);
            }
            for source in sources {
                if state.sources.iter().any(|s| s.name == source.name) {
                    return Err(Error::SourceExists(source.name.clone()));
                }
                state.sources.push(stored(source, change));
            }
            bump(&mut state.revision);
        }
        for source in sources {
            self.audited(&source.name, change).await?;
        }
        Ok(true)
    }

    async fn create_source(
        &self,
        source: &SourceWrite,
        change: &SourceChange,
    ) -> Result<StoredSource> {
        let created = {
            let mut state = self.state();
            if state.sources.iter().any(|s| s.name == source.name) {
                return Err(Error::SourceExists(source.name.clone()));
            }
            let created = stored(source, change);
            state.sources.push(created.clone());
            bump(&mut state.revision);
            created
        };
        self.audited(&source.name, change).await?;
        Ok(created)
    }

    async fn update_source(
        &self,
        source: &SourceWrite,
        expected: Option<i64>,
        change: &SourceChange,
    ) -> Result<StoredSource> {
        let updated = {
            let mut state = self.state();
            let Some(found) = state.sources.iter_mut().find(|s| s.name == source.name) else {
                return Err(Error::SourceNotFound(source.name.clone()));
            };
            found.check_version(expected)?;
            found.spec = source.spec.clone();
            found.enabled = source.enabled;
            found.sealed_credentials = source.sealed_credentials.clone();
            found.version += 1;
            found.updated_at = change.at;
            found.updated_by = change.actor.clone();
            let updated = found.clone();
            bump(&mut state.revision);
            updated
        };
        self.audited(&source.name, change).await?;
        Ok(updated)
    }

    async fn delete_source(
        &self,
        name: &JobName,
        expected: Option<i64>,
        change: &SourceChange,
    ) -> Result<StoredSource> {
        let deleted = {
            let mut state = self.state();
            let Some(at) = state.sources.iter().position(|s| &s.name == name) else {
                return Err(Error::SourceNotFound(name.clone()));
            };
            state.sources[at].check_version(expected)?;
            let deleted = state.sources.remove(at);
            bump(&mut state.revision);
            deleted
        };
        self.audited(name, change).await?;
        Ok(deleted)
    }
}
