//! Change detection: a hash of the normalized listing and the mapping version; and the key
//! of a feed record (a hash of its bytes, seeded by what decides its mapping), by which a
//! reader recognizes a record stored unchanged before parsing it.
//!
//! The listing is hashed in postcard's binary form (the serde form's fields in declaration
//! order, maps ordered, strings as length and bytes), written into a buffer the thread reuses
//! and hashed in one call: no text is escaped and nothing is allocated, so an unchanged
//! listing costs its parse and this pass only. Its JSON document is made only when it is
//! written.

use std::cell::RefCell;

use postcard::ser_flavors::Flavor;
use std::borrow::Cow;

use propimport_domain::{Listing, ListingRecord, RecordKey, SourceRecord};
use xxhash_rust::xxh3::{xxh3_64, xxh3_128, xxh3_128_with_seed};

/// Bumped whenever mapping changes what a feed record becomes, or the hash changes, so
/// every listing is rewritten once with the new mapping.
pub const MAPPING_VERSION: u32 = 3;

/// The content hash of a listing: xxh3-128 of [`MAPPING_VERSION`] and the listing's postcard
/// encoding, as 32 hex digits.
pub fn content_hash(listing: &Listing) -> String {
    format!("{:032x}", listing_digest(listing))
}

/// The 128-bit hash of [`MAPPING_VERSION`] and the listing's postcard encoding.
fn listing_digest(listing: &Listing) -> u128 {
    // The encoding is written into a buffer kept by the thread and hashed in one call: a
    // streaming hasher fed field by field costs more than the copy.
    ENCODED.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => digest(listing, &mut buffer),
        Err(_) => digest(listing, &mut Vec::new()),
    })
}

/// The largest encoding buffer kept for the next listing.
const MAX_KEPT_BUFFER: usize = 256 * 1024;

