//! One run of a RESO source: pages in modification order from the stored watermark; each
//! page's listings are stored and its gone listings withdrawn before the watermark moves to
//! the page's latest `ModificationTimestamp`, so a run that fails or is cancelled midway
//! resumes after the last page it stored. Memory holds one page at a time.
//!
//! A record that fails to map is not left behind the watermark: its key is kept in the store
//! (before the watermark moves past it), and each run starts by asking for the kept keys
//! again (`retry.rs`) until the record maps or the server no longer has it.

mod retry;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use propimport_domain::{CancelToken, ExternalId, ProgressHandle, RetryKey, SourceState};
use serde_json::Value;

use super::{Batch, Importer};
use crate::ImportError;
use crate::fetch::FetchError;
use crate::formats::{FeedError, FeedItem};
use crate::hash::kept_record;
use crate::report::{ImportOutcome, ImportReport};
use crate::reso::{PageError, ResoClient, paging};
use crate::source::Location;

/// Runs one import of a RESO source (see the module documentation).
pub(crate) async fn run(
    importer: &Importer,
    reso: &ResoClient,
    cancel: &CancelToken,
    progress: &ProgressHandle,
) -> Result<ImportReport, ImportError> {
    let source = &importer.source;
    let name = source.name.to_string();
    let store_failed = |error| ImportError::Store {
        source_name: name.clone(),
        error,
    };
    let state = importer
        .listings
        .source_state(&source.name)
        .await
        .map_err(store_failed)?;
    let last_snapshot_at = state.as_ref().and_then(|s| s.last_snapshot_at);
    let mut watermark = state.and_then(|s| s.watermark);
    let credentials = reso.sends_credentials(source);
    // Cancelled until the last page is stored.
    let mut report = ImportReport::new(ImportOutcome::Cancelled);
    let mut pending = retry::retry_failed(importer, reso, cancel, &mut report)
        .await
        .map_err(store_failed)?;
    let mut url = paging::first_page(&reso.resource, watermark, reso.settings.page_size);
    let mut read_to_end = false;
    let mut page_number: u64 = 0;
    while !cancel.is_cancelled() {
        page_number += 1;
        let feed_failed = |error| ImportError::Feed {
            source_name: name.clone(),
            location: format!(
                "{} (page {page_number})",
                Location::Url(url.clone()).redacted()
            ),
            error,
        };
        let read_before = u64::try_from(report.total).unwrap_or_default();
        let http = &source.http;
        let page = match reso
            .page(&importer.client, http, &url, read_before, cancel)
            .await
        {
            Ok(page) => page,
            Err(PageError::Fetch(FetchError::Cancelled { .. })) => break,
            // A server that does not support `$count` (it only feeds the progress) is asked
            // again without it.
            Err(PageError::Fetch(FetchError::Status { status, .. }))
                if page_number == 1
                    && matches!(status.as_u16(), 400 | 501)
                    && paging::without_count(&url).is_some() =>
            {
                tracing::warn!(source = %name, %status, "the RESO server refused $count=true; reading without the expected total");
                if let Some(plain) = paging::without_count(&url) {
                    url = plain;
                }
                page_number = 0;
                continue;
            }
            Err(PageError::Fetch(error)) => {
                return Err(ImportError::Fetch {
                    source_name: name,
                    error,
                });
            }
            Err(PageError::Feed(error)) => return Err(feed_failed(error)),
        };
        let label = |index: usize| format!("page {page_number}, record {}", index + 1);
        let mapped = map_page(importer, reso, page.records, label);
        let latest = mapped.latest;
        store_page(importer, mapped, &mut pending, &mut report)
            .await
            .map_err(store_failed)?;
        if let Some(latest) = latest
            && watermark.is_none_or(|w| latest > w)
        {
            let state = SourceState {
                source: source.name.clone(),
                watermark: Some(latest),
                last_snapshot_at,
            };
            importer
                .listings
                .save_source_state(&state)
                .await
                .map_err(store_failed)?;
            watermark = Some(latest);
        }
        tracing::debug!(source = %name, page = page_number, watermark = ?watermark, "RESO page stored");
        // The first page's `@odata.count` is how many records the run will read.
        let expected = page.count.filter(|_| page_number == 1);
        progress.update(|p| {
            p.counts = report.counts();
            p.expected_total = expected.or(p.expected_total);
        });
        let Some(link) = page.next_link else {
            read_to_end = true;
            break;
        };
        url = paging::next_page(&url, &reso.resource, &link, credentials).map_err(|message| {
            feed_failed(FeedError::WrongFormat {
                format: "RESO Web API",
                message,
            })
        })?;
    }
    // The loop stops before the last page only when the run is cancelled.
    if read_to_end && !cancel.is_cancelled() {
        report.outcome = ImportOutcome::Complete;
    }
    progress.update(|p| {
        p.counts = report.counts();
        p.expected_total = Some(report.total);
    });
    Ok(report)
}

