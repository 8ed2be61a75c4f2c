//! The importer adapted into the scheduler's `Job`, one per source, and the factory that makes
//! a source's job on the configured stores.

use std::sync::Arc;

use async_trait::async_trait;
use propimport_domain::{
    Job, JobContext, JobError, JobName, JobReport, ListingImageStore, ListingStore,
};
use propimport_importer::{ImageDownloads, ImageSettings, ImageStorage, Importer};
use propimport_persistence::{Database, SqlListingImageStore, SqlListingStore};
use propimport_scheduler::ScheduledJob;

use crate::config::{Config, Source};

/// Runs one source's import as a tracked job.
pub struct ImportJob {
    importer: Importer,
}

impl ImportJob {
    /// The job of `importer`'s source.
    pub fn new(importer: Importer) -> Self {
        Self { importer }
    }
}

#[async_trait]
impl Job for ImportJob {
    fn host(&self) -> Option<String> {
        match &self.importer.source().location {
            propimport_importer::Location::Url(url) => Some(url.origin().ascii_serialization()),
            propimport_importer::Location::File(_) => None,
        }
    }

    fn name(&self) -> &JobName {
        &self.importer.source().name
    }

    async fn run(&self, ctx: JobContext) -> Result<JobReport, JobError> {
        match self.importer.run(&ctx.cancel, &ctx.progress).await {
            Ok(report) => Ok(report.into_job_report()),
            Err(e) => Err(JobError::new(e.to_string())),
        }
    }
}

/// Makes the scheduled import job of a source: its importer on the configured stores.
pub struct JobFactory {
    listings: Arc<dyn ListingStore>,
    images: Arc<dyn ListingImageStore>,
    storage: ImageStorage,
    allowed_hosts: Vec<String>,
    image_concurrency: crate::config::ImageConcurrency,
    default_schedule: propimport_scheduler::CronSchedule,
    global_retry: propimport_scheduler::RunRetryPolicy,
    skip_images: bool,
    spread: std::time::Duration,
}

impl JobFactory {
    /// Jobs storing into `db` (images into the configured image store unless `skip_images`).
    ///
    /// # Errors
    /// When the image store cannot be opened (`IMAGE_STORE_URL`).
    pub fn new(config: &Config, db: &Database, skip_images: bool) -> anyhow::Result<Self> {
        Ok(Self {
            listings: Arc::new(SqlListingStore::new(db.clone())),
            images: Arc::new(SqlListingImageStore::new(db.clone())),
            storage: ImageStorage::from_url(&config.image_store_url)
                .map_err(|e| anyhow::anyhow!("IMAGE_STORE_URL: {e}"))?,
            allowed_hosts: config.image_allowed_hosts.clone(),
            image_concurrency: config.image_concurrency,
            default_schedule: config.scheduling.schedule.clone(),
            global_retry: config.scheduling.retry.clone(),
            skip_images,
            spread: config.scheduling.spread,
        })
    }

    /// The job of `source` (a demo feed's file written first).
    ///
    /// # Errors
    /// When the demo feed cannot be written or the importer not built.
    pub fn job(&self, source: &Source) -> anyhow::Result<ScheduledJob> {
        crate::demo_feeds::materialize(source.embedded_feed())?;
        let limits = source.image_limits(self.image_concurrency);
        let importer = Importer::builder(source.config.clone(), self.listings.clone())
            .images(self.images.clone(), self.storage.clone())
            .image_settings(ImageSettings {
                allowed_hosts: self.allowed_hosts.clone(),
                concurrency: limits.overall,
                concurrency_per_host: limits.per_host,
                ..ImageSettings::default()
            })
            .image_downloads(if self.skip_images || !source.download_images {
                ImageDownloads::Skip
            } else {
                ImageDownloads::Download
            })
            .build()?;
        Ok(ScheduledJob {
            job: Arc::new(ImportJob::new(importer)) as Arc<dyn Job>,
            schedule: Some(
                source
                    .schedule
                    .clone()
                    .unwrap_or_else(|| self.default_schedule.clone())
                    .with_offset(spread_offset(source.config.name.as_str(), self.spread)),
            ),
        })
    }

    /// The retry policy of `source` when it sets its own.
    pub fn retry_policy(&self, source: &Source) -> Option<propimport_scheduler::RunRetryPolicy> {
        crate::config::retry_policy_of(source, &self.global_retry)
    }
}

/// One scheduled import job per source of `config` (the catalog's, once `catalog::load`ed),
/// storing into `db` (images into the configured image store unless `skip_images`).
pub fn import_jobs(
    config: &Config,
    db: &Database,
    skip_images: bool,
) -> anyhow::Result<Vec<ScheduledJob>> {
    let factory = JobFactory::new(config, db, skip_images)?;
    config.sources.iter().map(|s| factory.job(s)).collect()
}

/// The part of `spread` a source's schedule fires after its instants: whole seconds below it,
/// the same for a name on every replica and release (FNV-1a of the name), so that sources on
/// one expression spread evenly over it.
pub fn spread_offset(name: &str, spread: std::time::Duration) -> chrono::Duration {
    let seconds = spread.as_secs();
    if seconds == 0 {
        return chrono::Duration::zero();
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    chrono::Duration::seconds(i64::try_from(hash % seconds).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::spread_offset;

    #[test]
    fn spread_offsets_are_stable_below_the_spread_and_even() {
        assert_eq!(
            spread_offset("feed", Duration::ZERO),
            chrono::Duration::zero()
        );
        let spread = Duration::from_secs(600);
        let offsets: Vec<i64> = (0..1000)
            .map(|i| spread_offset(&format!("partner-{i:04}"), spread).num_seconds())
            .collect();
        assert!(offsets.iter().all(|s| (0..600).contains(s)));
        assert_eq!(
            spread_offset("partner-0001", spread),
            spread_offset("partner-0001", spread),
            "the same on every call"
        );
        let mut per_minute = [0usize; 10];
        for s in &offsets {
            per_minute[usize::try_from(s / 60).unwrap_or(0)] += 1;
        }
        assert!(
            per_minute.iter().all(|n| (60..=140).contains(n)),
            "a thousand sources spread over ten minutes, about a hundred a minute: {per_minute:?}"
        );
    }
}
