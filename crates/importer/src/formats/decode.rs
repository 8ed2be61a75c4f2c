//! Finds an XML feed's character encoding (byte-order mark, else the `encoding` of the XML
//! declaration, else UTF-8) and transcodes the stream to UTF-8 on the fly, so the XML parser
//! always reads UTF-8 whatever the partner's export sends (ISO-8859-1, windows-1252, UTF-16…).
//!
//! Bytes that are not valid in the feed's encoding become U+FFFD (logged once): one stray byte
//! in a description should not fail a whole snapshot. A UTF-8 feed (most are) is checked with
//! a SIMD validator and passed through, invalid bytes replaced the same way
//! (`String::from_utf8_lossy`'s maximal subparts, as the WHATWG decoder does).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use encoding_rs::{Decoder, Encoding};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, ReadBuf};

use super::{FeedError, Position};

/// How many bytes are read ahead to find the XML declaration.
const SNIFF_MAX: usize = 1024;
/// Size of the decoded-output buffer.
const OUT_CAP: usize = 64 * 1024;

/// Reads the start of `inner`, decides its encoding and returns a UTF-8 view of the stream.
pub(crate) async fn open<R: AsyncBufRead + Unpin>(mut inner: R) -> Result<Utf8Input<R>, FeedError> {
    let mut prefix = Vec::new();
    loop {
        let chunk = inner
            .fill_buf()
            .await
            .map_err(|e| FeedError::io(Position::default(), e))?;
        if chunk.is_empty() {
            break;
        }
        let take = chunk.len().min(SNIFF_MAX - prefix.len());
        prefix.extend_from_slice(&chunk[..take]);
        inner.consume(take);
        if prefix.len() >= SNIFF_MAX || prefix.contains(&b'>') {
            break;
        }
    }
    let (encoding, bom) = sniff(&prefix)?;
    prefix.drain(..bom);
    Ok(Utf8Input {
        inner,
        carry: (encoding == encoding_rs::UTF_8).then(Vec::new),
        decoder: encoding.new_decoder_without_bom_handling(),
        pending: prefix,
        pending_pos: 0,
        out: vec![0; OUT_CAP].into_boxed_slice(),
        out_pos: 0,
        out_len: 0,
        finished: false,
        warned: false,
    })
}

/// The encoding of a document starting with `prefix`, and the length of its byte-order mark.
fn sniff(prefix: &[u8]) -> Result<(&'static Encoding, usize), FeedError> {
    if let Some(found) = Encoding::for_bom(prefix) {
        return Ok(found);
    }
    if prefix.starts_with(&[0, b'<', 0, b'?']) {
        return Ok((encoding_rs::UTF_16BE, 0));
    }
    if prefix.starts_with(&[b'<', 0, b'?', 0]) {
        return Ok((encoding_rs::UTF_16LE, 0));
    }
    let Some(label) = declared_encoding(prefix) else {
        return Ok((encoding_rs::UTF_8, 0));
    };
    match Encoding::for_label(label.as_bytes()) {
        None => Err(FeedError::UnsupportedEncoding { label }),
        Some(e) if e == encoding_rs::REPLACEMENT => Err(FeedError::UnsupportedEncoding { label }),
        // The declaration was read as ASCII, so the bytes cannot really be UTF-16.
        Some(e) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => {
            Ok((encoding_rs::UTF_8, 0))
        }
        Some(e) => Ok((e, 0)),
    }
}

/// The `encoding` pseudo-attribute of an XML declaration at the start of `prefix`.
fn declared_encoding(prefix: &[u8]) -> Option<String> {
    let rest = prefix.strip_prefix(b"<?xml")?;
    let end = rest.windows(2).position(|w| w == b"?>")?;
    let decl = &rest[..end];
    let at = decl.windows(8).position(|w| w == b"encoding")?;
    let after = decl[at + 8..].trim_ascii_start().strip_prefix(b"=")?;
    let after = after.trim_ascii_start();
    let (&quote, value) = after.split_first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let close = value.iter().position(|&b| b == quote)?;
    Some(String::from_utf8_lossy(value[..close].trim_ascii()).into_owned())
}

