//! Change detection: a hash of the normalized listing and the mapping version.

use propimport_domain::Listing;
use xxhash_rust::xxh3::Xxh3;

/// Bumped whenever mapping changes what a feed record becomes, so every listing is rewritten
/// once with the new mapping.
pub const MAPPING_VERSION: u32 = 1;

/// The content hash of a listing: xxh3-128 of its canonical JSON (maps are ordered, fields in
/// declaration order) and [`MAPPING_VERSION`], as 32 hex digits.
pub fn content_hash(listing: &Listing) -> String {
    let mut hasher = Xxh3::new();
    hasher.update(&MAPPING_VERSION.to_le_bytes());
    // Serializing a Listing cannot fail: every field is a plain value or an ordered map.
    if let Ok(json) = serde_json::to_vec(listing) {
        hasher.update(&json);
    }
    format!("{:032x}", hasher.digest128())
}
