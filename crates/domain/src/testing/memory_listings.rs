//! An in-memory [`ListingStore`], the reference the SQL store is held to.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    ExternalId, KeptRecord, KnownRecord, KnownRecords, ListingRecord, ListingStatus, ListingStore,
    Result, RetryKey, SourceName, SourceState, StoredListing, UpsertOutcome, WithdrawReport,
};

/// The secret of this store's record keys (a test store's: fixed).
const SECRET: [u8; 16] = *b"in-memory secret";

/// Listings in a map behind a mutex.
#[derive(Debug, Default)]
pub struct InMemoryListingStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    listings: BTreeMap<(SourceName, ExternalId), StoredListing>,
    sources: HashMap<SourceName, SourceState>,
    retry: BTreeMap<(SourceName, ExternalId), RetryKey>,
}

impl InMemoryListingStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl ListingStore for InMemoryListingStore {
    async fn upsert_batch(
        &self,
        source: &SourceName,
        batch: &[ListingRecord],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<UpsertOutcome>> {
        let mut state = self.state();
        // Outcomes are decided against the store as it was before the batch, so duplicates
        // within a batch get the same outcome (the last copy is stored).
        let outcomes: Vec<UpsertOutcome> = batch
            .iter()
            .map(|r| {
                match state
                    .listings
                    .get(&(source.clone(), r.listing.external_id.clone()))
                {
                    None => UpsertOutcome::Inserted,
                    Some(s)
                        if s.content_hash == r.content_hash
                            && s.status == ListingStatus::Active =>
                    {
                        UpsertOutcome::Unchanged
                    }
                    Some(_) => UpsertOutcome::Updated,
                }
            })
            .collect();
        for record in batch {
            let key = (source.clone(), record.listing.external_id.clone());
            match state.listings.get_mut(&key) {
                Some(stored) => {
                    let unchanged = stored.content_hash == record.content_hash
                        && stored.status == ListingStatus::Active;
                    stored.listing = record.listing.clone();
                    stored.content_hash = record.content_hash.clone();
                    stored.status = ListingStatus::Active;
                    stored.withdrawn_at = None;
                    stored.last_seen_at = seen_at;
                    stored.source_record = record.source.clone();
                    // An unchanged listing keeps its key unless the record has one.
                    if record.record_key.is_some() || !unchanged {
                        stored.record_key = record.record_key;
                    }
                }
                None => {
                    let stored = StoredListing {
                        source: source.clone(),
                        listing: record.listing.clone(),
                        status: ListingStatus::Active,
                        content_hash: record.content_hash.clone(),
                        first_seen_at: seen_at,
                        last_seen_at: seen_at,
                        withdrawn_at: None,
                        source_record: record.source.clone(),
                        record_key: record.record_key,
                    };
                    state.listings.insert(key, stored);
                }
            }
        }
        Ok(outcomes)
    }

    async fn touch(
        &self,
        source: &SourceName,
        ids: &[ExternalId],
        seen_at: DateTime<Utc>,
    ) -> Result<u64> {
        let mut state = self.state();
        let mut n = 0;
        for id in ids {
            if let Some(l) = state.listings.get_mut(&(source.clone(), id.clone())) {
                l.last_seen_at = seen_at;
                n += 1;
            }
        }
        Ok(n)
    }

    async fn known_records(&self, source: &SourceName) -> Result<KnownRecords> {
        let state = self.state();
        let mut known = KnownRecords::with_secret(SECRET);
        for l in state.listings.values() {
            if &l.source == source
                && l.status == ListingStatus::Active
                && let Some(key) = l.record_key
            {
                known.push(key, l.listing.external_id.as_str());
            }
        }
        Ok(known.finish())
    }

    async fn touch_known(
        &self,
        source: &SourceName,
        records: &[KnownRecord],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<bool>> {
        let mut state = self.state();
        Ok(records
            .iter()
            .map(|r| {
                match state
                    .listings
                    .get_mut(&(source.clone(), r.external_id.clone()))
                {
                    Some(l) if l.status == ListingStatus::Active && l.record_key == Some(r.key) => {
                        l.last_seen_at = seen_at;
                        true
                    }
                    _ => false,
                }
            })
            .collect())
    }

    async fn withdraw_unseen(
        &self,
        source: &SourceName,
        started: DateTime<Utc>,
        max_fraction: f64,
        now: DateTime<Utc>,
    ) -> Result<WithdrawReport> {
        let mut state = self.state();
        let active: Vec<&mut StoredListing> = state
            .listings
            .values_mut()
            .filter(|l| &l.source == source && l.status == ListingStatus::Active)
            .collect();
        let active_before = i64::try_from(active.len()).unwrap_or(i64::MAX);
        let missing: Vec<&mut StoredListing> = active
            .into_iter()
            .filter(|l| l.last_seen_at < started)
            .collect();
        let count = i64::try_from(missing.len()).unwrap_or(i64::MAX);
        if crate::withdrawal_blocked(active_before, count, max_fraction) {
            return Ok(WithdrawReport {
                active_before,
                missing: count,
                withdrawn: 0,
                blocked: true,
            });
        }
        for l in missing {
            l.status = ListingStatus::Withdrawn;
            l.withdrawn_at = Some(now);
        }
        Ok(WithdrawReport {
            active_before,
            missing: count,
            withdrawn: count,
            blocked: false,
        })
    }

    async fn withdraw_ids(
        &self,
        source: &SourceName,
        ids: &[ExternalId],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut state = self.state();
        let mut n = 0;
        for id in ids {
            if let Some(l) = state.listings.get_mut(&(source.clone(), id.clone()))
                && l.status == ListingStatus::Active
            {
                l.status = ListingStatus::Withdrawn;
                l.withdrawn_at = Some(now);
                n += 1;
            }
        }
        Ok(n)
    }

    async fn get_listing(
        &self,
        source: &SourceName,
        id: &ExternalId,
    ) -> Result<Option<StoredListing>> {
        Ok(self
            .state()
            .listings
            .get(&(source.clone(), id.clone()))
            .cloned())
    }

    async fn source_records(
        &self,
        source: &SourceName,
        after: Option<&ExternalId>,
        limit: usize,
    ) -> Result<Vec<(ExternalId, KeptRecord)>> {
        let state = self.state();
        Ok(state
            .listings
            .iter()
            .filter(|((s, id), l)| {
                s == source
                    && after.is_none_or(|after| id.as_str() > after.as_str())
                    && l.status == ListingStatus::Active
            })
            .filter_map(|((_, id), l)| Some((id.clone(), Ok(l.source_record.clone()?))))
            .take(limit)
            .collect())
    }

    async fn count_active(&self, source: &SourceName) -> Result<i64> {
        let state = self.state();
        let n = state
            .listings
            .values()
            .filter(|l| &l.source == source && l.status == ListingStatus::Active)
            .count();
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }

    async fn has_active(&self, source: &SourceName) -> Result<bool> {
        let state = self.state();
        Ok(state
            .listings
            .values()
            .any(|l| &l.source == source && l.status == ListingStatus::Active))
    }

    async fn source_state(&self, source: &SourceName) -> Result<Option<SourceState>> {
        Ok(self.state().sources.get(source).cloned())
    }

    async fn save_source_state(&self, s: &SourceState) -> Result<()> {
        self.state().sources.insert(s.source.clone(), s.clone());
        Ok(())
    }

    async fn retry_keys(&self, source: &SourceName) -> Result<Vec<RetryKey>> {
        let mut keys: Vec<RetryKey> = self
            .state()
            .retry
            .iter()
            .filter(|((s, _), _)| s == source)
            .map(|(_, key)| key.clone())
            .collect();
        keys.sort_by(|a, b| {
            (a.first_failed_at, &a.external_id).cmp(&(b.first_failed_at, &b.external_id))
        });
        Ok(keys)
    }

    async fn add_retry_keys(&self, source: &SourceName, keys: &[RetryKey]) -> Result<()> {
        let mut state = self.state();
        for key in keys {
            let entry = state
                .retry
                .entry((source.clone(), key.external_id.clone()))
                .or_insert_with(|| key.clone());
            entry.key_field.clone_from(&key.key_field);
            entry.last_error.clone_from(&key.last_error);
        }
        Ok(())
    }

    async fn clear_retry_keys(&self, source: &SourceName, ids: &[ExternalId]) -> Result<u64> {
        let mut state = self.state();
        let removed = ids
            .iter()
            .filter(|id| {
                state
                    .retry
                    .remove(&(source.clone(), (*id).clone()))
                    .is_some()
            })
            .count();
        Ok(removed as u64)
    }
}
