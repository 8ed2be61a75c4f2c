//! The Kyero v3 XML reader: `<root>`, an optional `<kyero>` header, then `<property>`
//! elements, read as a stream of XML events so only a few batches of properties are in
//! memory at a time.
//!
//! The document must be well-formed up to its end: a syntax error, an end tag that does not
//! match, content after `</root>` or a document that stops before `</root>` fails the feed.
//!
//! References are resolved: the XML ones, character references, and — leniently — HTML named
//! entities such as `&euro;` that exports use without declaring them; a lone `&` is kept as
//! text. Anything else (`&xxe;`, `&#0;`) fails its property alone, at `parse`: it is never
//! stored as written. A document whose DOCTYPE declares entities (XML bombs, external
//! entities) is refused as a whole before anything is read from it; a DOCTYPE without entity
//! declarations is accepted and ignored.
//!
//! The decoded feed is read into one buffer ([`Window`]) and parsed in place by quick-xml's
//! slice reader, so events borrow the buffer and nothing is copied or awaited per event; a
//! node cut by the end of the buffer is parsed again once more has been read ([`scan`]); both
//! are shared with the other XML readers (`formats/xml`). Once a feed proves long, a
//! property is cut out of the window at its start tag, unparsed (where it ends is found
//! without parsing it: [`split`](crate::formats::xml::split)), and parsed and mapped on a
//! thread of its own while the next ones are cut out ([`mapper`]); one that cannot be cut out
//! (the window, after one more chunk is read, does not hold all of it; it is longer than the
//! text limit; or it holds markup the search does not read) is parsed here and only mapped
//! there. A property cut out whose key ([`record_key`](crate::hash::record_key) of its bytes)
//! is among the source's stored keys ([`KyeroReader::skip_known`]) is not parsed at all: it
//! is given as [`FeedItem::Known`], and the store marks its listing seen.
//!
//! Memory stays bounded whatever one node's size (by the batches in flight, whose properties
//! are at most the text limit each, and by the property read here): a text run or CDATA section
//! longer than [`KyeroReader::max_text_bytes`] is skipped as it streams and its property fails
//! alone, at `parse`, naming the element and the limit; a property whose bytes outgrow
//! [`MAX_RECORD_BYTES`](super::MAX_RECORD_BYTES) (however small its elements) fails alone and
//! its bytes are no longer kept; a tag, comment, processing instruction
//! or DOCTYPE longer than 1 MiB (or the text limit, if larger), or elements nested more than
//! 256 deep, fail the feed. See [`map`] for how a property becomes a listing.

mod document;
mod events;
mod format;
mod map;
mod mapper;

use std::sync::Arc;

use propimport_domain::{ExternalId, KnownRecord, KnownRecords, RecordKey};
use tokio::io::AsyncBufRead;

use super::decode::{self, Utf8Input};
use super::xml::reader::Scanner;
use super::{DEFAULT_MAX_TEXT_BYTES, FeedError, FeedItem};
use document::{Cut, Document, Read};
use mapper::{Job, Mapper};

pub(crate) use format::Kyero;

const FORMAT: &str = "Kyero v3";

/// The deepest elements may nest (a Kyero feed needs 5).
const MAX_DEPTH: usize = 256;

/// Reads a Kyero v3 XML feed one property at a time.
pub struct KyeroReader<R> {
    state: State<R>,
    max_text_bytes: usize,
    known: Option<Arc<KnownRecords>>,
    secret: Option<[u8; 16]>,
}

enum State<R> {
    /// Nothing read yet.
    New(R),
    Reading(Box<Parser<R>>),
    Finished,
    Failed(FeedError),
}

impl<R: AsyncBufRead + Unpin> KyeroReader<R> {
    /// A reader of the feed in `input` (read lazily, from the first call to `next`), with the
    /// default text limit ([`DEFAULT_MAX_TEXT_BYTES`]).
    pub fn new(input: R) -> Self {
        Self {
            state: State::New(input),
            max_text_bytes: DEFAULT_MAX_TEXT_BYTES,
            known: None,
            secret: None,
        }
    }

