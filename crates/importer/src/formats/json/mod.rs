//! The propimport JSON reader: canonical listings (the domain's camelCase serde form, see
//! `FORMAT.md`) as one JSON array or as NDJSON, told apart by the first non-whitespace byte
//! (`[` or `{`).
//!
//! The array is read element by element, never whole. Its syntax belongs to the document: a
//! syntax error in any element, a missing `]`, a trailing comma or content after the array
//! fails the feed. In NDJSON each line stands alone: a line that is not valid JSON fails at
//! `parse` and the reader goes on — but a last line that has no newline and does not parse is
//! taken as a feed cut short. A record that is valid JSON but not a valid listing fails at
//! `validate`, with its `externalId` when one can be found. Blank lines are skipped. An input
//! with no content at all is NDJSON without lines: no records (which the importer refuses as
//! an empty feed unless the source allows it, as it refuses `[]`).
//!
//! Memory stays bounded by one record whatever its size: a record larger than 4 MiB is
//! skipped as it streams (never held whole) and fails alone.
//!
//! Every record has a key: a hash of its bytes under a seed of the format and the store's
//! secret ([`JsonReader::record_key`]). A record whose key is among the source's stored ones
//! ([`JsonReader::skip_known`]) is given as [`FeedItem::Known`], unparsed: an unchanged feed
//! imported again costs the split of its records and a hash of each.

mod format;
mod source;

use std::sync::Arc;

use propimport_domain::{ExternalId, KnownRecord, KnownRecords, Listing, Money, Price, RecordKey};
use serde_json::Value;
use tokio::io::AsyncBufRead;

use super::{FeedError, FeedItem, MAX_RECORD_BYTES, RecordError, Stage};
use source::{ElementEnd, Record, Source};

pub(crate) use format::Json;

const FORMAT: &str = "propimport JSON";

/// Reads a propimport JSON feed (array or NDJSON) one listing at a time.
pub struct JsonReader<R> {
    src: Source<R>,
    mode: Mode,
    record: Record,
    records: u64,
    failed: Option<FeedError>,
    /// The stored keys to recognize records by.
    known: Option<Arc<KnownRecords>>,
    /// The seed of this feed's record keys.
    seed: u64,
    /// The key of the record of the item given last.
    last_key: Option<RecordKey>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Start,
    /// In the array: after `[`.
    Opened,
    /// In the array: after a `,`.
    AfterComma,
    /// After the closing `]`.
    Closed,
    Lines,
    Finished,
}

impl<R: AsyncBufRead + Unpin> JsonReader<R> {
    /// A reader of the feed in `input` (read lazily, from the first call to `next`).
    pub fn new(input: R) -> Self {
        Self {
            src: Source::new(input),
            mode: Mode::Start,
            record: Record::default(),
            records: 0,
            failed: None,
            known: None,
            seed: crate::hash::secret_seed("json", &[], None),
            last_key: None,
        }
    }

    /// Mixes `secret` (the store's, [`KnownRecords::secret`]) into the seed of the record
    /// keys, so that a stored key tells nothing of the record's bytes without it. Keys drawn
    /// with another secret, or none, never match.
    #[must_use]
    pub fn record_secret(mut self, secret: Option<[u8; 16]>) -> Self {
        self.seed = crate::hash::secret_seed("json", &[], secret);
        self
    }

    /// Gives the records whose keys ([`JsonReader::record_key`]) are in `known` as
    /// [`FeedItem::Known`], without parsing them.
    #[must_use]
    pub fn skip_known(mut self, known: Option<Arc<KnownRecords>>) -> Self {
        self.known = known.filter(|k| !k.is_empty());
        self
    }

    /// The key of the record the last call to [`JsonReader::next`] gave: a hash of its bytes
    /// (an array element as written, a line without its surrounding whitespace) under a seed
    /// of the format and the secret ([`record_key`](crate::hash::record_key)); none for a
    /// record too large to be held.
    pub fn record_key(&self) -> Option<RecordKey> {
        self.last_key
    }

