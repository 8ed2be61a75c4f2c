//! A listing store that logs the writes a run makes, in order, and can give chosen kept
//! records back as damaged.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use propimport_domain::testing::InMemoryListingStore;
use propimport_domain::{
    ExternalId, ListingRecord, ListingStore, RecordKey, RetryKey, SourceName, SourceState,
    StoredListing, UpsertOutcome, WithdrawReport,
};

/// The in-memory store, logging the writes a run makes in order.
#[derive(Default)]
pub struct Recording {
    inner: InMemoryListingStore,
    events: Mutex<Vec<String>>,
    /// Ids whose kept records read back as damaged.
    damaged: Mutex<Vec<String>>,
}

impl Recording {
    pub fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }

    /// The stored price of listing `id` of `source`, in whole units.
    pub async fn stored_price(&self, source: &SourceName, id: &str) -> i64 {
        let id = ExternalId::parse(id).unwrap();
        let stored = self.get_listing(source, &id).await.unwrap().unwrap();
        match stored.listing.price {
            propimport_domain::Price::Amount { amount } => amount.minor() / 100,
            propimport_domain::Price::OnRequest => panic!("{id} has no price"),
        }
    }

    /// Writes `doc` at `path` (the file `config` reads) and imports it once into this store,
    /// in batches of `batch`; gives the run's report and the ids it asked the store to mark
    /// seen by their record keys.
    pub async fn import_touching(
        self: &std::sync::Arc<Self>,
        config: propimport_importer::SourceConfig,
        path: &std::path::Path,
        doc: &str,
        batch: usize,
    ) -> (propimport_importer::ImportReport, Vec<String>) {
        std::fs::write(path, doc).unwrap();
        let importer = propimport_importer::Importer::builder(config, self.clone())
            .batch_size(batch)
            .build()
            .unwrap();
        let before = self.events().len();
        let report = importer
            .run(
                &propimport_domain::CancelToken::new(),
                &propimport_domain::ProgressHandle::new(),
            )
            .await
            .unwrap();
        let touched = self.events()[before..]
            .iter()
            .filter_map(|e| e.strip_prefix("touch known "))
            .flat_map(|ids| ids.split(' ').map(str::to_owned).collect::<Vec<_>>())
            .collect();
        (report, touched)
    }

    /// Gives the kept record of `id` back as damaged, as a store whose bytes are.
    pub fn damage(&self, id: &str) {
        self.damaged.lock().unwrap().push(id.to_owned());
    }

    fn log(&self, event: String) {
        self.events.lock().unwrap().push(event);
    }

    /// Logs a write of `batch` as `what` and its listings' ids.
    fn log_batch(&self, what: &str, batch: &[ListingRecord]) {
        let ids: Vec<&str> = batch
            .iter()
            .map(|r| r.listing.external_id.as_str())
            .collect();
        self.log(format!("{what} {}", ids.join(" ")));
    }
}

#[async_trait]
impl ListingStore for Recording {
    async fn upsert_batch(
        &self,
        source: &SourceName,
        batch: &[ListingRecord],
        seen_at: DateTime<Utc>,
    ) -> propimport_domain::Result<Vec<UpsertOutcome>> {
        self.log_batch("upsert", batch);
        self.inner.upsert_batch(source, batch, seen_at).await
    }

    async fn upsert_new_batch(
        &self,
        source: &SourceName,
        batch: &[ListingRecord],
        seen_at: DateTime<Utc>,
    ) -> propimport_domain::Result<Vec<UpsertOutcome>> {
        self.log_batch("upsert new", batch);
        self.inner.upsert_new_batch(source, batch, seen_at).await
    }

    async fn known_records(
        &self,
        source: &SourceName,
    ) -> propimport_domain::Result<propimport_domain::KnownRecords> {
        self.inner.known_records(source).await
    }

    async fn touch_known(
        &self,
        source: &SourceName,
        records: &[propimport_domain::KnownRecord],
        seen_at: DateTime<Utc>,
    ) -> propimport_domain::Result<Vec<bool>> {
        let ids: Vec<&str> = records.iter().map(|r| r.external_id.as_str()).collect();
        self.log(format!("touch known {}", ids.join(" ")));
        self.inner.touch_known(source, records, seen_at).await
    }

