//! The listing-store case of batches expected to be new ([`ListingStore::upsert_new_batch`]),
//! which a store may insert without reading what it holds of their ids.

use super::{at, id, listing, record, source, stored};
use crate::{ListingRecord, ListingStatus, ListingStore, UpsertOutcome};

/// A batch expected to be new is stored as an upsert would store it, also where the
/// expectation is wrong: a stored listing (unchanged, changed or withdrawn) in one of its
/// chunks, a listing twice.
pub async fn new_batches(store: &dyn ListingStore) {
    use UpsertOutcome::{Inserted, Unchanged, Updated};
    let s = source("kyero");
    // Past the first chunk of 500, a listing twice: stored once, as its last copy, with no
    // stored row met.
    let mut first: Vec<ListingRecord> = (0..600).map(|i| record(&format!("N{i}"), i)).collect();
    first.push(record("N599", 5990));
    let outcomes = store
        .upsert_new_batch(&s, &first, at(0))
        .await
        .expect("new");
    assert_eq!(outcomes, vec![Inserted; 601]);
    let n599 = stored(store, &s, "N599").await;
    assert_eq!(n599.content_hash, "h-N599-5990");
    let n7 = stored(store, &s, "N7").await;
    assert_eq!((n7.first_seen_at, n7.last_seen_at), (at(0), at(0)));
    assert_eq!(n7.listing, listing("N7", 7));
    store
        .withdraw_ids(&s, &[id("N2")], at(5))
        .await
        .expect("withdraw");

    // New listings, then (past the first 500) stored ones: unchanged, changed, withdrawn, and
    // a new one twice.
    let mut second: Vec<ListingRecord> = (0..550).map(|i| record(&format!("M{i}"), i)).collect();
    second.extend([record("N1", 1), record("N3", 30), record("N2", 2)]);
    second.extend([record("D1", 1), record("D1", 10)]);
    let outcomes = store
        .upsert_new_batch(&s, &second, at(10))
        .await
        .expect("mixed");
    let mut expected = vec![Inserted; 550];
    expected.extend([Unchanged, Updated, Updated, Inserted, Inserted]);
    assert_eq!(outcomes, expected);
    let read = async |name: &str| {
        let found = store.get_listing(&s, &id(name)).await.expect("get");
        found.unwrap_or_else(|| panic!("{name} stored"))
    };
    let n1 = read("N1").await;
    assert_eq!((n1.first_seen_at, n1.last_seen_at), (at(0), at(10)));
    let n3 = read("N3").await;
    assert_eq!((n3.listing, n3.first_seen_at), (listing("N3", 30), at(0)));
    let n2 = read("N2").await;
    assert_eq!((n2.status, n2.withdrawn_at), (ListingStatus::Active, None));
    assert_eq!(read("D1").await.content_hash, "h-D1-10");
    assert_eq!(read("M549").await.last_seen_at, at(10));
    assert_eq!(store.count_active(&s).await.expect("count"), 600 + 550 + 1);
}
