//! The record loop: from one end-of-record mark to the next, each record decoded, split at
//! the end-of-field mark, checked against the definition and mapped.

use memchr::memmem::Finder;
use tokio::io::AsyncBufRead;

use super::columns::Columns;
use super::header::Header;
use super::map::{self, Mapped};
use super::media::{Resolver, Unresolved};
use super::text::{Decoder, Encoding, Fields};
use crate::formats::window::{Found, Window};
use crate::formats::{
    FeedError, FeedItem, MAX_RECORD_BYTES, Position, ReadOptions, RecordError, Stage,
};

/// What the header and definition say, and the state of the record loop.
pub(super) struct Document {
    pub(super) header: Header,
    /// The end-of-record mark as the document's bytes write it.
    pub(super) eor: Finder<'static>,
    pub(super) columns: Columns,
    pub(super) decoder: Decoder,
    pub(super) fields: Fields,
    /// How many fields the definition names.
    pub(super) expected: usize,
    /// Whether the definition ends with the end-of-field mark (then records do too).
    pub(super) terminated: bool,
    pub(super) records: u64,
    pub(super) unresolved: Unresolved,
    /// The start of every kept record: a header and the whole definition.
    pub(super) kept_head: String,
}

/// What one step of the record loop found.
pub(super) enum Step {
    /// Nothing to give (an empty record): step again.
    Again,
    /// A record.
    Item(FeedItem),
    /// `#END#`.
    End,
    /// The last record, written without its end-of-record mark before `#END#`.
    Last(FeedItem),
}

/// Reads the next record (or `#END#`).
pub(super) async fn step<R: AsyncBufRead + Unpin>(
    input: &mut R,
    window: &mut Window,
    options: &ReadOptions,
    document: &mut Document,
) -> Result<Step, FeedError> {
    let at = Position {
        offset: window.offset_of(0),
        line: None,
        records: document.records,
    };
    let io = |e| FeedError::io(at, e);
    let eof = document.header.eof.as_bytes();
    let skip = |b: u8| b.is_ascii_whitespace() && !eof.contains(&b);
    window.skip_while(input, skip).await.map_err(io)?;
    let at = Position {
        offset: window.offset_of(0),
        ..at
    };
    let io = |e| FeedError::io(at, e);
    window.want(input, 5).await.map_err(io)?;
    if window.rest().starts_with(b"#END#") {
        return Ok(Step::End);
    }
    let eor_len = document.eor.needle().len();
    let found = window.find(input, &document.eor, MAX_RECORD_BYTES).await;
    match found.map_err(io)? {
        Found::At(0) => {
            window.consume(eor_len);
            Ok(Step::Again)
        }
        Found::At(n) => {
            let item = record(document, options, &window.rest()[..n]);
            window.consume(n + eor_len);
            Ok(Step::Item(item))
        }
        Found::Limit => {
            document.records += 1;
            let number = document.records;
            window.skip_past(input, &document.eor).await.map_err(io)?;
            Ok(Step::Item(FeedItem::Failed(RecordError {
                external_id: None,
                stage: Stage::Parse,
                message: format!(
                    "record {number} is longer than {}; it was skipped",
                    crate::formats::size(MAX_RECORD_BYTES)
                ),
            })))
        }
        Found::End => {
            let rest = window.rest().trim_ascii_end();
            let Some(last) = rest.strip_suffix(b"#END#") else {
                return Err(FeedError::Truncated {
                    at,
                    message: "the document ends before #END#".into(),
                });
            };
            let item = record(document, options, last.trim_ascii_end());
            let all = window.rest().len();
            window.consume(all);
            Ok(Step::Last(item))
        }
    }
}

/// `mark` as a document in `encoding` writes it.
pub(super) fn raw_mark(mark: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Windows1252 => encoding_rs::WINDOWS_1252.encode(mark).0.into_owned(),
        Encoding::Utf8 | Encoding::Undecided => mark.as_bytes().to_vec(),
    }
}

/// Splits, checks and maps one record (its bytes without the end-of-record mark).
fn record(d: &mut Document, options: &ReadOptions, bytes: &[u8]) -> FeedItem {
    d.records += 1;
    let number = d.records;
    let bytes = if d.header.eor.starts_with('\n') {
        bytes.strip_suffix(b"\r").unwrap_or(bytes)
    } else {
        bytes
    };
    let shape = (d.expected, d.terminated);
    d.fields.split(&mut d.decoder, bytes, &d.header.eof, shape);
    let f = &d.fields;
    let failed = |message: String| {
        FeedItem::Failed(RecordError {
            external_id: f.get(d.columns.agent_ref).map(std::borrow::Cow::into_owned),
            stage: Stage::Parse,
            message: format!("record {number}: {message}"),
        })
    };
    if f.len() != d.expected {
        return failed(format!(
            "{} fields where the definition names {}",
            f.len(),
            d.expected
        ));
    }
    if f.longest() > options.max_text_bytes {
        return failed(format!(
            "a field is longer than {}",
            crate::formats::size(options.max_text_bytes)
        ));
    }
    let mut resolver = Resolver {
        attachments: options.attachments.as_deref(),
        unresolved: &mut d.unresolved,
        agent_ref: d.columns.agent_ref.map_or("", |i| f.raw(i)),
    };
    match map::map(f, &d.columns, &mut resolver, number) {
        Ok(Mapped::Listing(listing)) => {
            let mut kept = String::with_capacity(d.kept_head.len() + f.text().len() + 16);
            kept.push_str(&d.kept_head);
            kept.push_str(f.text());
            kept.push_str(&d.header.eor);
            kept.push_str("\n#END#\n");
            FeedItem::Listing(*listing, Some(kept.into_bytes()))
        }
        Ok(Mapped::Gone(id)) => FeedItem::Gone(id),
        Err(e) => FeedItem::Failed(e),
    }
}