    /// Mixes `secret` (the store's, [`KnownRecords::secret`]) into the seed of the record
    /// keys, so that a stored key tells nothing of the property's bytes without it. Keys
    /// drawn with another secret, or none, never match.
    #[must_use]
    pub fn record_secret(mut self, secret: Option<[u8; 16]>) -> Self {
        self.secret = secret;
        self
    }

    /// Gives the properties whose keys ([`KyeroReader::record_key`]) are in `known` as
    /// [`FeedItem::Known`], without parsing them. Only properties cut out for the mapping
    /// threads are looked up (a feed's first properties, and those parsed where they are
    /// read, are mapped as always).
    #[must_use]
    pub fn skip_known(mut self, known: Option<Arc<KnownRecords>>) -> Self {
        self.known = known.filter(|k| !k.is_empty());
        self
    }

    /// The seed of this reader's record keys: the format, the text limit and the secret.
    fn record_seed(&self) -> u64 {
        crate::hash::secret_seed("kyero", &[self.max_text_bytes as u64], self.secret)
    }

    /// The key of the property the last call to [`KyeroReader::next`] gave: a hash of all
    /// its bytes, from its start tag to its end tag, under a seed of the format, the text
    /// limit and the secret ([`record_key`](crate::hash::record_key)).
    pub fn record_key(&self) -> Option<RecordKey> {
        match &self.state {
            State::Reading(parser) => parser.last_key,
            _ => None,
        }
    }

    /// Sets the longest text or CDATA node kept (at least 1 byte): a longer one is skipped as
    /// it streams and its property fails alone.
    #[must_use]
    pub fn max_text_bytes(mut self, limit: usize) -> Self {
        self.max_text_bytes = limit.max(1);
        self
    }

    /// The next property, mapped or failed alone; `Ok(None)` once `</root>` has been read.
    pub async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        if matches!(self.state, State::New(_))
            && let State::New(input) = std::mem::replace(&mut self.state, State::Finished)
        {
            match decode::open(input).await {
                Ok(input) => {
                    let mut parser = Parser::new(input, self.max_text_bytes, self.record_seed());
                    parser.known = self.known.take();
                    self.state = State::Reading(Box::new(parser));
                }
                Err(e) => self.state = State::Failed(e),
            }
        }
        let result = match &mut self.state {
            State::Reading(parser) => parser.next_record().await,
            State::Failed(e) => return Err(e.clone()),
            State::New(_) | State::Finished => return Ok(None),
        };
        match &result {
            Ok(Some(_)) => {}
            Ok(None) => self.state = State::Finished,
            Err(e) => self.state = State::Failed(e.clone()),
        }
        result
    }
}

/// Reads the decoded document into the window, scans it, and has its properties parsed and
/// mapped.
struct Parser<R> {
    scan: Scanner<R, Document>,
    mapper: Mapper,
    /// The document has been read to its end (or to `failure`).
    read_all: bool,
    /// Why reading stopped, given once the properties read before it are.
    failure: Option<FeedError>,
    /// The name of the property being cut out, as written.
    name: Vec<u8>,
    /// Properties cut out so far.
    cut_out: u64,
    /// The stored keys to recognize properties by.
    known: Option<Arc<KnownRecords>>,
    /// The seed of this feed's record keys.
    seed: u64,
    /// The key of the record of the item given last.
    last_key: Option<RecordKey>,
}

impl<R: AsyncBufRead + Unpin> Parser<R> {
    fn new(input: Utf8Input<R>, max_text_bytes: usize, seed: u64) -> Self {
        let mut doc = Document::default();
        doc.stop_at_properties = true;
        doc.give_keys(seed);
        Self {
            scan: Scanner::new(input, doc, max_text_bytes),
            mapper: Mapper::default(),
            read_all: false,
            failure: None,
            name: Vec::new(),
            cut_out: 0,
            known: None,
            seed,
            last_key: None,
        }
    }

