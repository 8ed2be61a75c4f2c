//! Change detection: a hash of the normalized listing and the mapping version.

use propimport_domain::{Listing, ListingRecord};
use xxhash_rust::xxh3::Xxh3;

/// Bumped whenever mapping changes what a feed record becomes, so every listing is rewritten
/// once with the new mapping.
pub const MAPPING_VERSION: u32 = 1;

/// The content hash of a listing: xxh3-128 of its canonical JSON (maps are ordered, fields in
/// declaration order) and [`MAPPING_VERSION`], as 32 hex digits.
pub fn content_hash(listing: &Listing) -> String {
    // Serializing a Listing cannot fail: every field is a plain value or an ordered map.
    document_hash(&serde_json::to_string(listing).unwrap_or_default())
}

/// [`content_hash`] of the listing whose canonical JSON is `document`.
pub fn document_hash(document: &str) -> String {
    let mut hasher = Xxh3::new();
    hasher.update(&MAPPING_VERSION.to_le_bytes());
    hasher.update(document.as_bytes());
    format!("{:032x}", hasher.digest128())
}

/// The record of a listing to store: its canonical JSON, serialized once, and its hash.
pub fn record(listing: Listing) -> ListingRecord {
    ListingRecord::new(listing, document_hash)
}

#[cfg(test)]
mod tests {
    use propimport_domain::testing::listing_conformance::listing;

    use super::*;

    #[test]
    fn a_record_holds_the_document_it_hashed() {
        let l = listing("A1", 250_000);
        let r = record(l.clone());
        assert_eq!(r.content_hash, content_hash(&l));
        assert_eq!(r.content_hash.len(), 32);
        let back: Listing = serde_json::from_str(&r.document).unwrap();
        assert_eq!(back, l);
        assert_ne!(record(listing("A1", 250_001)).content_hash, r.content_hash);
    }
}
