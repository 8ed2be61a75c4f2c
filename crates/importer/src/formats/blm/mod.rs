//! The Rightmove BLM v3 reader (the UK portals' "Automated Datafeed" format): a `#HEADER#`
//! that declares the end-of-field and end-of-record marks (`EOF`, `EOR`, often `^` and `~`,
//! but any string), a `#DEFINITION#` that names the fields, `#DATA#` with one record per
//! end-of-record mark, and `#END#`.
//!
//! The document is read as raw bytes, one record at a time, in the window the XML readers use
//! too ([`window`](crate::formats::window)); each record is decoded whole ([`text`]: UTF-8,
//! else Windows-1252), split at the end-of-field mark and mapped ([`map`]).
//!
//! Failures:
//! - the header or the definition cannot be read (no `EOF`/`EOR`, a version other than 3, a
//!   definition without `AGENT_REF`, a name given twice), there is no `#DATA#`, or the
//!   document ends before `#END#`: [`FeedError`] with the byte offset. A header longer than
//!   64 KiB or a definition longer than 1 MiB is refused.
//! - a record with another number of fields than the definition names, or longer than
//!   [`MAX_RECORD_BYTES`] (skipped as it streams), or a field longer than the text limit,
//!   fails alone at `parse`; a record that does not map fails alone at `map` or `validate`.
//!
//! A header `Property Count` that differs from the number of records read is logged; when it
//! is larger, the document may have lost records on the way, so it does not count as the
//! source's complete list ([`FeedReader::is_complete_list`] is false) and nothing is
//! withdrawn for being absent from it.
//!
//! Each listing keeps its record as a one-record BLM document (the header's marks, the whole
//! definition and the record, decoded to UTF-8), which reads back to the same listing.

mod columns;
mod header;
mod map;
mod media;
mod records;
mod text;
mod values;

use memchr::memmem::Finder;
use tokio::io::AsyncBufRead;

use super::{FeedError, FeedItem, FeedReader, Position, ReadOptions};
use crate::formats::window::{Found, Window};
use columns::Columns;
use media::Unresolved;
use records::{Document, Step, raw_mark, step};
use text::{Decoder, Fields};

const FORMAT: &str = "Rightmove BLM";
/// The longest header (between `#HEADER#` and `#DEFINITION#`).
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The longest definition (between `#DEFINITION#` and `#DATA#`).
const MAX_DEFINITION_BYTES: usize = 1 << 20;

/// Reads a Rightmove BLM document one record at a time.
pub struct BlmReader<R> {
    input: R,
    window: Window,
    options: ReadOptions,
    state: State,
    /// False once a header `Property Count` larger than the records read was found.
    complete: bool,
}

enum State {
    New,
    Reading(Box<Document>),
    /// The last record was read before `#END#` (which ends the document): give nothing more.
    Finished,
    Failed(FeedError),
}

impl<R: AsyncBufRead + Unpin> BlmReader<R> {
    /// A reader of the document in `input` (read lazily, from the first call to `next`).
    pub fn new(input: R, options: &ReadOptions) -> Self {
        Self {
            input,
            window: Window::default(),
            options: options.clone(),
            state: State::New,
            complete: true,
        }
    }

