//! The propimport JSON format behind the [`Format`](crate::formats::Format) trait.

use tokio::io::AsyncBufRead;

use super::{FORMAT, JsonReader};
use crate::formats::{FeedError, FeedItem};

/// propimport's own JSON: an array or NDJSON of canonical listings, a complete snapshot.
pub(crate) struct Json;

impl crate::formats::Format for Json {
    fn name(&self) -> &'static str {
        "json"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["propimport-json", "ndjson"]
    }

    fn title(&self) -> &'static str {
        FORMAT
    }

    fn delivery(&self) -> crate::formats::Delivery {
        crate::formats::Delivery::Snapshot
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        matches!(
            head.iter().find(|b| !b.is_ascii_whitespace()),
            Some(b'[' | b'{')
        )
    }

    fn open(
        &self,
        input: crate::formats::FeedStream,
        options: &crate::formats::ReadOptions,
    ) -> Box<dyn crate::formats::FeedReader> {
        Box::new(
            JsonReader::new(input)
                .skip_known(options.known.clone())
                .record_secret(options.record_secret),
        )
    }

    fn skips_known(&self) -> bool {
        true
    }

    /// An array of the one record (a record kept from an array may span lines).
    fn single_record_document(&self, record: &[u8]) -> Vec<u8> {
        [b"[".as_slice(), record, b"]"].concat()
    }
}

#[async_trait::async_trait]
impl<R: AsyncBufRead + Unpin + Send> crate::formats::FeedReader for JsonReader<R> {
    async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        JsonReader::next(self).await
    }

    fn record_key(&self) -> Option<propimport_domain::RecordKey> {
        JsonReader::record_key(self)
    }
}
