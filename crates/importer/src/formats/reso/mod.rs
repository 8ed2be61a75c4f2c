//! The RESO Web API as a format: one OData page (`{"value": […], "@odata.nextLink": …}`)
//! read as a document of `Property` records. The paging, authentication and watermark of a
//! RESO source are the transport's (`crate::reso`); the field mapping is `mapping` (with
//! the value readers of `values`), documented in `RESO.md`.

use async_trait::async_trait;
use propimport_domain::Currency;
use serde_json::Value;
use tokio::io::AsyncReadExt;

pub(crate) mod mapping;
pub(crate) mod page;
mod values;

pub(crate) use self::mapping::KeyField;
use self::mapping::Outcome;
use super::{Delivery, FeedError, FeedItem, FeedReader, Format, Position, ReadOptions};
use crate::formats::FeedStream;

/// The largest page read as one document.
const MAX_PAGE_BYTES: u64 = 64 << 20;

/// The RESO Web API's JSON pages.
pub(crate) struct Reso;

impl Format for Reso {
    fn name(&self) -> &'static str {
        "reso"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["reso-web-api", "reso_web_api"]
    }

    fn title(&self) -> &'static str {
        "RESO Web API"
    }

    fn delivery(&self) -> Delivery {
        Delivery::Incremental
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        head.trim_ascii_start().starts_with(b"{")
            && memchr::memmem::find(head, b"\"@odata.context\"").is_some()
    }

    fn open(&self, input: FeedStream, options: &ReadOptions) -> Box<dyn FeedReader> {
        Box::new(PageReader {
            input: Some(input),
            currency: options.currency,
            records: Vec::new().into_iter(),
            read: 0,
        })
    }

    fn single_record_document(&self, record: &[u8]) -> Vec<u8> {
        [b"{\"value\":[".as_slice(), record, b"]}"].concat()
    }
}

/// One record mapped: the item, its `ModificationTimestamp` when readable, and its id with
/// the field it was read from (to ask for it again by key).
pub(crate) struct MappedRecord {
    pub item: FeedItem,
    pub modified: Option<chrono::DateTime<chrono::Utc>>,
    pub key: Option<(KeyField, String)>,
}

/// Maps one record of a page, keeping its JSON with the listing.
pub(crate) fn map_record(value: Value, currency: Currency, label: &str) -> MappedRecord {
    let raw = serde_json::to_vec(&value).ok();
    let mapped = mapping::map(value, currency, label);
    let item = match mapped.outcome {
        Outcome::Listing(listing) => FeedItem::Listing(*listing, raw),
        Outcome::Gone(id) => FeedItem::Gone(id),
        Outcome::Failed(failure) => FeedItem::Failed(failure),
    };
    MappedRecord {
        item,
        modified: mapped.modified,
        key: mapped.key,
    }
}

struct PageReader {
    input: Option<FeedStream>,
    currency: Currency,
    records: std::vec::IntoIter<Value>,
    read: u64,
}

#[async_trait]
impl FeedReader for PageReader {
    async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        if let Some(input) = self.input.take() {
            let mut body = Vec::new();
            let mut limited = input.take(MAX_PAGE_BYTES + 1);
            limited
                .read_to_end(&mut body)
                .await
                .map_err(|e| FeedError::io(Position::default(), e))?;
            if body.len() as u64 > MAX_PAGE_BYTES {
                return Err(FeedError::Refused {
                    at: Position::default(),
                    message: format!(
                        "the page is larger than {}",
                        super::size(MAX_PAGE_BYTES as usize)
                    ),
                });
            }
            self.records = page::parse(&body, 0)?.records.into_iter();
        }
        let Some(value) = self.records.next() else {
            return Ok(None);
        };
        self.read += 1;
        let label = format!("record {}", self.read);
        Ok(Some(map_record(value, self.currency, &label).item))
    }
}