    /// The next item in feed order; then the failure that stopped the reading, if any.
    async fn next_record(&mut self) -> Result<Option<FeedItem>, FeedError> {
        loop {
            if let Some(done) = self.mapper.next_ready() {
                let (item, key) = done?;
                self.last_key = key;
                return Ok(Some(item));
            }
            if self.read_all || self.mapper.full() {
                self.mapper.flush().map_err(|s| self.stopped(s))?;
                if self.mapper.busy() {
                    self.mapper.wait().await.map_err(|s| self.stopped(s))?;
                    continue;
                }
                return self.failure.take().map_or(Ok(None), Err);
            }
            if self.scan.doc.wants_builder()
                && let Some(builder) = self.mapper.spare()
            {
                self.scan.doc.reuse(builder);
            }
            let read = match self.scan.next_item().await {
                Ok(Some(Read::Finished(property))) => self.mapper.submit(Job::Map(property)),
                Ok(Some(Read::Opened)) => match self.cut_out().await {
                    Ok(cut) => cut.map_or(Ok(()), |cut| {
                        let job = self.recognize(cut);
                        self.mapper.submit(job)
                    }),
                    Err(e) => {
                        self.read_all = true;
                        self.failure = Some(e);
                        Ok(())
                    }
                },
                Ok(None) => {
                    self.read_all = true;
                    Ok(())
                }
                Err(e) => {
                    self.read_all = true;
                    self.failure = Some(e);
                    Ok(())
                }
            };
            read.map_err(|s| self.stopped(s))?;
        }
    }

    /// Cuts the property just opened out of the document, to be parsed on a mapping thread,
    /// when the threads run and the window holds all of it; else it is parsed here.
    async fn cut_out(&mut self) -> Result<Option<Cut>, FeedError> {
        if !self.mapper.threaded() {
            return Ok(None);
        }
        self.name.clear();
        self.name.extend_from_slice(self.scan.doc.property_name());
        // A start tag over the record limit was not kept (its property fails): parse here.
        if self.scan.doc.start_tag().is_empty() {
            return Ok(None);
        }
        let Some(len) = self.scan.element_end(&self.name).await? else {
            return Ok(None);
        };
        let number = self.scan.doc.cut_out();
        let tag = self.scan.doc.start_tag();
        let offset = self.scan.at().offset.saturating_sub(tag.len() as u64);
        let mut bytes = Vec::with_capacity(tag.len() + len);
        bytes.extend_from_slice(tag);
        bytes.extend_from_slice(&self.scan.rest()[..len]);
        self.scan.skip(len);
        self.cut_out += 1;
        let limits = self.scan.limits();
        let key = crate::hash::record_key(self.seed, &bytes);
        Ok(Some(Cut {
            number,
            offset,
            bytes,
            limits,
            key,
        }))
    }

    /// A property cut out, to parse; or, if its key is among the stored ones, recognized.
    fn recognize(&self, cut: Cut) -> Job {
        let Some(known) = &self.known else {
            return Job::Parse(cut);
        };
        match known
            .get(&cut.key)
            .and_then(|id| ExternalId::parse(id).ok())
        {
            Some(external_id) => Job::Known(KnownRecord {
                external_id,
                key: cut.key,
                bytes: cut.bytes,
            }),
            None => Job::Parse(cut),
        }
    }

    /// The feed error for a mapping thread that stopped.
    fn stopped(&self, mapper::Stopped: mapper::Stopped) -> FeedError {
        let stopped = std::io::Error::other("a Kyero mapping thread stopped");
        FeedError::io(self.scan.at(), stopped)
    }
}

#[cfg(test)]
mod tests;
