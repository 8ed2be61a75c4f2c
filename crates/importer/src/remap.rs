//! Mapping stored listings again from the source records kept with them (`propimport
//! remap`): after a mapping changes, every listing gets it without fetching any feed.
//!
//! Each kept record is read again by the format that read it, as a document of that one
//! record ([`crate::Format::single_record_document`]). A record that now maps to a changed
//! listing is written (its content hash changes with the mapping version); one that now says
//! its listing is gone withdraws it; one that now fails keeps its stored listing as it was and
//! is reported. Only active listings are mapped again (a withdrawn listing stays withdrawn).
//! Written listings count as seen at the time given, as an import would: run `remap` while the
//! source is not importing.

use chrono::{DateTime, Utc};
use propimport_domain::{
    ExternalId, ItemError, ListingRecord, ListingStore, SourceName, SourceRecord, UpsertOutcome,
};

use crate::formats::{FeedFormat, FeedItem, ReadOptions};
use crate::hash::kept_record;

/// The most errors a report keeps (the count goes on).
const MAX_ERRORS: usize = 100;

/// What mapping a source's stored listings again did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemapReport {
    /// Kept records read.
    pub read: u64,
    /// Listings whose mapped content changed, and were written.
    pub updated: u64,
    /// Listings that map as they were stored.
    pub unchanged: u64,
    /// Listings withdrawn because their record now says they are gone.
    pub withdrawn: u64,
    /// Records that failed to map; their stored listings are kept as they were.
    pub failed: u64,
    /// The first failures, with their reasons.
    pub errors: Vec<ItemError>,
}

/// Maps `source`'s stored listings again, `batch` records at a time; `now` is the time
/// written listings are seen at.
pub async fn remap(
    store: &dyn ListingStore,
    source: &SourceName,
    options: &ReadOptions,
    now: DateTime<Utc>,
    batch: usize,
) -> Result<RemapReport, propimport_domain::Error> {
    let mut report = RemapReport::default();
    let mut after: Option<ExternalId> = None;
    loop {
        let page = store
            .source_records(source, after.as_ref(), batch.max(1))
            .await?;
        let Some((last, _)) = page.last() else {
            return Ok(report);
        };
        after = Some(last.clone());
        let mut records = Vec::with_capacity(page.len());
        let mut gone = Vec::new();
        for (id, kept) in page {
            report.read += 1;
            let again = match kept {
                Ok(kept) => map_again(&id, kept, options).await,
                Err(damaged) => Err(damaged),
            };
            match again {
                Ok(Again::Listing(record)) => records.push(*record),
                Ok(Again::Gone) => gone.push(id),
                Err(message) => report.fail(&id, message),
            }
        }
        if !records.is_empty() {
            for outcome in store.upsert_batch(source, &records, now).await? {
                match outcome {
                    UpsertOutcome::Unchanged => report.unchanged += 1,
                    UpsertOutcome::Updated | UpsertOutcome::Inserted => report.updated += 1,
                }
            }
        }
        if !gone.is_empty() {
            report.withdrawn += store.withdraw_ids(source, &gone, now).await?;
        }
    }
}

impl RemapReport {
    fn fail(&mut self, id: &ExternalId, message: String) {
        self.failed += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(ItemError {
                external_id: Some(id.to_string()),
                stage: "remap".into(),
                message,
            });
        }
    }
}

/// What a kept record maps to now.
pub(crate) enum Again {
    Listing(Box<ListingRecord>),
    Gone,
}

/// Reads the kept record of listing `id` again with its format (the importer also maps so a
/// record recognized by its key whose stored listing turned out changed).
pub(crate) async fn map_again(
    id: &ExternalId,
    kept: SourceRecord,
    options: &ReadOptions,
) -> Result<Again, String> {
    let format = FeedFormat::parse(&kept.format)
        .ok_or_else(|| format!("the kept record's format {:?} is not known", kept.format))?;
    let raw = kept.bytes;
    let document = format.format().single_record_document(&raw);
    let mut reader = format.open(Box::new(std::io::Cursor::new(document)), options);
    let item = reader
        .next()
        .await
        .map_err(|e| format!("the kept record cannot be read: {e}"))?;
    match item {
        Some(FeedItem::Listing(listing, again)) => {
            if listing.external_id != *id {
                return Err(format!(
                    "the kept record now maps to the id {:?}; the stored listing is kept",
                    listing.external_id.as_str()
                ));
            }
            // No record key: a kept record may lack part of what the feed sent (Kyero's
            // private notes), so its key is not the one an import reads.
            let record = kept_record(listing, Some(again.unwrap_or(raw)), format.name());
            Ok(Again::Listing(Box::new(record)))
        }
        Some(FeedItem::Gone(gone)) if gone == *id => Ok(Again::Gone),
        Some(FeedItem::Gone(other)) => Err(format!(
            "the kept record now says {:?} is gone; the stored listing is kept",
            other.as_str()
        )),
        Some(FeedItem::Failed(failure)) => Err(failure.message),
        Some(FeedItem::Known(_)) => Err("the kept record was given unread".into()),
        None => Err("the kept record holds no record".into()),
    }
}
