//! What the stores keep of listings and sources: a listing ready to store with its hash and
//! feed record, a stored listing with its bookkeeping, the outcomes of upserts and withdrawals
//! with the withdrawal safety limit, and the state kept between runs.

use chrono::{DateTime, Utc};

use super::{ExternalId, Listing, RecordKey, SourceName};

/// A listing ready to store, with the hash that decides whether a stored copy is unchanged
/// (the importer's hash of the normalized listing and its mapping version) and the record
/// the feed sent for it. The stored document, the listing's canonical JSON
/// ([`Listing::to_document`]), is made only for the listings that are written.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingRecord {
    /// The listing.
    pub listing: Listing,
    /// Hex hash of the normalized listing and the mapping version.
    pub content_hash: String,
    /// The feed's record the listing was mapped from, when the format keeps it.
    pub source: Option<SourceRecord>,
    /// The key of that record, when its format recognizes known records by it: stored with
    /// the listing, it lets the next read of the same record skip its mapping.
    pub record_key: Option<RecordKey>,
}

impl ListingRecord {
    /// The record of `listing`, with the hash `hash` gives of it and no source record.
    pub fn new(listing: Listing, hash: impl FnOnce(&Listing) -> String) -> Self {
        let content_hash = hash(&listing);
        Self {
            listing,
            content_hash,
            source: None,
            record_key: None,
        }
    }
}

/// A feed's record as it was read, kept with the listing so that a later mapping can be
/// applied without fetching the feed again, and a field no mapping uses is not lost.
///
/// It holds the record's bytes as the feed sent them; how a store keeps them (compressed) is
/// the store's concern, so a record is compressed only when its listing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRecord {
    /// The format that reads it (`kyero`, `reso`…).
    pub format: std::borrow::Cow<'static, str>,
    /// The record's bytes, as the feed sent them.
    pub bytes: Vec<u8>,
}

/// A kept record as a store reads it back: the record, or why the bytes the store holds for
/// it cannot be read (they are damaged), so that one damaged record fails alone.
pub type KeptRecord = std::result::Result<SourceRecord, String>;

/// What an upsert did with one listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpsertOutcome {
    /// It was new.
    Inserted,
    /// It existed with other content (or was withdrawn and came back).
    Updated,
    /// It existed with the same content; only its last-seen time moved.
    Unchanged,
}

/// Whether a stored listing is on the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListingStatus {
    /// Published.
    Active,
    /// Gone from its source (kept, never deleted).
    Withdrawn,
}

/// A listing as stored, with its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredListing {
    /// The source.
    pub source: SourceName,
    /// The listing.
    pub listing: Listing,
    /// Active or withdrawn.
    pub status: ListingStatus,
    /// Its content hash.
    pub content_hash: String,
    /// First import that saw it.
    pub first_seen_at: DateTime<Utc>,
    /// Last import that saw it.
    pub last_seen_at: DateTime<Utc>,
    /// When it was withdrawn, if it is.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// The feed's record it was last mapped from, when its format keeps it.
    pub source_record: Option<SourceRecord>,
    /// That record's key, when its format gives one.
    pub record_key: Option<RecordKey>,
}

/// The result of withdrawing the listings a complete snapshot did not contain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WithdrawReport {
    /// Active listings of the source before.
    pub active_before: i64,
    /// Active listings not seen since the snapshot began.
    pub missing: i64,
    /// How many were withdrawn (0 when blocked).
    pub withdrawn: i64,
    /// Whether the safety limit blocked the withdrawal.
    pub blocked: bool,
}

/// Per-source state kept between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceState {
    /// The source.
    pub source: SourceName,
    /// Incremental sources: the modification time up to which everything is stored.
    pub watermark: Option<DateTime<Utc>>,
    /// Snapshot sources: when the last complete snapshot was stored.
    pub last_snapshot_at: Option<DateTime<Utc>>,
}

/// A record of an incremental source that failed to map: the next runs fetch it again by its
/// key, whatever the watermark, until it maps or the source no longer has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryKey {
    /// The record's id at the source.
    pub external_id: ExternalId,
    /// The source field the id was read from (RESO `ListingKey`, `ListingKeyNumeric`,
    /// `ListingId`), to ask for the record by it.
    pub key_field: String,
    /// When it first failed.
    pub first_failed_at: DateTime<Utc>,
    /// Why it failed the last time.
    pub last_error: String,
}

/// Whether withdrawing `missing` of `active` listings exceeds `max_fraction` (the safety limit
/// against a truncated or broken snapshot). Every store decides with this function.
pub fn withdrawal_blocked(active: i64, missing: i64, max_fraction: f64) -> bool {
    #[expect(clippy::cast_precision_loss, reason = "listing counts far below 2^52")]
    let fraction = if active == 0 {
        0.0
    } else {
        missing as f64 / active as f64
    };
    fraction > max_fraction
}
