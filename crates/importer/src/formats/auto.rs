//! Detecting a feed's format from its first bytes, for sources whose configuration does not
//! name one: the `auto` format reads up to [`HEAD_BYTES`], asks every format whether it
//! recognises them, and reads the document with the one that does.

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt, BufReader};

use super::{Delivery, FeedError, FeedFormat, FeedItem, FeedReader, Format, ReadOptions};
use crate::formats::FeedStream;

/// How many of a document's first bytes sniffing looks at.
pub(crate) const HEAD_BYTES: usize = 4096;

/// The format that detects the others.
pub(crate) struct Auto;

impl Format for Auto {
    fn name(&self) -> &'static str {
        "auto"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["detect"]
    }

    fn title(&self) -> &'static str {
        "a format detected from the content"
    }

    fn delivery(&self) -> Delivery {
        Delivery::Declared
    }

    fn sniff(&self, _: &[u8]) -> bool {
        false
    }

    fn open(&self, input: FeedStream, options: &ReadOptions) -> Box<dyn FeedReader> {
        Box::new(AutoReader {
            state: State::New(input, options.clone()),
        })
    }

    /// The format detected may recognize known records (Kyero): the table is read before the
    /// document's first bytes are, and a store gives it empty, after a short read, for a
    /// source whose listings have no keys.
    fn skips_known(&self) -> bool {
        true
    }

    fn single_record_document(&self, record: &[u8]) -> Vec<u8> {
        record.to_vec()
    }
}

enum State {
    New(FeedStream, ReadOptions),
    Reading(FeedFormat, Box<dyn FeedReader>),
    Failed(FeedError),
}

/// Reads the head, picks the format, then hands every call to that format's reader.
struct AutoReader {
    state: State,
}

#[async_trait]
impl FeedReader for AutoReader {
    async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        if let State::New(..) = self.state {
            let State::New(input, options) =
                std::mem::replace(&mut self.state, State::Failed(FeedError::Empty))
            else {
                return Err(FeedError::Empty);
            };
            self.state = match detect(input, &options).await {
                Ok((format, reader)) => State::Reading(format, reader),
                Err(e) => State::Failed(e),
            };
        }
        match &mut self.state {
            State::Reading(_, reader) => reader.next().await,
            State::Failed(e) => Err(e.clone()),
            State::New(..) => Err(FeedError::Empty),
        }
    }

    fn is_complete_list(&self) -> bool {
        match &self.state {
            State::Reading(_, reader) => reader.is_complete_list(),
            _ => false,
        }
    }

    fn detected(&self) -> Option<FeedFormat> {
        match &self.state {
            State::Reading(format, reader) => reader.detected().or(Some(*format)),
            _ => None,
        }
    }

    fn record_key(&self) -> Option<propimport_domain::RecordKey> {
        match &self.state {
            State::Reading(_, reader) => reader.record_key(),
            _ => None,
        }
    }
}

/// Reads the head of `input`, finds its format and opens its reader over the whole input.
async fn detect(
    mut input: FeedStream,
    options: &ReadOptions,
) -> Result<(FeedFormat, Box<dyn FeedReader>), FeedError> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut input)
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .await
        .map_err(|e| FeedError::io(super::Position::default(), e))?;
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(FeedError::Empty);
    }
    let format = FeedFormat::sniff(&head).ok_or_else(|| FeedError::WrongFormat {
        format: "any known feed format",
        message: format!(
            "its first bytes ({}) match none of {}; name the format in the source's configuration",
            preview(&head),
            FeedFormat::names()
        ),
    })?;
    if format.delivery() == Delivery::Incremental {
        return Err(FeedError::WrongFormat {
            format: "a feed read as one document",
            message: format!(
                "it looks like a {} response; set the source's format to {} to read it page by page",
                format.title(),
                format.name()
            ),
        });
    }
    let whole: Box<dyn AsyncRead + Send + Unpin> =
        Box::new(std::io::Cursor::new(head).chain(input));
    let reader = format
        .format()
        .open(Box::new(BufReader::new(whole)), options);
    Ok((format, reader))
}

/// The first bytes of a document, for a message: at most 40 characters, escaped.
fn preview(head: &[u8]) -> String {
    let text = String::from_utf8_lossy(&head[..head.len().min(40)]);
    format!("{:?}", text.trim_start())
}

/// The name of an XML document's root element, skipping a byte order mark, the XML
/// declaration, comments, processing instructions and a DOCTYPE; `None` when `head` does
/// not start like XML.
pub(crate) fn xml_root(head: &[u8]) -> Option<String> {
    let mut rest = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    loop {
        rest = rest.trim_ascii_start();
        if rest.starts_with(b"<?") {
            rest = &rest[memchr::memmem::find(rest, b"?>")? + 2..];
        } else if rest.starts_with(b"<!--") {
            rest = &rest[memchr::memmem::find(rest, b"-->")? + 3..];
        } else if rest.starts_with(b"<!") {
            rest = &rest[memchr::memchr(b'>', rest)? + 1..];
        } else if let Some(tag) = rest.strip_prefix(b"<") {
            let end = tag
                .iter()
                .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))?;
            let name = std::str::from_utf8(&tag[..end]).ok()?;
            // A namespace prefix does not change what the element is.
            let local = name.rsplit(':').next().unwrap_or(name);
            return Some(local.to_owned()).filter(|n| !n.is_empty());
        } else {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_element_is_found_after_the_prolog() {
        let doc = b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- made by a CRM -->\n<!DOCTYPE x>\n<root><kyero>";
        assert_eq!(xml_root(doc).as_deref(), Some("root"));
        assert_eq!(
            xml_root(b"<oi:openimmo xmlns:oi=\"x\">").as_deref(),
            Some("openimmo")
        );
        assert_eq!(xml_root(b"{\"a\":1}"), None);
        assert_eq!(xml_root(b"<?xml version=\"1.0\""), None);
    }

    #[tokio::test]
    async fn a_feed_is_read_by_the_format_its_head_names() {
        let kyero =
            b"<?xml version=\"1.0\"?><root><kyero><feed_version>3</feed_version></kyero></root>";
        let mut reader = FeedFormat::AUTO.open(
            Box::new(std::io::Cursor::new(kyero.to_vec())),
            &ReadOptions::default(),
        );
        assert!(matches!(reader.next().await, Ok(None)));
        assert_eq!(reader.detected(), Some(FeedFormat::KYERO));
        assert!(reader.is_complete_list());
    }

    #[tokio::test]
    async fn an_unknown_document_says_what_it_starts_with() {
        let mut reader = FeedFormat::AUTO.open(
            Box::new(std::io::Cursor::new(b"<html><body>".to_vec())),
            &ReadOptions::default(),
        );
        let error = reader
            .next()
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("<html><body>"), "{error}");
        assert!(error.contains("kyero"), "{error}");
    }
}