    /// The next record, mapped or failed alone; `Ok(None)` once `#END#` has been read.
    pub async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        let result = self.advance().await;
        if let Err(e) = &result {
            self.state = State::Failed(e.clone());
        }
        result
    }

    async fn advance(&mut self) -> Result<Option<FeedItem>, FeedError> {
        if let State::New = self.state {
            let document = self.open().await?;
            self.state = State::Reading(Box::new(document));
        }
        loop {
            let document = match &mut self.state {
                State::Reading(document) => document,
                State::Failed(e) => return Err(e.clone()),
                State::Finished | State::New => return Ok(None),
            };
            match step(&mut self.input, &mut self.window, &self.options, document).await? {
                Step::Again => {}
                Step::Item(item) => return Ok(Some(item)),
                Step::End => return Ok(self.finish()),
                Step::Last(item) => {
                    let _ = self.finish();
                    return Ok(Some(item));
                }
            }
        }
    }

    /// Reads the header and the definition, up to the records.
    async fn open(&mut self) -> Result<Document, FeedError> {
        self.window
            .want(&mut self.input, 3)
            .await
            .map_err(|e| self.io(e))?;
        if self.window.rest().starts_with(b"\xEF\xBB\xBF") {
            self.window.consume(3);
        }
        let blank = |b: u8| b.is_ascii_whitespace();
        self.window
            .skip_while(&mut self.input, blank)
            .await
            .map_err(|e| self.io(e))?;
        self.window
            .want(&mut self.input, 8)
            .await
            .map_err(|e| self.io(e))?;
        if self.window.rest().is_empty() {
            return Err(FeedError::Empty);
        }
        if !self.window.rest().starts_with(b"#HEADER#") {
            return Err(FeedError::WrongFormat {
                format: FORMAT,
                message: "the document does not start with #HEADER#".into(),
            });
        }
        self.window.consume(8);
        let header_at = self.at(0);
        let text = self
            .section(b"#DEFINITION#", MAX_HEADER_BYTES, "header")
            .await?;
        let mut decoder = Decoder::default();
        let header =
            header::header(&decoder.decode(&text)).map_err(|message| FeedError::Malformed {
                at: header_at,
                message,
            })?;
        let eof_bytes = header.eof.clone();
        let skip = |b: u8| b.is_ascii_whitespace() && !eof_bytes.as_bytes().contains(&b);
        self.window
            .skip_while(&mut self.input, skip)
            .await
            .map_err(|e| self.io(e))?;
        let definition_at = self.at(0);
        let text = self
            .section(b"#DATA#", MAX_DEFINITION_BYTES, "definition")
            .await?;
        let eor = raw_mark(&header.eor, decoder.encoding());
        let end = memchr::memmem::find(&text, &eor).unwrap_or(text.len());
        let definition = decoder.decode(&text[..end]);
        let terminated = definition.trim_end().ends_with(&header.eof);
        let names = header::definition(&definition, &header.eof).map_err(|message| {
            FeedError::Malformed {
                at: definition_at,
                message,
            }
        })?;
        let kept_head = format!(
            "#HEADER#\nVersion : {}\nEOF : {}\nEOR : {}\nProperty Count : 1\n#DEFINITION#\n{}{}{}\n#DATA#\n",
            if header.version.is_empty() {
                "3"
            } else {
                &header.version
            },
            header::escape(&header.eof),
            header::escape(&header.eor),
            names.join(&header.eof),
            if terminated { header.eof.as_str() } else { "" },
            header.eor,
        );
        Ok(Document {
            eor: Finder::new(&eor).into_owned(),
            columns: Columns::new(&names),
            expected: names.len(),
            terminated,
            header,
            decoder,
            fields: Fields::default(),
            records: 0,
            unresolved: Unresolved::default(),
            kept_head,
        })
    }

    /// The bytes up to `mark` (which is consumed too), at most `limit` of them.
    async fn section(
        &mut self,
        mark: &[u8],
        limit: usize,
        what: &str,
    ) -> Result<Vec<u8>, FeedError> {
        let at = self.at(0);
        let finder = Finder::new(mark);
        let found = self.window.find(&mut self.input, &finder, limit).await;
        let name = String::from_utf8_lossy(mark);
        match found.map_err(|e| self.io(e))? {
            Found::At(n) => {
                let text = self.window.rest()[..n].to_vec();
                self.window.consume(n + mark.len());
                Ok(text)
            }
            Found::End => Err(FeedError::Malformed {
                at,
                message: format!("the {what} is not followed by a {name} section"),
            }),
            Found::Limit => Err(FeedError::Refused {
                at,
                message: format!(
                    "the {what} is longer than {} without {name}",
                    super::size(limit)
                ),
            }),
        }
    }

    /// `#END#` was read: logs what the document's end tells and ends the reading.
    fn finish(&mut self) -> Option<FeedItem> {
        if let State::Reading(document) = std::mem::replace(&mut self.state, State::Finished) {
            document.unresolved.report();
            let read = document.records;
            match document.header.property_count {
                Some(declared) if declared > read => {
                    self.complete = false;
                    tracing::warn!(
                        declared,
                        read,
                        "the BLM header counts more properties than the document holds: it may be \
                         incomplete, so listings missing from it are not withdrawn"
                    );
                }
                Some(declared) if declared < read => tracing::warn!(
                    declared,
                    read,
                    "the BLM header counts fewer properties than the document holds"
                ),
                _ => {}
            }
        }
        None
    }

    fn at(&self, records: u64) -> Position {
        let records = match &self.state {
            State::Reading(d) => d.records,
            _ => records,
        };
        Position {
            offset: self.window.offset_of(0),
            line: None,
            records,
        }
    }

    fn io(&self, error: std::io::Error) -> FeedError {
        FeedError::io(self.at(0), error)
    }
}

/// Rightmove BLM v3: a complete snapshot of the branch's listings.
pub(crate) struct Blm;

impl super::Format for Blm {
    fn name(&self) -> &'static str {
        "blm"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["rightmove", "rightmove-blm"]
    }

    fn title(&self) -> &'static str {
        "Rightmove BLM v3"
    }

    fn delivery(&self) -> super::Delivery {
        super::Delivery::Snapshot
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        head.trim_ascii_start().starts_with(b"#HEADER#")
    }

    fn open(
        &self,
        input: crate::formats::FeedStream,
        options: &ReadOptions,
    ) -> Box<dyn FeedReader> {
        Box::new(BlmReader::new(input, options))
    }

    fn single_record_document(&self, record: &[u8]) -> Vec<u8> {
        record.to_vec()
    }
}

#[async_trait::async_trait]
impl<R: AsyncBufRead + Unpin + Send> FeedReader for BlmReader<R> {
    async fn next(&mut self) -> Result<Option<FeedItem>, FeedError> {
        BlmReader::next(self).await
    }

    fn is_complete_list(&self) -> bool {
        self.complete && matches!(self.state, State::Finished)
    }
}
