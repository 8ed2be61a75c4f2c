//! Where image bytes go: an [`object_store`] store chosen by URL (a local folder by default,
//! an in-memory store for tests), and the object key of an image.

use std::path::Path as FsPath;
use std::sync::Arc;

use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::{Path, PathPart};
use object_store::{ObjectStore, ObjectStoreExt as _, PutOptions, PutPayload};
use propimport_domain::{ExternalId, SourceName};

/// Where downloaded image bytes are stored; cheap to clone (clones share the store).
#[derive(Debug, Clone)]
pub struct ImageStorage {
    store: Arc<dyn ObjectStore>,
}

/// Why an image store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageStorageError {
    /// The URL names no store this build supports, or its folder cannot be used.
    #[error("image store {url:?}: {reason}")]
    Invalid {
        /// The URL as given.
        url: String,
        /// What is wrong.
        reason: String,
    },
}

impl ImageStorage {
    /// The store used when none is configured: a folder under the working directory.
    pub const DEFAULT_URL: &str = "./data/images";

    /// Opens the store named by `url`: a folder path (`./data/images`, created if missing), the
    /// same as `file://path`, or `memory://` (kept in this process only, for tests).
    pub fn from_url(url: &str) -> Result<Self, ImageStorageError> {
        let text = url.trim();
        let invalid = |reason: String| ImageStorageError::Invalid {
            url: url.to_owned(),
            reason,
        };
        if text.is_empty() {
            return Err(invalid("is empty".into()));
        }
        if text.starts_with("memory:") {
            return Ok(Self::in_memory());
        }
        let folder = match text.strip_prefix("file://") {
            Some(path) => path,
            None => match text.split_once("://") {
                Some((scheme, _)) => {
                    return Err(invalid(format!(
                        "the scheme {scheme}:// is not supported (use a folder path, file://path or memory://)"
                    )));
                }
                None => text,
            },
        };
        if folder.is_empty() {
            return Err(invalid("names no folder".into()));
        }
        Self::folder(folder).map_err(|e| match e {
            ImageStorageError::Invalid { reason, .. } => invalid(reason),
        })
    }

    /// A store in a local folder, created if missing.
    pub fn folder(path: impl AsRef<FsPath>) -> Result<Self, ImageStorageError> {
        let path = path.as_ref();
        let invalid = |reason: String| ImageStorageError::Invalid {
            url: path.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(path)
            .map_err(|e| invalid(format!("cannot create the folder: {e}")))?;
        let store = LocalFileSystem::new_with_prefix(path)
            .map_err(|e| invalid(format!("cannot use the folder: {e}")))?
            .with_automatic_cleanup(true);
        Ok(Self::new(Arc::new(store)))
    }

    /// A store in this process's memory.
    pub fn in_memory() -> Self {
        Self::new(Arc::new(InMemory::new()))
    }

    /// Any object store (a cloud store built by the embedding service, for example). The
    /// store is an [`object_store`] 0.14 one: a service that builds its own depends on the
    /// same `object_store` version with the features of its cloud, and Cargo builds one copy
    /// of it. (This crate does not re-export `object_store`: a re-export would not carry those
    /// features, and would make that whole crate part of this one's interface.)
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// The bytes stored under `key` (a stored key of a listing image), if any.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, object_store::Error> {
        let path = Path::parse(key).map_err(object_store::Error::from)?;
        match self.store.get(&path).await {
            Ok(found) => Ok(Some(found.bytes().await?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes the bytes stored under `key`; a key with nothing stored is fine.
    pub async fn delete(&self, key: &str) -> Result<(), object_store::Error> {
        let path = Path::parse(key).map_err(object_store::Error::from)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Stores `bytes` under `path`, replacing what was there.
    pub(crate) async fn put(&self, path: &Path, bytes: Vec<u8>) -> Result<(), object_store::Error> {
        self.store
            .put_opts(path, PutPayload::from(bytes), PutOptions::default())
            .await
            .map(drop)
    }
}

/// The object key of an image: `<source>/<external id>/<content hash>.<extension>`, each part
/// percent-encoded where needed (an id with `/` or `..` stays one safe path segment).
pub(crate) fn image_key(
    source: &SourceName,
    external_id: &ExternalId,
    content_hash: &str,
    extension: &str,
) -> Path {
    Path::from_iter([
        PathPart::from(source.as_str()),
        PathPart::from(external_id.as_str()),
        PathPart::from(format!("{content_hash}.{extension}")),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_ids_in_one_segment() {
        let source = SourceName::parse("kyero").unwrap();
        let key = image_key(&source, &ExternalId::parse("A/../1").unwrap(), "ab", "jpg");
        assert_eq!(key.parts().count(), 3);
        assert_eq!(key.to_string(), "kyero/A%2F..%2F1/ab.jpg");
        let dots = image_key(&source, &ExternalId::parse("..").unwrap(), "ab", "png");
        assert_eq!(dots.to_string(), "kyero/%2E%2E/ab.png");
        assert!(Path::parse(dots.as_ref()).is_ok());
    }

    #[test]
    fn urls_name_a_folder_or_memory() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        assert!(ImageStorage::from_url(&nested.display().to_string()).is_ok());
        assert!(nested.is_dir());
        assert!(ImageStorage::from_url(&format!("file://{}", dir.path().display())).is_ok());
        assert!(ImageStorage::from_url("memory://").is_ok());
        for bad in ["", "  ", "s3://bucket/images", "file://"] {
            assert!(ImageStorage::from_url(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn bytes_round_trip_in_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let storage = ImageStorage::folder(dir.path()).unwrap();
        let source = SourceName::parse("kyero").unwrap();
        let key = image_key(&source, &ExternalId::parse("A 1/x").unwrap(), "ff", "jpg");
        storage.put(&key, b"jpeg".to_vec()).await.unwrap();
        assert_eq!(
            storage.get(key.as_ref()).await.unwrap(),
            Some(b"jpeg".to_vec())
        );
        storage.delete(key.as_ref()).await.unwrap();
        assert_eq!(storage.get(key.as_ref()).await.unwrap(), None);
        storage.delete(key.as_ref()).await.unwrap();
    }
}