    async fn touch(
        &self,
        source: &SourceName,
        ids: &[ExternalId],
        seen_at: DateTime<Utc>,
    ) -> propimport_domain::Result<u64> {
        self.inner.touch(source, ids, seen_at).await
    }

    async fn withdraw_unseen(
        &self,
        source: &SourceName,
        started: DateTime<Utc>,
        max_fraction: f64,
        now: DateTime<Utc>,
    ) -> propimport_domain::Result<WithdrawReport> {
        self.log("withdraw unseen".into());
        self.inner
            .withdraw_unseen(source, started, max_fraction, now)
            .await
    }

    async fn withdraw_ids(
        &self,
        source: &SourceName,
        ids: &[ExternalId],
        now: DateTime<Utc>,
    ) -> propimport_domain::Result<u64> {
        self.log(format!("withdraw {ids:?}"));
        self.inner.withdraw_ids(source, ids, now).await
    }

    async fn get_listing(
        &self,
        source: &SourceName,
        id: &ExternalId,
    ) -> propimport_domain::Result<Option<StoredListing>> {
        self.inner.get_listing(source, id).await
    }

    async fn source_records(
        &self,
        source: &SourceName,
        after: Option<&ExternalId>,
        limit: usize,
    ) -> propimport_domain::Result<Vec<(ExternalId, propimport_domain::KeptRecord)>> {
        let mut page = self.inner.source_records(source, after, limit).await?;
        let damaged = self.damaged.lock().unwrap();
        for (id, kept) in &mut page {
            if damaged.iter().any(|d| d == id.as_str()) {
                *kept = Err("the kept record is damaged: stored bytes cut short".into());
            }
        }
        Ok(page)
    }

    async fn count_active(&self, source: &SourceName) -> propimport_domain::Result<i64> {
        self.inner.count_active(source).await
    }

    async fn has_active(&self, source: &SourceName) -> propimport_domain::Result<bool> {
        self.inner.has_active(source).await
    }

    async fn source_state(
        &self,
        source: &SourceName,
    ) -> propimport_domain::Result<Option<SourceState>> {
        self.inner.source_state(source).await
    }

    async fn save_source_state(&self, state: &SourceState) -> propimport_domain::Result<()> {
        let shown = state
            .watermark
            .map(|w| w.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        self.log(format!("watermark {}", shown.unwrap_or_default()));
        self.inner.save_source_state(state).await
    }

    async fn retry_keys(&self, source: &SourceName) -> propimport_domain::Result<Vec<RetryKey>> {
        self.inner.retry_keys(source).await
    }

    async fn add_retry_keys(
        &self,
        source: &SourceName,
        keys: &[RetryKey],
    ) -> propimport_domain::Result<()> {
        let ids: Vec<&str> = keys.iter().map(|k| k.external_id.as_str()).collect();
        self.log(format!("retry later {}", ids.join(" ")));
        self.inner.add_retry_keys(source, keys).await
    }

    async fn clear_retry_keys(
        &self,
        source: &SourceName,
        ids: &[ExternalId],
    ) -> propimport_domain::Result<u64> {
        let shown: Vec<&str> = ids.iter().map(ExternalId::as_str).collect();
        self.log(format!("retried {}", shown.join(" ")));
        self.inner.clear_retry_keys(source, ids).await
    }
}

/// Checks that `key_of_first` (the key of a feed's first record, read with a secret) gives the
/// same key with the same secret, and another with another secret or none.
pub async fn keys_follow_the_secret(key_of_first: impl AsyncFn(Option<[u8; 16]>) -> RecordKey) {
    let a = key_of_first(Some([1; 16])).await;
    assert_eq!(a, key_of_first(Some([1; 16])).await, "the same secret");
    assert_ne!(a, key_of_first(Some([2; 16])).await);
    assert_ne!(a, key_of_first(None).await);
}