/// A page's records mapped: what to store, the latest `ModificationTimestamp`, and each id's
/// last outcome on the page (`None` when it mapped, else the key to retry).
struct MappedPage {
    batch: Batch,
    latest: Option<DateTime<Utc>>,
    outcomes: BTreeMap<ExternalId, Option<RetryKey>>,
    /// Records whose id could not be told (they cannot be asked for again).
    unkeyed: usize,
}

/// The longest error kept with a key to retry.
const MAX_KEPT_ERROR: usize = 1000;

/// Maps a page's records (`label` says where record `i` is, for messages). When a page has
/// the same id more than once, its last record decides between storing and withdrawing.
fn map_page(
    importer: &Importer,
    reso: &ResoClient,
    records: Vec<Value>,
    label: impl Fn(usize) -> String,
) -> MappedPage {
    let mut page = MappedPage {
        batch: Batch::default(),
        latest: None,
        outcomes: BTreeMap::new(),
        unkeyed: 0,
    };
    let format = importer.source.format.name();
    let now = importer.clock.now();
    for (index, value) in records.into_iter().enumerate() {
        let mapped = crate::formats::reso::map_record(value, reso.currency, &label(index));
        page.latest = page.latest.max(mapped.modified);
        let key = mapped
            .key
            .and_then(|(field, id)| Some((field, ExternalId::parse(&id).ok()?)));
        let Some((field, id)) = key else {
            page.unkeyed += 1;
            if let FeedItem::Failed(failure) = mapped.item {
                page.batch.failures.push(failure);
            }
            continue;
        };
        match mapped.item {
            FeedItem::Listing(listing, raw) => {
                page.batch.push_record(kept_record(listing, raw, format));
                page.outcomes.insert(id, None);
            }
            FeedItem::Gone(gone) => {
                page.batch.push_gone(gone);
                page.outcomes.insert(id, None);
            }
            // The RESO reader recognizes no records; were one given, it is stored as any.
            FeedItem::Known(known) => {
                page.batch.push_known(known, importer.source.format);
                page.outcomes.insert(id, None);
            }
            FeedItem::Failed(failure) => {
                let last_error = failure.message.chars().take(MAX_KEPT_ERROR).collect();
                page.batch.failures.push(failure);
                let key = RetryKey {
                    external_id: id.clone(),
                    key_field: field.name().to_owned(),
                    first_failed_at: now,
                    last_error,
                };
                page.outcomes.insert(id, Some(key));
            }
        }
    }
    page
}

/// Stores a mapped page: its listings in batches (each with its source record), its failures
/// recorded, its gone listings withdrawn; then the keys of its failed records are kept to be
/// retried, and the keys of records that now mapped are cleared (`pending` is the source's
/// kept keys, updated).
async fn store_page(
    importer: &Importer,
    mapped: MappedPage,
    pending: &mut HashSet<ExternalId>,
    report: &mut ImportReport,
) -> Result<(), propimport_domain::Error> {
    let MappedPage {
        batch: mut page,
        outcomes,
        ..
    } = mapped;
    let batch_size = importer.batch_size.max(1);
    while !page.is_empty() {
        let rest = page.records.split_off(batch_size.min(page.records.len()));
        let batch = Batch {
            records: std::mem::replace(&mut page.records, rest),
            gone: std::mem::take(&mut page.gone),
            failures: std::mem::take(&mut page.failures),
            known: std::mem::take(&mut page.known),
            known_format: page.known_format,
        };
        importer.store_batch(batch, report).await?;
    }
    let source = &importer.source.name;
    let mut failed = Vec::new();
    let mut fixed = Vec::new();
    for (id, outcome) in outcomes {
        match outcome {
            Some(key) => failed.push(key),
            None if pending.contains(&id) => fixed.push(id),
            None => {}
        }
    }
    if !failed.is_empty() {
        importer.listings.add_retry_keys(source, &failed).await?;
        pending.extend(failed.into_iter().map(|key| key.external_id));
    }
    if !fixed.is_empty() {
        importer.listings.clear_retry_keys(source, &fixed).await?;
        for id in &fixed {
            pending.remove(id);
        }
    }
    Ok(())
}
