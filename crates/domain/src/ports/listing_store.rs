//! The listing storage port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    ExternalId, KeptRecord, KnownRecord, KnownRecords, ListingRecord, Result, RetryKey, SourceName,
    SourceState, StoredListing, UpsertOutcome, WithdrawReport,
};

/// Stores canonical listings per source. Identity is (source, external id); nothing is ever
/// matched on title, price or URL, and nothing is ever deleted (only withdrawn).
#[async_trait]
pub trait ListingStore: Send + Sync {
    /// Inserts new listings, updates changed ones (also reactivating withdrawn ones), and
    /// marks every listing of the batch as seen at `seen_at`; one outcome per record, in order.
    /// Records whose stored hash equals theirs are `Unchanged`, unless they have a record key
    /// and the stored one is another: then the listing is written, to store that key.
    async fn upsert_batch(
        &self,
        source: &SourceName,
        batch: &[ListingRecord],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<UpsertOutcome>>;

    /// [`ListingStore::upsert_batch`] of a batch whose listings are expected to be new (the
    /// run's batches so far held no stored listing of the source, as in a first import): a
    /// store may insert them without first reading what it holds of their ids, provided it
    /// falls back to the upsert for any part of the batch in which one is stored after all.
    /// The outcomes and what is stored are those of `upsert_batch`.
    async fn upsert_new_batch(
        &self,
        source: &SourceName,
        batch: &[ListingRecord],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<UpsertOutcome>> {
        self.upsert_batch(source, batch, seen_at).await
    }

    /// Marks listings as seen at `seen_at` without changing them (records that were in the
    /// feed but failed to map are not absent, so they must not be withdrawn); returns how many
    /// exist.
    async fn touch(
        &self,
        source: &SourceName,
        ids: &[ExternalId],
        seen_at: DateTime<Utc>,
    ) -> Result<u64>;

    /// The record keys stored with the source's active listings, with their ids: what a
    /// reader needs to recognize an unchanged record by its bytes, before parsing it; with
    /// the store's secret, which every key is drawn with (the same for every source, read
    /// even when the table is empty). A store may give an empty table once the source's
    /// first listings show that it stores no keys (active listings read without them, as
    /// every format but Kyero reads them), so that a source whose format is detected at each
    /// run pays a short read for a table it would not use.
    async fn known_records(&self, source: &SourceName) -> Result<KnownRecords>;

    /// Marks the listings of records recognized by their keys as seen at `seen_at`, each only
    /// if it is still active and stored with that key; gives, in order, whether each was. A
    /// record that was not must be mapped and written as any other: its listing was changed
    /// or withdrawn since the keys were read (an earlier copy of it in the same feed, a
    /// delete flag), or is no longer stored.
    async fn touch_known(
        &self,
        source: &SourceName,
        records: &[KnownRecord],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<bool>>;

    /// After a complete snapshot that started at `snapshot_started`: withdraws the source's
    /// active listings not seen since then, unless they are more than `max_fraction` of its
    /// active listings, in which case nothing is withdrawn and the report says it was blocked.
    async fn withdraw_unseen(
        &self,
        source: &SourceName,
        snapshot_started: DateTime<Utc>,
        max_fraction: f64,
        now: DateTime<Utc>,
    ) -> Result<WithdrawReport>;

    /// Withdraws the listed ids (a source's delete flag); returns how many were active.
    async fn withdraw_ids(
        &self,
        source: &SourceName,
        ids: &[ExternalId],
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// One stored listing.
    async fn get_listing(
        &self,
        source: &SourceName,
        id: &ExternalId,
    ) -> Result<Option<StoredListing>>;

    /// Up to `limit` of the source's active listings that keep their source record, in
    /// order of id after `after` (from the first when `None`): what `propimport remap` maps
    /// again, page by page. A record whose stored bytes cannot be read is an error of its
    /// own in the page, so the others are still had.
    async fn source_records(
        &self,
        source: &SourceName,
        after: Option<&ExternalId>,
        limit: usize,
    ) -> Result<Vec<(ExternalId, KeptRecord)>>;

    /// How many listings of the source are active.
    async fn count_active(&self, source: &SourceName) -> Result<i64>;

    /// Whether any listing of the source is active: [`count_active`](Self::count_active)
    /// above zero, found by looking at one listing instead of counting them all. A run asks
    /// it before reading, so that a source that held no active listing (a first import) is
    /// not searched for absent ones after it.
    async fn has_active(&self, source: &SourceName) -> Result<bool>;

    /// The source's saved state.
    async fn source_state(&self, source: &SourceName) -> Result<Option<SourceState>>;

    /// Saves the source's state.
    async fn save_source_state(&self, state: &SourceState) -> Result<()>;

    /// The source's records waiting to be fetched again by key, oldest failure first.
    async fn retry_keys(&self, source: &SourceName) -> Result<Vec<RetryKey>>;

    /// Adds records to retry; a key already there keeps its `first_failed_at` and takes the
    /// new `key_field` and `last_error`.
    async fn add_retry_keys(&self, source: &SourceName, keys: &[RetryKey]) -> Result<()>;

    /// Removes keys (the record mapped, or the source no longer has it); returns how many
    /// were there.
    async fn clear_retry_keys(&self, source: &SourceName, ids: &[ExternalId]) -> Result<u64>;
}
