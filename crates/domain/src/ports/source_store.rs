//! The source catalog port: sources stored as data, changed at run time.

use async_trait::async_trait;

use crate::{JobName, Result, SourceChange, SourceWrite, StoredSource};

/// Keeps the sources of the catalog, each change with its audit entry in one transaction, and
/// a revision every change moves on, so that every replica notices a change with one cheap
/// read ([`SourceStore::catalog_revision`]).
///
/// Every implementation passes the conformance suite in `testing::source_conformance`; the
/// rules it pins:
/// - the catalog has no revision until it is seeded or first changed; each change adds one;
/// - [`SourceStore::seed_sources`] writes only into a catalog that never had a revision (once,
///   whichever replica seeds first), and a catalog emptied by deletes is never seeded again;
/// - names are unique ([`crate::Error::SourceExists`]); an update or delete of a missing
///   source is [`crate::Error::SourceNotFound`], and one that names a version other than the
///   stored one is [`crate::Error::SourceVersionMismatch`], changing nothing;
/// - sources are listed in the order they were created;
/// - every change writes one audit entry (its `SourceChange`, outcome accepted, the source's
///   name as the job).
#[async_trait]
pub trait SourceStore: Send + Sync {
    /// The catalog's revision; `None` while it was never seeded nor changed.
    async fn catalog_revision(&self) -> Result<Option<i64>>;

    /// Every source, in the order they were created.
    async fn sources(&self) -> Result<Vec<StoredSource>>;

    /// One source.
    async fn source(&self, name: &JobName) -> Result<Option<StoredSource>>;

    /// Writes `sources` into a catalog that never had a revision and gives `true`; gives
    /// `false` and writes nothing otherwise. Each source gets an audit entry of `change`.
    async fn seed_sources(&self, sources: &[SourceWrite], change: &SourceChange) -> Result<bool>;

    /// Adds a source.
    async fn create_source(
        &self,
        source: &SourceWrite,
        change: &SourceChange,
    ) -> Result<StoredSource>;

    /// Replaces a source's definition (its name stays), when its version is `expected` (any
    /// version when `None`).
    async fn update_source(
        &self,
        source: &SourceWrite,
        expected: Option<i64>,
        change: &SourceChange,
    ) -> Result<StoredSource>;

    /// Deletes a source (its executions stay in the history); gives what it was.
    async fn delete_source(
        &self,
        name: &JobName,
        expected: Option<i64>,
        change: &SourceChange,
    ) -> Result<StoredSource>;
}
