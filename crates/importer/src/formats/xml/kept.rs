//! A record's bytes as written, kept with its listing up to the record limit: a record
//! that outgrows it fails, and its bytes are dropped as soon as it does, so memory stays
//! bounded however many small elements the record holds.
//!
//! A record whose bytes are already held whole (one cut out of the document to be parsed on
//! its own) is not copied piece by piece: only where the pieces left out are is noted
//! ([`KeptBytes::in_place`]), and they are taken out of its bytes once it ends
//! ([`KeptBytes::kept_of`]).

use std::ops::Range;

use crate::formats::MAX_RECORD_BYTES;

/// The bytes kept of the record being read.
#[derive(Debug, Default)]
pub(crate) struct KeptBytes {
    bytes: Vec<u8>,
    /// The record outgrew the limit: nothing more is kept of it.
    full: bool,
    /// The record's bytes are held whole elsewhere: `bytes` stays empty, and only the
    /// lengths and the ranges left out are noted.
    in_place: bool,
    /// Bytes kept so far (in place).
    kept: usize,
    /// Bytes seen so far, kept or left out (in place).
    seen: usize,
    /// The ranges of the record's bytes left out, in order, adjacent ones merged (in place).
    left_out: Vec<Range<usize>>,
}

impl KeptBytes {
    /// Starts keeping a new record's bytes.
    pub fn restart(&mut self) {
        self.bytes.clear();
        self.full = false;
        self.kept = 0;
        self.seen = 0;
        self.left_out.clear();
    }

    /// Whether the next records' bytes are held whole elsewhere, from their first byte on:
    /// then [`KeptBytes::keep`] and [`KeptBytes::leave_out`] only note what is kept, and
    /// [`KeptBytes::kept_of`] gives the kept bytes.
    pub fn in_place(&mut self, in_place: bool) {
        self.in_place = in_place;
        self.restart();
    }

    /// Leaves `len` bytes of the record out (they follow the ones given so far).
    pub fn leave_out(&mut self, len: usize) {
        if !self.in_place || len == 0 {
            return;
        }
        let end = self.seen.saturating_add(len);
        match self.left_out.last_mut() {
            Some(last) if last.end == self.seen => last.end = end,
            _ => self.left_out.push(self.seen..end),
        }
        self.seen = end;
    }

    /// The kept bytes of a record held in place, given its bytes: those given to
    /// [`KeptBytes::keep`], without those left out (nothing, if the record outgrew the
    /// limit).
    pub fn kept_of(&self, mut bytes: Vec<u8>) -> Vec<u8> {
        if self.full {
            return Vec::new();
        }
        bytes.truncate(self.seen);
        let len = bytes.len();
        // Each kept run moves down over the runs left out before it.
        let (mut to, mut from) = (0, 0);
        for range in &self.left_out {
            let start = range.start.clamp(from, len);
            if to != from {
                bytes.copy_within(from..start, to);
            }
            to += start - from;
            from = range.end.clamp(start, len);
        }
        if to != from {
            bytes.copy_within(from..len, to);
        }
        to += len - from;
        bytes.truncate(to);
        bytes
    }

    /// Keeps `raw`. Once the record's bytes would pass [`MAX_RECORD_BYTES`] they are dropped
    /// and the reason comes back (once), for the record to fail with.
    #[must_use]
    #[inline]
    pub fn keep(&mut self, raw: &[u8]) -> Option<String> {
        if self.full {
            return None;
        }
        let kept = if self.in_place {
            self.kept
        } else {
            self.bytes.len()
        };
        if kept.saturating_add(raw.len()) > MAX_RECORD_BYTES {
            return self.overflow();
        }
        if self.in_place {
            self.kept += raw.len();
            self.seen += raw.len();
        } else {
            self.bytes.extend_from_slice(raw);
        }
        None
    }

    /// The record outgrew the limit: its bytes are dropped, and the reason comes back.
    #[cold]
    fn overflow(&mut self) -> Option<String> {
        self.bytes = Vec::new();
        self.full = true;
        Some(format!(
            "larger than {}",
            crate::formats::size(MAX_RECORD_BYTES)
        ))
    }

    /// The bytes kept so far (none once the record outgrew the limit, nor in place).
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// Takes the record's bytes, leaving room for as many for the next record (none in
    /// place: see [`KeptBytes::kept_of`]).
    pub fn take(&mut self) -> Vec<u8> {
        let room = self.bytes.len();
        std::mem::replace(&mut self.bytes, Vec::with_capacity(room))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_over_the_limit_fails_once_and_keeps_nothing() {
        let mut kept = KeptBytes::default();
        assert_eq!(kept.keep(b"<a>"), None);
        let chunk = vec![b'x'; MAX_RECORD_BYTES];
        assert_eq!(kept.keep(&chunk), Some("larger than 4 MiB".to_owned()));
        assert_eq!(kept.keep(b"</a>"), None);
        assert!(kept.as_slice().is_empty());
        kept.restart();
        assert_eq!(kept.keep(b"<b/>"), None);
        assert_eq!(kept.take(), b"<b/>");
        assert!(kept.as_slice().is_empty());
    }

    /// Pieces of a record kept or left out, as `(kept, bytes)`.
    fn pieces(seed: u64) -> Vec<(bool, Vec<u8>)> {
        let mut x = seed * 2 + 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut byte = 0u8;
        (0..next() % 12)
            .map(|_| {
                let len = usize::try_from(next() % 5).unwrap_or(0);
                let piece = (0..len)
                    .map(|_| {
                        byte = byte.wrapping_add(1);
                        byte
                    })
                    .collect();
                (next() % 3 != 0, piece)
            })
            .collect()
    }

    #[test]
    fn in_place_the_record_keeps_what_a_copy_would() {
        for seed in 0..500 {
            let pieces = pieces(seed);
            let mut copied = KeptBytes::default();
            copied.restart();
            let mut in_place = KeptBytes::default();
            in_place.in_place(true);
            let mut whole = Vec::new();
            for (kept, piece) in &pieces {
                whole.extend_from_slice(piece);
                if *kept {
                    assert_eq!(copied.keep(piece), None);
                    assert_eq!(in_place.keep(piece), None);
                } else {
                    in_place.leave_out(piece.len());
                }
            }
            assert!(in_place.as_slice().is_empty());
            assert!(in_place.take().is_empty());
            assert_eq!(
                in_place.kept_of(whole),
                copied.take(),
                "seed {seed}: {pieces:?}"
            );
        }
    }

    #[test]
    fn in_place_a_record_over_the_limit_keeps_nothing() {
        let mut kept = KeptBytes::default();
        kept.in_place(true);
        assert_eq!(kept.keep(b"<a>"), None);
        kept.leave_out(MAX_RECORD_BYTES);
        assert_eq!(kept.keep(b"</a>"), None, "what is left out does not count");
        assert_eq!(
            kept.keep(&vec![b'x'; MAX_RECORD_BYTES]),
            Some("larger than 4 MiB".to_owned())
        );
        assert!(kept.kept_of(b"<a>x</a>".to_vec()).is_empty());
        kept.restart();
        assert_eq!(kept.keep(b"<b/>"), None);
        assert_eq!(kept.kept_of(b"<b/>".to_vec()), b"<b/>");
    }
}