thread_local! {
    static ENCODED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The 128-bit hash of the listing, encoded in `buffer` (left empty).
fn digest(listing: &Listing, buffer: &mut Vec<u8>) -> u128 {
    buffer.clear();
    buffer.extend_from_slice(&MAPPING_VERSION.to_le_bytes());
    let digest = match postcard::serialize_with_flavor(listing, Buffer(buffer)) {
        Ok(()) => xxh3_128(buffer),
        // The encoding has no size limit and every field of a listing encodes; should that
        // ever change, its JSON is hashed instead, marked apart.
        Err(_) => {
            buffer.truncate(4);
            buffer.extend_from_slice(b"json");
            buffer.extend_from_slice(listing.to_document().as_bytes());
            xxh3_128(buffer)
        }
    };
    buffer.clear();
    if buffer.capacity() > MAX_KEPT_BUFFER {
        *buffer = Vec::new();
    }
    digest
}

/// The record of a listing to store, with its hash.
pub fn record(listing: Listing) -> ListingRecord {
    ListingRecord::new(listing, content_hash)
}

/// The record of a listing read from `raw` by `format`: the raw record is kept with it (the
/// store compresses it, for the listings it writes) and is part of its hash, so a change of
/// the feed's record is stored even where the mapping does not use the field that changed
/// (and two records whose listings happen to encode alike are told apart).
pub fn kept_record(listing: Listing, raw: Option<Vec<u8>>, format: &'static str) -> ListingRecord {
    let Some(raw) = raw else {
        return record(listing);
    };
    let combined = listing_digest(&listing) ^ xxh3_128(&raw).rotate_left(1);
    let content_hash = format!("{combined:032x}");
    ListingRecord {
        listing,
        content_hash,
        source: Some(SourceRecord {
            format: Cow::Borrowed(format),
            bytes: raw,
        }),
        record_key: None,
    }
}

/// The seed of the record keys of a format read with `settings` (the read settings that
/// change what a record maps to): a hash of [`MAPPING_VERSION`], the format's name and the
/// settings, so that a key stored under other ones never matches.
pub fn record_seed(format: &str, settings: &[u64]) -> u64 {
    let mut bytes = Vec::with_capacity(8 + format.len() + 8 * settings.len());
    bytes.extend_from_slice(&MAPPING_VERSION.to_le_bytes());
    bytes.extend_from_slice(
        &u32::try_from(format.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    bytes.extend_from_slice(format.as_bytes());
    for setting in settings {
        bytes.extend_from_slice(&setting.to_le_bytes());
    }
    xxh3_64(&bytes)
}

/// [`record_seed`] with the store's `secret` (none: sixteen zero bytes) after the settings, so
/// that a stored key tells nothing of a record's bytes without the secret, and keys drawn with
/// another secret never match.
pub fn secret_seed(format: &str, settings: &[u64], secret: Option<[u8; 16]>) -> u64 {
    let secret = secret.unwrap_or_default();
    let mut all = settings.to_vec();
    all.extend(
        [&secret[..8], &secret[8..]]
            .map(|half| u64::from_le_bytes(half.try_into().unwrap_or_default())),
    );
    record_seed(format, &all)
}

/// The key of a record's bytes under `seed` ([`record_seed`]): xxh3-128 of the bytes with
/// the seed.
pub fn record_key(seed: u64, raw: &[u8]) -> RecordKey {
    RecordKey::from_u128(xxh3_128_with_seed(raw, seed))
}

/// `record` with the key of the feed record it was read from (which the readers of formats
/// that recognize known records give).
pub fn keyed(mut record: ListingRecord, key: Option<RecordKey>) -> ListingRecord {
    record.record_key = key;
    record
}

/// A postcard output that appends to a buffer it borrows.
struct Buffer<'a>(&'a mut Vec<u8>);

impl Flavor for Buffer<'_> {
    type Output = ();

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use propimport_domain::testing::listing_conformance::listing;

    use super::*;

    #[test]
    fn the_hash_follows_the_content() {
        let l = listing("A1", 250_000);
        let r = record(l.clone());
        assert_eq!(r.content_hash, content_hash(&l));
        assert_eq!(r.content_hash.len(), 32);
        assert_eq!(
            r.content_hash,
            independently(&l),
            "the documented encoding and hash"
        );
        assert_ne!(record(listing("A1", 250_001)).content_hash, r.content_hash);
        let mut featured = l.clone();
        featured.features.push("pool".into());
        assert_ne!(content_hash(&featured), r.content_hash);
        // Strings are length-prefixed: moving text from one to the next is a change.
        let mut split = featured.clone();
        split.features = vec!["po".into(), "ol".into()];
        let mut joined = featured.clone();
        joined.features = vec!["p".into(), "ool".into()];
        assert_ne!(content_hash(&split), content_hash(&joined));
    }

    /// The hash as the module's documentation defines it, computed without the reused buffer:
    /// xxh3-128 of the mapping version (little-endian) followed by the postcard encoding.
    fn independently(listing: &Listing) -> String {
        let mut bytes = MAPPING_VERSION.to_le_bytes().to_vec();
        let mut space = vec![0_u8; 1 << 20];
        let encoded = postcard::to_slice(listing, &mut space).expect("a listing encodes");
        bytes.extend_from_slice(encoded);
        format!("{:032x}", xxh3_128(&bytes))
    }

    #[test]
    fn a_reused_buffer_leaves_nothing_behind() {
        // A large listing hashed first leaves the thread's buffer long: the next hash must
        // cover only the next listing's encoding.
        let mut large = listing("A1", 250_000);
        large.features = vec!["x".repeat(10_000); 40];
        let small = listing("B2", 100_000);
        assert_eq!(content_hash(&large), independently(&large));
        assert_eq!(content_hash(&small), independently(&small));
        assert_ne!(content_hash(&small), content_hash(&large));
    }

    #[test]
    fn a_kept_record_is_part_of_the_hash() {
        let l = listing("A1", 250_000);
        let raw = |x: u8| Some(format!("<property><x>{x}</x></property>").into_bytes());
        let a = kept_record(l.clone(), raw(1), "kyero");
        let b = kept_record(l.clone(), raw(2), "kyero");
        assert_ne!(a.content_hash, b.content_hash, "an unmapped field changed");
        assert_eq!(a.content_hash.len(), 32);
        assert_eq!(
            a.content_hash,
            kept_record(l.clone(), raw(1), "kyero").content_hash
        );
        assert_eq!(kept_record(l.clone(), None, "kyero"), record(l));
        let kept = a.source.expect("kept");
        assert_eq!(kept.format, "kyero");
        assert_eq!(kept.bytes, b"<property><x>1</x></property>");
    }

    #[test]
    fn a_record_key_follows_the_bytes_and_the_settings() {
        let seed = record_seed("kyero", &[1024]);
        assert_ne!(seed, record_seed("kyero", &[2048]), "another setting");
        assert_ne!(seed, record_seed("reaxml", &[1024]), "another format");
        let raw = b"<property><id>1</id></property>";
        let key = record_key(seed, raw);
        assert_eq!(
            key,
            RecordKey::from_u128(xxh3_128_with_seed(raw, seed)),
            "the documented hash"
        );
        assert_ne!(key, record_key(seed, b"<property/>"));
        assert_ne!(key, record_key(record_seed("kyero", &[2048]), raw));
        // Hashed piece by piece as a reader reads it, the key is the same.
        let mut streamed = xxhash_rust::xxh3::Xxh3::with_seed(seed);
        for piece in raw.chunks(5) {
            streamed.update(piece);
        }
        assert_eq!(RecordKey::from_u128(streamed.digest128()), key);
        let kept = keyed(record(listing("A1", 1)), Some(key));
        assert_eq!(kept.record_key, Some(key));
    }

    #[test]
    fn the_hash_is_stable() {
        // A stored hash must match the same listing hashed by a later build: a change here
        // rewrites every listing once, and needs a new MAPPING_VERSION.
        assert_eq!(
            content_hash(&listing("A1", 250_000)),
            "5f39a4014984417856ea9f366ed0a2e6"
        );
    }
}
