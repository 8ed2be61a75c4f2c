//! The first step of a RESO run: the records that failed to map on earlier runs are asked
//! for again by key (`ListingKey eq 'a' or ListingKey eq 'b' …`, a few keys a request),
//! whatever the watermark. A record that now maps is stored and its key cleared; one that
//! still fails stays and is in this run's errors again; a key the server no longer returns
//! (the record was deleted, or is no longer visible) is cleared.
//!
//! A request that fails (after the usual retries) is logged and its keys are kept for the
//! next run; the run goes on with its pages. An answer with records that were not asked for
//! (a server that ignores the filter) is not used, and its keys are kept.

use std::collections::{BTreeMap, HashSet};

use propimport_domain::{CancelToken, ExternalId, RetryKey};

use super::{map_page, store_page};
use crate::fetch::FetchError;
use crate::formats::reso::KeyField;
use crate::pipeline::Importer;
use crate::report::ImportReport;
use crate::reso::{PageError, ResoClient, paging};

/// Keys asked for in one request (keeps the URL short).
const KEYS_PER_REQUEST: usize = 20;

/// Fetches and maps the source's kept keys again (see the module documentation); returns
/// the keys still kept.
pub(super) async fn retry_failed(
    importer: &Importer,
    reso: &ResoClient,
    cancel: &CancelToken,
    report: &mut ImportReport,
) -> Result<HashSet<ExternalId>, propimport_domain::Error> {
    let source = &importer.source.name;
    let kept = importer.listings.retry_keys(source).await?;
    let mut pending: HashSet<ExternalId> = kept.iter().map(|k| k.external_id.clone()).collect();
    let mut by_field: BTreeMap<&str, Vec<&RetryKey>> = BTreeMap::new();
    for key in &kept {
        by_field
            .entry(key.key_field.as_str())
            .or_default()
            .push(key);
    }
    for (field_name, keys) in by_field {
        let field = KeyField::of_name(field_name).unwrap_or(KeyField::Key);
        for chunk in keys.chunks(KEYS_PER_REQUEST) {
            if cancel.is_cancelled() {
                return Ok(pending);
            }
            let ids: Vec<&str> = chunk.iter().map(|k| k.external_id.as_str()).collect();
            let numeric = field == KeyField::KeyNumeric;
            let url = paging::by_keys(&reso.resource, field.name(), numeric, &ids);
            let read_before = u64::try_from(report.total).unwrap_or_default();
            let http = &importer.source.http;
            let page = match reso
                .page(&importer.client, http, &url, read_before, cancel)
                .await
            {
                Ok(page) => page,
                Err(PageError::Fetch(FetchError::Cancelled { .. })) => return Ok(pending),
                Err(PageError::Fetch(error)) => {
                    tracing::warn!(source = %source, %error, "cannot fetch records to retry by key; they are kept for the next run");
                    continue;
                }
                Err(PageError::Feed(error)) => {
                    tracing::warn!(source = %source, %error, "cannot read records to retry by key; they are kept for the next run");
                    continue;
                }
            };
            let label = |index: usize| format!("retried record {}", index + 1);
            let mapped = map_page(importer, reso, page.records, label);
            let asked: HashSet<&str> = ids.iter().copied().collect();
            if mapped.unkeyed > 0
                || mapped
                    .outcomes
                    .keys()
                    .any(|id| !asked.contains(id.as_str()))
            {
                tracing::warn!(source = %source, "the server answered a request by key with records not asked for; the keys are kept for the next run");
                continue;
            }
            let missing: Vec<ExternalId> = chunk
                .iter()
                .map(|k| k.external_id.clone())
                .filter(|id| !mapped.outcomes.contains_key(id))
                .collect();
            store_page(importer, mapped, &mut pending, report).await?;
            if !missing.is_empty() {
                tracing::info!(source = %source, count = missing.len(), "records to retry are no longer at the source; their keys are cleared");
                importer.listings.clear_retry_keys(source, &missing).await?;
                for id in &missing {
                    pending.remove(id);
                }
            }
        }
    }
    Ok(pending)
}