    /// The next listing, or a record that failed alone; `Ok(None)` at the end of the feed.
    pub async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        self.last_key = None;
        let result = self.step().await;
        match &result {
            Ok(Some(_)) => {}
            Ok(None) => self.mode = Mode::Finished,
            Err(e) => self.failed = Some(e.clone()),
        }
        result
    }

    async fn step(&mut self) -> Result<Option<FeedItem>, FeedError> {
        loop {
            match self.mode {
                Mode::Finished => return Ok(None),
                Mode::Lines => return self.line().await,
                _ => {}
            }
            let next = self.peek(true).await?;
            match (self.mode, next) {
                (Mode::Finished | Mode::Lines, _) | (Mode::Closed, None) => return Ok(None),
                (Mode::Start, None) => return Ok(None),
                (Mode::Start, Some(0xEF)) => self.skip_bom().await?,
                (Mode::Start, Some(0xFE | 0xFF)) => {
                    let label = "UTF-16".into();
                    return Err(FeedError::UnsupportedEncoding { label });
                }
                (Mode::Start, Some(b'[')) => {
                    self.src.bump(b'[');
                    self.mode = Mode::Opened;
                }
                (Mode::Start, Some(b'{')) => self.mode = Mode::Lines,
                (Mode::Start, Some(other)) => {
                    return Err(FeedError::WrongFormat {
                        format: FORMAT,
                        message: format!("it starts with {:?}, not [ or {{", char::from(other)),
                    });
                }
                (Mode::Opened | Mode::AfterComma, None) => {
                    return Err(self.truncated("the array has no closing ]".into()));
                }
                (Mode::Opened, Some(b']')) => {
                    self.src.bump(b']');
                    self.mode = Mode::Closed;
                }
                (Mode::AfterComma, Some(b']' | b',')) => {
                    return Err(self.malformed("a value is missing after a comma".into()));
                }
                (Mode::Opened | Mode::AfterComma, Some(_)) => {
                    return self.element().await.map(Some);
                }
                (Mode::Closed, Some(_)) => {
                    return Err(self.malformed("content after the closing ]".into()));
                }
            }
        }
    }

    async fn peek(&mut self, skip_whitespace: bool) -> Result<Option<u8>, FeedError> {
        self.src
            .peek(skip_whitespace)
            .await
            .map_err(|e| FeedError::io(self.src.at(self.records), e))
    }

    /// Consumes a UTF-8 byte-order mark whose first byte was peeked.
    async fn skip_bom(&mut self) -> Result<(), FeedError> {
        for expected in [0xEF, 0xBB, 0xBF] {
            if self.peek(false).await? != Some(expected) {
                return Err(self.malformed("the feed starts with an invalid byte".into()));
            }
            self.src.bump(expected);
        }
        Ok(())
    }

    async fn element(&mut self) -> Result<FeedItem, FeedError> {
        let at = self.src.at(self.records);
        self.record.clear();
        let end = self
            .src
            .element(&mut self.record)
            .await
            .map_err(|e| FeedError::io(self.src.at(self.records), e))?;
        self.mode = match end {
            ElementEnd::Comma => Mode::AfterComma,
            ElementEnd::Close => Mode::Closed,
            ElementEnd::Eof => {
                return Err(self.truncated(format!(
                    "the array ends inside element {}",
                    self.records + 1
                )));
            }
        };
        self.records += 1;
        let label = format!("element {}", self.records);
        if self.record.oversized {
            return Ok(FeedItem::Failed(too_large(&label)));
        }
        let bytes = &self.record.bytes;
        let key = crate::hash::record_key(self.seed, bytes);
        self.last_key = Some(key);
        if let Some(known) = recognized(self.known.as_deref(), key, bytes) {
            return Ok(known);
        }
        decode(bytes, &label).map_err(|message| FeedError::Malformed { at, message })
    }

    async fn line(&mut self) -> Result<Option<FeedItem>, FeedError> {
        loop {
            let at = self.src.at(self.records);
            self.record.clear();
            let read = self.src.line(&mut self.record).await;
            let terminated = match read.map_err(|e| FeedError::io(at, e))? {
                None => return Ok(None),
                Some(terminated) => terminated,
            };
            let label = format!("line {}", at.line.unwrap_or_default());
            if self.record.oversized {
                self.records += 1;
                return Ok(Some(FeedItem::Failed(too_large(&label))));
            }
            let bytes = self.record.bytes.trim_ascii();
            if bytes.is_empty() {
                continue;
            }
            let key = crate::hash::record_key(self.seed, bytes);
            self.last_key = Some(key);
            if let Some(known) = recognized(self.known.as_deref(), key, bytes) {
                self.records += 1;
                return Ok(Some(known));
            }
            let item = match decode(bytes, &label) {
                Ok(item) => item,
                Err(message) if !terminated => {
                    return Err(FeedError::Truncated { at, message });
                }
                Err(message) => FeedItem::Failed(RecordError {
                    external_id: sniff_external_id(bytes),
                    stage: Stage::Parse,
                    message,
                }),
            };
            self.records += 1;
            return Ok(Some(item));
        }
    }

    fn truncated(&self, message: String) -> FeedError {
        FeedError::Truncated {
            at: self.src.at(self.records),
            message,
        }
    }

    fn malformed(&self, message: String) -> FeedError {
        FeedError::Malformed {
            at: self.src.at(self.records),
            message,
        }
    }
}

