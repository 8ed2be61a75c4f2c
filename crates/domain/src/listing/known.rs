//! Records known before they are read: the key of a feed record as it was read (a hash of its
//! bytes and of what decided its mapping), kept with the listing it was mapped to, and the
//! table of a source's stored keys that lets a reader recognize an unchanged record by its
//! bytes alone, without parsing or mapping it.

use std::fmt;

use super::ExternalId;

/// A hash of a feed record's bytes and of everything that decides what it maps to (its
/// format, the mapping version, the read settings). Two records with equal keys map to equal
/// listings, so a record whose key is stored with its listing needs no mapping: its listing
/// is stored as it would be written.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordKey(pub [u8; 16]);

impl RecordKey {
    /// The key of a 128-bit hash (stored big-endian).
    pub fn from_u128(hash: u128) -> Self {
        Self(hash.to_be_bytes())
    }

    /// The key as stored, when `bytes` are one (16 bytes).
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }
}

impl fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordKey({:032x})", u128::from_be_bytes(self.0))
    }
}

/// A record recognized by its key: the id of the stored listing it was mapped to, and its
/// bytes (to map it after all should the stored listing no longer be the one the key names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownRecord {
    /// The stored listing's id.
    pub external_id: ExternalId,
    /// The record's key.
    pub key: RecordKey,
    /// The record's bytes, as the feed sent them.
    pub bytes: Vec<u8>,
}

/// A source's stored record keys with their listings' ids, looked up by key: compact (about
/// 24 bytes and the id's length per listing), so that a million listings fit in a few tens
/// of MB. It comes with the store's secret, which the keys are drawn with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownRecords {
    /// Each key with its id's start and length in `ids`, sorted by key.
    entries: Vec<(RecordKey, u32, u32)>,
    /// The ids, one after the other.
    ids: String,
    /// The secret mixed into the keys' seed.
    secret: [u8; 16],
}

impl KnownRecords {
    /// An empty table, of keys drawn without a secret.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty table of keys drawn with `secret`: the store's own, the same for every source
    /// and every replica, so that a stored key tells nothing of a record to whoever reads the
    /// store without it.
    pub fn with_secret(secret: [u8; 16]) -> Self {
        Self {
            secret,
            ..Self::default()
        }
    }

    /// The secret the keys are drawn with.
    pub fn secret(&self) -> [u8; 16] {
        self.secret
    }

    /// Adds a key with its listing's id (keys are sorted by [`KnownRecords::finish`]). An
    /// id that would take the table past 4 GiB of ids is left out (the record is then mapped
    /// as any other).
    pub fn push(&mut self, key: RecordKey, id: &str) {
        let (Ok(start), Ok(len)) = (u32::try_from(self.ids.len()), u32::try_from(id.len())) else {
            return;
        };
        if start.checked_add(len).is_none() {
            return;
        }
        self.ids.push_str(id);
        self.entries.push((key, start, len));
    }

    /// The table ready for lookups: sorted by key. A key met twice (two listings whose
    /// records hash alike, which only a collision makes) is dropped, so neither is skipped.
    #[must_use]
    pub fn finish(mut self) -> Self {
        let entries = &mut self.entries;
        entries.sort_unstable_by_key(|e| e.0);
        // Compacted in place: no second table of the same size, however many keys.
        let (mut read, mut write) = (0, 0);
        while read < entries.len() {
            let key = entries[read].0;
            let mut end = read + 1;
            while end < entries.len() && entries[end].0 == key {
                end += 1;
            }
            if end == read + 1 {
                entries[write] = entries[read];
                write += 1;
            }
            read = end;
        }
        entries.truncate(write);
        entries.shrink_to_fit();
        self.ids.shrink_to_fit();
        self
    }

    /// The id of the stored listing whose record has `key`.
    pub fn get(&self, key: &RecordKey) -> Option<&str> {
        let at = self.entries.binary_search_by_key(key, |e| e.0).ok()?;
        let (_, start, len) = self.entries[at];
        let start = start as usize;
        self.ids.get(start..start + len as usize)
    }

    /// How many keys the table holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u128) -> RecordKey {
        RecordKey::from_u128(n)
    }

    #[test]
    fn keys_are_found_with_their_ids() {
        let mut table = KnownRecords::new();
        table.push(key(30), "c");
        table.push(key(10), "a-long-id");
        table.push(key(20), "");
        let table = table.finish();
        assert_eq!(table.len(), 3);
        assert_eq!(table.get(&key(10)), Some("a-long-id"));
        assert_eq!(table.get(&key(20)), Some(""));
        assert_eq!(table.get(&key(30)), Some("c"));
        assert_eq!(table.get(&key(15)), None);
        assert!(KnownRecords::new().finish().is_empty());
    }

    #[test]
    fn a_key_met_twice_names_neither_listing() {
        let mut table = KnownRecords::new();
        table.push(key(5), "x");
        table.push(key(7), "y");
        table.push(key(5), "z");
        let table = table.finish();
        assert_eq!(table.get(&key(5)), None);
        assert_eq!(table.get(&key(7)), Some("y"));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn keys_read_back_as_stored() {
        let k = key(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10);
        assert_eq!(RecordKey::from_slice(&k.0), Some(k));
        assert_eq!(RecordKey::from_slice(&[1, 2, 3]), None);
        assert_eq!(
            format!("{k:?}"),
            "RecordKey(0102030405060708090a0b0c0d0e0f10)"
        );
    }
}