/// A UTF-8 view of a stream in another encoding.
pub(crate) struct Utf8Input<R> {
    inner: R,
    /// For a UTF-8 feed (passed through, not decoded): the start of a character whose rest
    /// has not arrived yet.
    carry: Option<Vec<u8>>,
    decoder: Decoder,
    /// Bytes read ahead while sniffing, decoded before anything else.
    pending: Vec<u8>,
    pending_pos: usize,
    out: Box<[u8]>,
    out_pos: usize,
    out_len: usize,
    /// The decoder has been flushed at the end of the input.
    finished: bool,
    /// Malformed input has been logged.
    warned: bool,
}

impl<R: AsyncBufRead + Unpin> Utf8Input<R> {
    /// Decodes more input into `out` (which must be drained); `Ready(Ok(()))` with nothing
    /// decoded only at the end.
    fn poll_decode(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.out_pos == self.out_len && !self.finished {
            self.out_pos = 0;
            self.out_len = 0;
            let (read, written, replaced, last) = if self.pending_pos < self.pending.len() {
                let src = &self.pending[self.pending_pos..];
                let (read, written, replaced) = convert(
                    &mut self.carry,
                    &mut self.decoder,
                    src,
                    &mut self.out,
                    false,
                );
                self.pending_pos += read;
                if self.pending_pos == self.pending.len() {
                    self.pending = Vec::new();
                    self.pending_pos = 0;
                }
                (read, written, replaced, false)
            } else {
                let src = ready!(Pin::new(&mut self.inner).poll_fill_buf(cx))?;
                let last = src.is_empty();
                let (read, written, replaced) =
                    convert(&mut self.carry, &mut self.decoder, src, &mut self.out, last);
                Pin::new(&mut self.inner).consume(read);
                (read, written, replaced, last)
            };
            self.out_len = written;
            self.finished = last;
            if replaced && !self.warned {
                self.warned = true;
                tracing::warn!(
                    encoding = self.decoder.encoding().name(),
                    "the feed has bytes that are not valid in its encoding; they were replaced"
                );
            }
            if read == 0 && written == 0 && !last {
                return Poll::Ready(Err(io::Error::other("the feed decoder made no progress")));
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// Converts `src` into `out`: passed through as UTF-8 when there is a `carry`, else decoded.
/// Returns (bytes read, bytes written, whether something was replaced).
fn convert(
    carry: &mut Option<Vec<u8>>,
    decoder: &mut Decoder,
    src: &[u8],
    out: &mut [u8],
    last: bool,
) -> (usize, usize, bool) {
    match carry {
        Some(carry) => pass_utf8(carry, src, out, last),
        None => {
            let (_, read, written, replaced) = decoder.decode_to_utf8(src, out, last);
            (read, written, replaced)
        }
    }
}

const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// Passes UTF-8 through from `src` to `out` (at least 4 bytes long): valid text as it is,
/// each maximal invalid subpart as U+FFFD; an incomplete character at the end of `src` waits
/// in `carry` for the rest (or becomes U+FFFD at the `last`). Returns (read, written, replaced).
fn pass_utf8(carry: &mut Vec<u8>, src: &[u8], out: &mut [u8], last: bool) -> (usize, usize, bool) {
    if !carry.is_empty() {
        if src.is_empty() {
            carry.clear();
            out[..3].copy_from_slice(REPLACEMENT);
            return (0, 3, true);
        }
        // The carried start and enough of `src` to end a character (at most 4 bytes).
        let take = src.len().min(4 - carry.len());
        let mut joined = [0u8; 4];
        joined[..carry.len()].copy_from_slice(carry);
        joined[carry.len()..carry.len() + take].copy_from_slice(&src[..take]);
        let joined = &joined[..carry.len() + take];
        let had = carry.len();
        let (end, replaced) = match std::str::from_utf8(joined) {
            Ok(text) => (text.chars().next().map_or(0, char::len_utf8), false),
            Err(e) if e.valid_up_to() > 0 => {
                let text = std::str::from_utf8(&joined[..e.valid_up_to()]).unwrap_or_default();
                (text.chars().next().map_or(0, char::len_utf8), false)
            }
            Err(e) => match e.error_len() {
                Some(bad) => (bad, true),
                None => {
                    carry.extend_from_slice(&src[..take]);
                    return (take, 0, false);
                }
            },
        };
        carry.clear();
        let written = if replaced {
            out[..3].copy_from_slice(REPLACEMENT);
            3
        } else {
            out[..end].copy_from_slice(&joined[..end]);
            end
        };
        return (end.saturating_sub(had), written, replaced);
    }
    let (mut read, mut written, mut replaced) = (0, 0, false);
    while read < src.len() && out.len() - written >= 4 {
        let rest = &src[read..];
        let window = &rest[..rest.len().min(out.len() - written)];
        // The SIMD validator: several times the standard library's pace on text that is not
        // ASCII (a feed's Cyrillic or Greek descriptions), the same answer.
        let (valid, error_len) = match simdutf8::compat::from_utf8(window) {
            Ok(_) => (window.len(), None),
            Err(e) => (e.valid_up_to(), e.error_len()),
        };
        out[written..written + valid].copy_from_slice(&window[..valid]);
        (read, written) = (read + valid, written + valid);
        if valid == window.len() {
            continue;
        }
        match error_len {
            Some(bad) => {
                if out.len() - written < 3 {
                    break;
                }
                out[written..written + 3].copy_from_slice(REPLACEMENT);
                (read, written, replaced) = (read + bad, written + 3, true);
            }
            // The window ends inside a character because `out` is nearly full.
            None if window.len() < rest.len() => break,
            None => {
                let tail = &window[valid..];
                read += tail.len();
                if last {
                    out[written..written + 3].copy_from_slice(REPLACEMENT);
                    (written, replaced) = (written + 3, true);
                } else {
                    carry.extend_from_slice(tail);
                }
                break;
            }
        }
    }
    (read, written, replaced)
}

impl<R: AsyncBufRead + Unpin> AsyncRead for Utf8Input<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_decode(cx))?;
        let n = (this.out_len - this.out_pos).min(buf.remaining());
        buf.put_slice(&this.out[this.out_pos..this.out_pos + n]);
        this.out_pos += n;
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncBufRead + Unpin> AsyncBufRead for Utf8Input<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        ready!(this.poll_decode(cx))?;
        Poll::Ready(Ok(&this.out[this.out_pos..this.out_len]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.out_pos = (this.out_pos + amt).min(this.out_len);
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    async fn decoded(bytes: &[u8], capacity: usize) -> String {
        let input = tokio::io::BufReader::with_capacity(capacity, bytes);
        let mut text = String::new();
        open(input)
            .await
            .unwrap()
            .read_to_string(&mut text)
            .await
            .unwrap();
        text
    }

    #[tokio::test]
    async fn transcodes_declared_latin1_across_small_chunks() {
        let mut doc = b"<?xml version='1.0' encoding=\"ISO-8859-1\"?><t>M".to_vec();
        doc.extend_from_slice(&[0xE1, b'l', b'a', b'g', b'a', 0x80]);
        doc.extend_from_slice(b"</t>");
        for capacity in [1, 3, 7, 4096] {
            let text = decoded(&doc, capacity).await;
            assert!(text.ends_with("<t>Málaga€</t>"), "{text}");
        }
    }

    #[tokio::test]
    async fn strips_boms_and_reads_utf16() {
        assert_eq!(decoded(b"\xEF\xBB\xBF<a/>", 2).await, "<a/>");
        let utf16: Vec<u8> = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>é</a>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(decoded(&utf16, 5).await.ends_with("<a>é</a>"));
    }

    #[tokio::test]
    async fn utf8_passes_through_as_from_utf8_lossy_reads_it_whatever_the_chunks() {
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let pieces: [&[u8]; 12] = [
            b"a",
            "é".as_bytes(),
            "€".as_bytes(),
            "𝄞".as_bytes(),
            b"\xE2\x82",
            b"\xF0\x9F",
            b"\xC3",
            b"\x80",
            b"\xFF",
            b"\xED\xA0\x80",
            b"\xC0\xAF",
            b"<x>",
        ];
        for round in 0..400 {
            let mut doc = b"<a>".to_vec();
            for _ in 0..(next() % 40) {
                doc.extend_from_slice(pieces[(next() % 12) as usize]);
            }
            let expected = String::from_utf8_lossy(&doc).into_owned();
            let capacity = 1 + (next() % 9) as usize;
            assert_eq!(
                decoded(&doc, capacity).await,
                expected,
                "round {round}: {doc:?}"
            );
        }
    }

    #[tokio::test]
    async fn invalid_utf8_is_replaced_and_unknown_labels_are_refused() {
        assert_eq!(decoded(b"<a>\xFF</a>", 3).await, "<a>\u{FFFD}</a>");
        let doc: &[u8] = b"<?xml version=\"1.0\" encoding=\"klingon\"?><a/>";
        let err = open(doc).await.err().unwrap();
        assert!(matches!(err, FeedError::UnsupportedEncoding { label } if label == "klingon"));
    }
}
