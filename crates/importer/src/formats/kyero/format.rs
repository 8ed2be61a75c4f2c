//! The Kyero v3 XML format behind the [`Format`](crate::formats::Format) trait.

use tokio::io::AsyncBufRead;

use super::KyeroReader;
use crate::formats::{FeedError, FeedItem};

/// Kyero v3 XML: a complete snapshot of the agent's listings.
pub(crate) struct Kyero;

impl crate::formats::Format for Kyero {
    fn name(&self) -> &'static str {
        "kyero"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["kyero-xml", "kyero_v3"]
    }

    fn title(&self) -> &'static str {
        "Kyero v3 XML"
    }

    fn delivery(&self) -> crate::formats::Delivery {
        crate::formats::Delivery::Snapshot
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let root = crate::formats::auto::xml_root(head);
        root.as_deref() == Some("root")
            && (memchr::memmem::find(head, b"<kyero").is_some()
                || memchr::memmem::find(head, b"<property").is_some())
    }

    fn open(
        &self,
        input: crate::formats::FeedStream,
        options: &crate::formats::ReadOptions,
    ) -> Box<dyn crate::formats::FeedReader> {
        Box::new(
            KyeroReader::new(input)
                .max_text_bytes(options.max_text_bytes)
                .skip_known(options.known.clone())
                .record_secret(options.record_secret),
        )
    }

    fn skips_known(&self) -> bool {
        true
    }

    fn single_record_document(&self, record: &[u8]) -> Vec<u8> {
        [b"<root>".as_slice(), record, b"</root>"].concat()
    }
}

#[async_trait::async_trait]
impl<R: AsyncBufRead + Unpin + Send> crate::formats::FeedReader for KyeroReader<R> {
    async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        KyeroReader::next(self).await
    }

    fn record_key(&self) -> Option<propimport_domain::RecordKey> {
        KyeroReader::record_key(self)
    }
}
