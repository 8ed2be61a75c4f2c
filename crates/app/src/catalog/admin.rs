//! The catalog as the admin API, the command line and the dashboard use it (`SourceAdmin`):
//! sources listed and shown, and created, changed and deleted with an audit entry each.

use async_trait::async_trait;
use propimport_domain::{JobName, SourceChange, SourceView, StoredSource};
use propimport_http_api::{ChangeBy, SourceAdmin, SourceRefusal};
use serde_json::{Map, Value};

use super::{Catalog, specs};
use crate::config::Source;

impl Catalog {
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
