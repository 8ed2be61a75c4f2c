//! The rows of the source catalog and their conversions.

use diesel::prelude::*;
use propimport_domain::{JobName, Result, SourceSpec, SourceWrite, StoredSource};

use crate::error::corrupt;
use crate::schema::import_sources;
use crate::sql_types::DbTime;

/// A stored source.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = import_sources)]
pub(super) struct SourceRow {
    name: String,
    spec: String,
    enabled: bool,
    sealed_credentials: Option<Vec<u8>>,
    version: i64,
    created_at: DbTime,
    created_by: String,
    updated_at: DbTime,
    updated_by: String,
}

impl SourceRow {
    /// The domain's source; a row that does not read back is reported as corrupt.
    pub(super) fn into_domain(self) -> Result<StoredSource> {
        let name = JobName::parse(&self.name)
            .map_err(|e| corrupt(&format!("import_sources.name {:?}", self.name), e))?;
        let spec: SourceSpec = serde_json::from_str(&self.spec)
            .map_err(|e| corrupt(&format!("import_sources.spec of {name}"), e))?;
        Ok(StoredSource {
            name,
            spec,
            enabled: self.enabled,
            sealed_credentials: self.sealed_credentials,
            version: self.version,
            created_at: self.created_at.0,
            created_by: self.created_by,
            updated_at: self.updated_at.0,
            updated_by: self.updated_by,
        })
    }
}

/// A source to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = import_sources)]
pub(super) struct NewSourceRow {
    name: String,
    spec: String,
    enabled: bool,
    sealed_credentials: Option<Vec<u8>>,
    version: i64,
    created_at: DbTime,
    created_by: String,
    updated_at: DbTime,
    updated_by: String,
}

/// The definition of a source to write over a stored one.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = import_sources, treat_none_as_null = true)]
pub(super) struct SourceDefinition {
    spec: String,
    enabled: bool,
    sealed_credentials: Option<Vec<u8>>,
}

/// The spec as stored: its JSON, credentials never among it.
fn spec_text(source: &SourceWrite) -> Result<String> {
    let mut spec = source.spec.clone();
    let _ = spec.take_credentials();
    serde_json::to_string(&spec).map_err(|e| {
        propimport_domain::Error::storage_caused_by("a source spec cannot be written as JSON", e)
    })
}

impl NewSourceRow {
    /// The row of a new source written at `at` by `actor`.
    pub(super) fn of(source: &SourceWrite, at: DbTime, actor: &str) -> Result<Self> {
        Ok(Self {
            name: source.name.to_string(),
            spec: spec_text(source)?,
            enabled: source.enabled,
            sealed_credentials: source.sealed_credentials.clone(),
            version: 1,
            created_at: at,
            created_by: actor.to_owned(),
            updated_at: at,
            updated_by: actor.to_owned(),
        })
    }
}

impl SourceDefinition {
    /// The new definition of a stored source.
    pub(super) fn of(source: &SourceWrite) -> Result<Self> {
        Ok(Self {
            spec: spec_text(source)?,
            enabled: source.enabled,
            sealed_credentials: source.sealed_credentials.clone(),
        })
    }
}
