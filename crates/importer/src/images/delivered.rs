//! Files delivered with a feed (the other entries of a ZIP delivery) go straight into the
//! image store: under `<source>/delivered/<content hash>.<extension>`, and listings name them
//! `stored:<key>`. The image stage never downloads such a URL: it copies the stored bytes to
//! the listing's own image key (so a listing dropping an image deletes only its copy), and a
//! file delivered again with the same content is stored once.

use async_trait::async_trait;
use object_store::path::{Path, PathPart};
use propimport_domain::{ImageUrl, SourceName};
use xxhash_rust::xxh3::xxh3_128;

use super::ImageStorage;
use super::download::Downloaded;
use crate::formats::AttachmentStore;

/// Stores a source's delivered files in the image store.
pub(crate) struct DeliveredFiles {
    pub(crate) storage: ImageStorage,
    pub(crate) source: SourceName,
}

#[async_trait]
impl AttachmentStore for DeliveredFiles {
    async fn store(&self, name: &str, bytes: Vec<u8>) -> Result<String, String> {
        let hash = format!("{:032x}", xxh3_128(&bytes));
        let extension = extension(name);
        let key = Path::from_iter([
            PathPart::from(self.source.as_str()),
            PathPart::from("delivered"),
            PathPart::from(format!("{hash}.{extension}")),
        ]);
        self.storage
            .put(&key, bytes)
            .await
            .map_err(|e| e.to_string())?;
        Ok(format!("{}{key}", ImageUrl::STORED))
    }
}

/// A file name's extension, lower-case letters and digits only (`bin` when none).
fn extension(name: &str) -> String {
    let ext: String = name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    if ext.is_empty() { "bin".into() } else { ext }
}

/// The media type of a stored file, from its key's extension.
fn content_type(key: &str) -> String {
    let kind = match extension(key).as_str() {
        "jpg" | "jpeg" | "jpe" => "jpeg",
        "png" => "png",
        "gif" => "gif",
        "webp" => "webp",
        "avif" => "avif",
        "bmp" => "bmp",
        "tif" | "tiff" => "tiff",
        "svg" => "svg+xml",
        "heic" => "heic",
        other => return format!("application/{other}"),
    };
    format!("image/{kind}")
}

/// The bytes of an image already in the store (`stored:<key>`), as if downloaded.
pub(crate) async fn read(storage: &ImageStorage, key: &str) -> Result<Downloaded, String> {
    let content_type = content_type(key);
    if !content_type.starts_with("image/") {
        return Err(format!("the delivered file {key} is not an image"));
    }
    match storage.get(key).await {
        Ok(Some(bytes)) if bytes.is_empty() => Err(format!("the delivered file {key} is empty")),
        Ok(Some(bytes)) => Ok(Downloaded {
            bytes,
            content_type,
        }),
        Ok(None) => Err(format!("the delivered file {key} is no longer stored")),
        Err(e) => Err(format!("the delivered file {key} cannot be read: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_delivered_file_is_stored_once_and_read_back() {
        let storage = ImageStorage::in_memory();
        let files = DeliveredFiles {
            storage: storage.clone(),
            source: SourceName::parse("oi").unwrap(),
        };
        let url = files
            .store("fotos/Haus 1.JPG", b"jpeg".to_vec())
            .await
            .unwrap();
        let again = files.store("other.jpg", b"jpeg".to_vec()).await.unwrap();
        assert_eq!(url, again);
        let parsed = ImageUrl::parse(&url).unwrap();
        let key = parsed.stored_key().unwrap();
        assert!(
            key.starts_with("oi/delivered/") && key.ends_with(".jpg"),
            "{key}"
        );
        let read = read(&storage, key).await.unwrap();
        assert_eq!(read.bytes, b"jpeg");
        assert_eq!(read.content_type, "image/jpeg");
        assert!(read_missing(&storage).await.contains("no longer stored"));
        let doc = files.store("expose.pdf", b"%PDF".to_vec()).await.unwrap();
        let key = doc.strip_prefix(ImageUrl::STORED).unwrap();
        assert!(super::read(&storage, key).await.is_err());
    }

    async fn read_missing(storage: &ImageStorage) -> String {
        read(storage, "oi/delivered/0.jpg")
            .await
            .err()
            .unwrap_or_default()
    }
}
