//! A BLM document's character encoding, and one record split into its fields.
//!
//! BLM declares no encoding. Exports are UTF-8 or, from older Windows software,
//! Windows-1252 (a superset of Latin-1 for the printable range). The rule: the first bytes
//! that are not ASCII decide for the whole document — valid UTF-8 makes it UTF-8 (a later
//! invalid byte becomes U+FFFD, logged once), anything else makes it Windows-1252. A record
//! is always decoded whole, so a character is never cut.

use std::borrow::Cow;
use std::ops::Range;

/// The document's encoding, once its first non-ASCII bytes have been seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Encoding {
    /// Only ASCII so far.
    #[default]
    Undecided,
    /// UTF-8.
    Utf8,
    /// Windows-1252.
    Windows1252,
}

/// Decodes the document's bytes to UTF-8, deciding its encoding on the way.
#[derive(Debug, Default)]
pub(super) struct Decoder {
    encoding: Encoding,
    warned: bool,
}

impl Decoder {
    /// The encoding decided so far.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Appends `bytes`, decoded, to `out`.
    pub fn decode_into(&mut self, bytes: &[u8], out: &mut String) {
        let utf8 = simdutf8::basic::from_utf8(bytes).ok();
        if let (Some(text), true) = (utf8, bytes.is_ascii()) {
            out.push_str(text);
            return;
        }
        if self.encoding == Encoding::Undecided {
            self.encoding = if utf8.is_some() {
                Encoding::Utf8
            } else {
                tracing::debug!("the BLM document is not UTF-8: read as Windows-1252");
                Encoding::Windows1252
            };
        }
        match (self.encoding, utf8) {
            (Encoding::Windows1252, _) => {
                let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
                out.push_str(&text);
            }
            (_, Some(text)) => out.push_str(text),
            (_, None) => {
                if !self.warned {
                    self.warned = true;
                    tracing::warn!(
                        "the BLM document has bytes that are not valid UTF-8; they were replaced"
                    );
                }
                out.push_str(&String::from_utf8_lossy(bytes));
            }
        }
    }

    /// `bytes` decoded.
    pub fn decode(&mut self, bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len());
        self.decode_into(bytes, &mut out);
        out
    }
}

/// One record: its decoded text and where each field is in it. Kept between records so a
/// long document reads without allocating for each one.
#[derive(Debug, Default)]
pub(super) struct Fields {
    text: String,
    ranges: Vec<Range<usize>>,
}

impl Fields {
    /// Decodes `record` and splits it at every `eof`. A last empty field is the end-of-field
    /// mark most exports write before the end of record: it is dropped when the definition
    /// ends the same way (`terminated`), or else when there is one field more than
    /// `expected`.
    pub fn split(
        &mut self,
        decoder: &mut Decoder,
        record: &[u8],
        eof: &str,
        (expected, terminated): (usize, bool),
    ) {
        self.text.clear();
        self.ranges.clear();
        decoder.decode_into(record, &mut self.text);
        let mut start = 0;
        for at in memchr::memmem::find_iter(self.text.as_bytes(), eof.as_bytes()) {
            if at < start {
                continue;
            }
            self.ranges.push(start..at);
            start = at + eof.len();
        }
        self.ranges.push(start..self.text.len());
        let last_empty = self.ranges.last().is_some_and(|r| {
            self.text
                .get(r.clone())
                .is_some_and(|t| t.trim().is_empty())
        });
        if last_empty && (terminated || self.ranges.len() == expected + 1) {
            self.ranges.pop();
        }
    }

    /// How many fields the record has.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// The decoded record.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The length of the longest field, in bytes.
    pub fn longest(&self) -> usize {
        self.ranges
            .iter()
            .map(ExactSizeIterator::len)
            .max()
            .unwrap_or(0)
    }

    /// Field `index` as written, trimmed; empty when the record has no such field.
    pub fn raw(&self, index: usize) -> &str {
        self.ranges
            .get(index)
            .and_then(|r| self.text.get(r.clone()))
            .map_or("", str::trim)
    }

    /// Field `index`, trimmed and unquoted (see [`unquote`]); `None` when empty.
    pub fn get(&self, index: Option<usize>) -> Option<Cow<'_, str>> {
        let value = unquote(self.raw(index?));
        (!value.trim().is_empty()).then_some(value)
    }
}

/// A value wrapped in one pair of double quotes, as CSV-minded exports write them, without
/// them (and `""` inside as `"`); any other value as it is.
pub(super) fn unquote(value: &str) -> Cow<'_, str> {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) if inner.contains("\"\"") => Cow::Owned(inner.replace("\"\"", "\"")),
        Some(inner) => Cow::Borrowed(inner.trim()),
        None => Cow::Borrowed(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_non_ascii_bytes_decide_the_encoding() {
        let mut d = Decoder::default();
        assert_eq!(d.decode(b"plain"), "plain");
        assert_eq!(d.encoding(), Encoding::Undecided);
        assert_eq!(d.decode(b"\xA3250 caf\xE9"), "£250 café");
        assert_eq!(d.encoding(), Encoding::Windows1252);
        assert_eq!(d.decode("é".as_bytes()), "Ã©", "the decision holds");

        let mut d = Decoder::default();
        assert_eq!(d.decode("£1".as_bytes()), "£1");
        assert_eq!(d.encoding(), Encoding::Utf8);
        assert_eq!(d.decode(b"\xA3"), "\u{FFFD}");
    }

    #[test]
    fn fields_split_at_any_mark_and_drop_the_trailing_one() {
        let mut d = Decoder::default();
        let mut f = Fields::default();
        f.split(&mut d, b"A1^ x ^\"q\"\"uoted\"^^", "^", (4, false));
        assert_eq!(f.len(), 4);
        assert_eq!(f.raw(1), "x");
        assert_eq!(f.get(Some(2)).as_deref(), Some("q\"uoted"));
        assert_eq!(f.get(Some(3)), None);
        assert_eq!(f.get(Some(9)), None);
        f.split(&mut d, b"a<|>b<|>c", "<|>", (2, true));
        assert_eq!(f.len(), 3, "a last field with text is a field");
        assert_eq!(f.raw(2), "c");
        f.split(&mut d, b"a^b^", "^", (2, true));
        assert_eq!(f.len(), 2);
        f.split(&mut d, b"a^b^", "^", (3, true));
        assert_eq!(
            f.len(),
            2,
            "a record ends with its end-of-field mark like its definition"
        );
        f.split(&mut d, b"a^b^", "^", (3, false));
        assert_eq!(f.len(), 3, "or it does not");
    }
}
