//! An in-memory [`ListingImageStore`], the reference the SQL store is held to.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    ExternalId, ImageOutcome, ImageStatus, ImageSyncReport, ImageUrl, ListingImage,
    ListingImageStore, ListingImageUrls, PendingImagesQuery, RecordedImage, Result, SourceName,
    plan_image_sync,
};

/// Images in a map ordered by (source, external id, URL), behind a mutex.
#[derive(Debug, Default)]
pub struct InMemoryListingImageStore {
    images: Mutex<BTreeMap<Key, ListingImage>>,
}

type Key = (SourceName, ExternalId, ImageUrl);

impl InMemoryListingImageStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn images(&self) -> MutexGuard<'_, BTreeMap<Key, ListingImage>> {
        self.images.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl ListingImageStore for InMemoryListingImageStore {
    async fn sync_images(
        &self,
        source: &SourceName,
        listings: &[ListingImageUrls],
        now: DateTime<Utc>,
    ) -> Result<ImageSyncReport> {
        let mut images = self.images();
        let mut recorded: HashMap<ExternalId, Vec<RecordedImage>> = HashMap::new();
        for i in images.values().filter(|i| &i.source == source) {
            recorded
                .entry(i.external_id.clone())
                .or_default()
                .push(RecordedImage {
                    url: i.url.clone(),
                    position: i.position,
                    status: i.status,
                    stored_key: i.stored_key.clone(),
                });
        }
        let mut report = ImageSyncReport::default();
        for listing in ListingImageUrls::last_copies(listings) {
            let before = recorded.remove(&listing.external_id).unwrap_or_default();
            let plan = plan_image_sync(&before, &listing.urls);
            let key = |url: &ImageUrl| (source.clone(), listing.external_id.clone(), url.clone());
            for url in &plan.remove {
                images.remove(&key(url));
            }
            for (url, position) in &plan.reposition {
                if let Some(image) = images.get_mut(&key(url)) {
                    image.position = *position;
                    image.updated_at = now;
                }
            }
            for (url, position) in plan.insert {
                let image = ListingImage {
                    source: source.clone(),
                    external_id: listing.external_id.clone(),
                    url: url.clone(),
                    position,
                    status: ImageStatus::Pending,
                    stored_key: None,
                    content_hash: None,
                    content_type: None,
                    size_bytes: None,
                    last_error: None,
                    attempts: 0,
                    updated_at: now,
                };
                images.insert(key(&url), image);
            }
            report.absorb(plan.report);
        }
        Ok(report)
    }

    async fn pending_images(&self, query: &PendingImagesQuery) -> Result<Vec<ListingImage>> {
        let images = self.images();
        Ok(images
            .values()
            .filter(|i| i.source == query.source)
            .filter(|i| match i.status {
                ImageStatus::Pending => true,
                ImageStatus::Failed => i.attempts < query.max_attempts,
                ImageStatus::Stored => false,
            })
            .filter(|i| query.after.as_ref().is_none_or(|after| &i.cursor() > after))
            .take(query.limit)
            .cloned()
            .collect())
    }

    async fn record_image_result(
        &self,
        source: &SourceName,
        external_id: &ExternalId,
        url: &ImageUrl,
        outcome: &ImageOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut images = self.images();
        let Some(image) = images.get_mut(&(source.clone(), external_id.clone(), url.clone()))
        else {
            return Ok(false);
        };
        match outcome {
            ImageOutcome::Stored(stored) => {
                image.status = ImageStatus::Stored;
                image.stored_key = Some(stored.key.clone());
                image.content_hash = Some(stored.content_hash.clone());
                image.content_type = Some(stored.content_type.clone());
                image.size_bytes = Some(stored.size_bytes);
                image.last_error = None;
            }
            ImageOutcome::Failed(error) => {
                image.status = ImageStatus::Failed;
                image.last_error = Some(error.clone());
            }
        }
        image.attempts = image.attempts.saturating_add(1);
        image.updated_at = now;
        Ok(true)
    }

    async fn listing_images(
        &self,
        source: &SourceName,
        external_id: &ExternalId,
    ) -> Result<Vec<ListingImage>> {
        let mut found: Vec<ListingImage> = self
            .images()
            .values()
            .filter(|i| &i.source == source && &i.external_id == external_id)
            .cloned()
            .collect();
        found.sort_by(|a, b| (a.position, &a.url).cmp(&(b.position, &b.url)));
        Ok(found)
    }
}