/// One record's bytes as a listing, or as valid JSON that is not a listing; `Err` with the
/// reason when they are not valid JSON.
fn decode(bytes: &[u8], label: &str) -> Result<FeedItem, String> {
    // Valid UTF-8 (checked at once, SIMD) is parsed as text, which spares serde_json checking
    // each string again; other bytes go to `from_slice`, which says where they are wrong.
    let parsed = match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => serde_json::from_str::<Listing>(text),
        Err(_) => serde_json::from_slice::<Listing>(bytes),
    };
    let error = match parsed {
        Ok(listing) => return Ok(checked(listing, label, bytes)),
        Err(e) => e,
    };
    if !error.is_data() {
        return Err(format!("{label}: {error}"));
    }
    // The listing failed on its data; the syntax may still be broken further on.
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => Ok(FeedItem::Failed(RecordError {
            external_id: value.get("externalId").and_then(id_text),
            stage: Stage::Validate,
            message: format!("{label}: {error}"),
        })),
        Err(syntax) => Err(format!("{label}: {syntax}")),
    }
}

/// Checks what the domain's serde form lets through: `Money` deserializes its fields as they
/// are, so a negative amount is refused here, as [`Money::from_minor`] would. The record's
/// bytes are kept with the listing: fields the listing does not have are not lost.
fn checked(listing: Listing, label: &str, bytes: &[u8]) -> FeedItem {
    if let Price::Amount { amount } = listing.price
        && let Err(e) = Money::from_minor(amount.minor(), amount.currency())
    {
        return FeedItem::Failed(RecordError {
            external_id: Some(listing.external_id.to_string()),
            stage: Stage::Validate,
            message: format!("{label}: {e}"),
        });
    }
    FeedItem::Listing(listing, Some(bytes.to_vec()))
}

/// The record of `bytes` recognized, if its key is among the stored ones.
fn recognized(known: Option<&KnownRecords>, key: RecordKey, bytes: &[u8]) -> Option<FeedItem> {
    let external_id = ExternalId::parse(known?.get(&key)?).ok()?;
    Some(FeedItem::Known(KnownRecord {
        external_id,
        key,
        bytes: bytes.to_vec(),
    }))
}

fn too_large(label: &str) -> RecordError {
    RecordError {
        external_id: None,
        stage: Stage::Parse,
        message: format!("{label}: larger than {} MiB", MAX_RECORD_BYTES >> 20),
    }
}

/// An `externalId` value as the feed wrote it (a string, or a number sent by mistake).
fn id_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// The `externalId` of a line that is not valid JSON, when it can still be seen.
fn sniff_external_id(bytes: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"externalId\"";
    let at = bytes.windows(KEY.len()).position(|w| w == KEY)?;
    let rest = bytes[at + KEY.len()..].trim_ascii_start();
    let rest = rest.strip_prefix(b":")?.trim_ascii_start();
    if !rest.starts_with(b"\"") {
        return None;
    }
    let mut escaped = false;
    let close = rest.iter().enumerate().skip(1).find_map(|(i, &b)| {
        let is_end = b == b'"' && !escaped;
        escaped = b == b'\\' && !escaped;
        is_end.then_some(i)
    })?;
    let value: Value = serde_json::from_slice(&rest[..=close]).ok()?;
    id_text(&value)
}

#[cfg(test)]
mod tests {
    use super::sniff_external_id;

    #[test]
    fn sniffs_ids_of_broken_lines() {
        let id = |s: &str| sniff_external_id(s.as_bytes());
        assert_eq!(
            id(r#"{"externalId": "A-\"1\"", "price": }"#).as_deref(),
            Some("A-\"1\"")
        );
        assert_eq!(id(r#"{"externalId":"B2","#).as_deref(), Some("B2"));
        assert_eq!(id(r#"{"externalId": 5"#), None);
        assert_eq!(id(r#"{"externalId": "unterminated"#), None);
        assert_eq!(id(r#"{"other": 1}"#), None);
    }
}
