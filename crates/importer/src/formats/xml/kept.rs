//! A record's bytes as written, kept with its listing up to the record limit: a record
//! that outgrows it fails, and its bytes are dropped as soon as it does, so memory stays
//! bounded however many small elements the record holds.

use crate::formats::MAX_RECORD_BYTES;

/// The bytes kept of the record being read.
#[derive(Debug, Default)]
pub(crate) struct KeptBytes {
    bytes: Vec<u8>,
    /// The record outgrew the limit: nothing more is kept of it.
    full: bool,
}

impl KeptBytes {
    /// Starts keeping a new record's bytes.
    pub fn restart(&mut self) {
        self.bytes.clear();
        self.full = false;
    }

    /// Keeps `raw`. Once the record's bytes would pass [`MAX_RECORD_BYTES`] they are dropped
    /// and the reason comes back (once), for the record to fail with.
    #[must_use]
    pub fn keep(&mut self, raw: &[u8]) -> Option<String> {
        if self.full {
            return None;
        }
        if self.bytes.len().saturating_add(raw.len()) > MAX_RECORD_BYTES {
            self.bytes = Vec::new();
            self.full = true;
            return Some(format!(
                "larger than {}",
                crate::formats::size(MAX_RECORD_BYTES)
            ));
        }
        self.bytes.extend_from_slice(raw);
        None
    }

    /// The bytes kept so far (none once the record outgrew the limit).
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// Takes the record's bytes, leaving room for as many for the next record.
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
}
