//! The vocabulary of listing images: a checked image URL, an image's status and record, and
//! what syncing, listing and recording images take and give.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};

use crate::{Error, ExternalId, SourceName};

/// An image's source URL: `http://` or `https://` (downloaded), or `stored:<key>` (a file
/// delivered with the feed, already in the image store under that key); at most
/// [`ImageUrl::MAX_LEN`] bytes, trimmed, without whitespace or control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageUrl(String);

impl ImageUrl {
    /// The longest URL accepted, in bytes: with the longest source name and external id it
    /// still fits one entry of a database index.
    pub const MAX_LEN: usize = 1800;

    /// The scheme of an image already in the image store (a file delivered in a ZIP feed):
    /// `stored:<object key>`.
    pub const STORED: &str = "stored:";

    /// Checks a URL.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        let scheme_ok = ["http://", "https://"].iter().any(|scheme| {
            text.get(..scheme.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
        });
        let stored = text.strip_prefix(Self::STORED).is_some_and(|key| {
            !key.is_empty() && !key.starts_with('/') && !key.split('/').any(|p| p == "..")
        });
        if !scheme_ok && !stored {
            return Err(Error::invalid(
                "imageUrl",
                format!("{text:?} is not an http:// or https:// URL"),
            ));
        }
        if text.len() > Self::MAX_LEN {
            return Err(Error::invalid(
                "imageUrl",
                format!("is longer than {} bytes", Self::MAX_LEN),
            ));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::invalid(
                "imageUrl",
                format!("{text:?} contains whitespace or control characters"),
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The object key of an image already in the image store (`stored:<key>`).
    pub fn stored_key(&self) -> Option<&str> {
        self.0.strip_prefix(Self::STORED)
    }
}

impl fmt::Display for ImageUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an image is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageStatus {
    /// Not downloaded yet.
    Pending,
    /// Downloaded and stored.
    Stored,
    /// The last download failed; it is tried again on later runs, up to a limit of attempts.
    Failed,
}

impl ImageStatus {
    /// The status as stored (`pending`, `stored`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Stored => "stored",
            Self::Failed => "failed",
        }
    }

    /// Reads a stored status.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text {
            "pending" => Ok(Self::Pending),
            "stored" => Ok(Self::Stored),
            "failed" => Ok(Self::Failed),
            other => Err(Error::invalid(
                "imageStatus",
                format!("{other:?} is not pending, stored or failed"),
            )),
        }
    }
}

impl fmt::Display for ImageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One image of a listing, as recorded. Identity is (source, external id, URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingImage {
    /// The listing's source.
    pub source: SourceName,
    /// The listing's id at the source.
    pub external_id: ExternalId,
    /// Where the image is downloaded from.
    pub url: ImageUrl,
    /// Its place in the listing's display order (0 first).
    pub position: u32,
    /// Pending, stored or failed.
    pub status: ImageStatus,
    /// The object key of the stored bytes, once stored.
    pub stored_key: Option<String>,
    /// The hash of the stored bytes (xxh3-128, hex), once stored.
    pub content_hash: Option<String>,
    /// The stored bytes' media type (`image/jpeg`…), once stored.
    pub content_type: Option<String>,
    /// The stored bytes' length, once stored.
    pub size_bytes: Option<u64>,
    /// Why the last download failed, if it did.
    pub last_error: Option<String>,
    /// Downloads attempted so far.
    pub attempts: u32,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
}

impl ListingImage {
    /// Where this image is in the order [`ListingImageStore::pending_images`] walks.
    ///
    /// [`ListingImageStore::pending_images`]: crate::ListingImageStore::pending_images
    pub fn cursor(&self) -> ImageCursor {
        ImageCursor {
            external_id: self.external_id.clone(),
            url: self.url.clone(),
        }
    }
}

/// A listing's image URLs in display order, as its latest import gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingImageUrls {
    /// The listing's id at its source.
    pub external_id: ExternalId,
    /// Its image URLs, first shown first.
    pub urls: Vec<ImageUrl>,
}

impl ListingImageUrls {
    /// Each listing once, as its last copy in `listings` gives it: a listing given twice is
    /// synced to its last URL list.
    pub fn last_copies(listings: &[Self]) -> Vec<&Self> {
        let last: HashMap<&ExternalId, usize> = listings
            .iter()
            .enumerate()
            .map(|(i, l)| (&l.external_id, i))
            .collect();
        listings
            .iter()
            .enumerate()
            .filter(|(i, l)| last.get(&l.external_id) == Some(i))
            .map(|(_, l)| l)
            .collect()
    }
}

/// What syncing listings' image URLs changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageSyncReport {
    /// New URLs, recorded as pending.
    pub added: u64,
    /// URLs that were already recorded and stay (only their position may have moved).
    pub kept: u64,
    /// Of the kept URLs, how many are stored (they are not downloaded again).
    pub kept_stored: u64,
    /// Recorded URLs that the listings no longer have, dropped.
    pub removed: u64,
    /// Object keys of dropped images that no remaining image of their listing uses: their
    /// bytes may be deleted.
    pub released_keys: Vec<String>,
}

impl ImageSyncReport {
    /// Adds another report's counts and keys to this one.
    pub fn absorb(&mut self, other: Self) {
        self.added += other.added;
        self.kept += other.kept;
        self.kept_stored += other.kept_stored;
        self.removed += other.removed;
        self.released_keys.extend(other.released_keys);
    }
}

/// A place in the walk over a source's images, which goes by (external id, URL) in byte order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImageCursor {
    /// The listing's id.
    pub external_id: ExternalId,
    /// The image's URL.
    pub url: ImageUrl,
}

/// Which images still need downloading: a page of the source's images that are pending, or
/// failed fewer than `max_attempts` times, after `after`, in (external id, URL) byte order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingImagesQuery {
    /// The source.
    pub source: SourceName,
    /// Failed images are returned while their attempts are below this.
    pub max_attempts: u32,
    /// Start after this image (exclusive); `None` starts at the beginning.
    pub after: Option<ImageCursor>,
    /// The most images returned.
    pub limit: usize,
}

/// The bytes of an image as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// The object key.
    pub key: String,
    /// xxh3-128 of the bytes, as 32 hex digits.
    pub content_hash: String,
    /// The media type (`image/jpeg`…).
    pub content_type: String,
    /// The bytes' length.
    pub size_bytes: u64,
}

/// What one download attempt of an image produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageOutcome {
    /// The image is stored.
    Stored(StoredImage),
    /// The download failed, for this reason.
    Failed(String),
}
