//! The listing-store cases of record keys: the table of a source's known records, and the
//! sighting of a record recognized by its key.

use super::{at, id, record, source, stored};
use crate::{KnownRecord, ListingRecord, ListingStatus, ListingStore, RecordKey, UpsertOutcome};

fn keyed(id: &str, price: i64, key: u128) -> ListingRecord {
    ListingRecord {
        record_key: Some(RecordKey::from_u128(key)),
        ..record(id, price)
    }
}

fn known(text: &str, key: u128) -> KnownRecord {
    KnownRecord {
        external_id: id(text),
        key: RecordKey::from_u128(key),
        bytes: Vec::new(),
    }
}

/// Record keys are stored with their listings (replaced when the listing is written), read
/// back for the source's active listings only, and a recognized record marks its listing seen
/// only while it is active with that key.
pub async fn known_records_kept(store: &dyn ListingStore) {
    let s = source("known");
    let other = source("other");
    let batch = [
        keyed("A", 1, 1),
        keyed("B", 1, 2),
        record("C", 1),
        keyed("D", 1, 4),
        keyed("E", 1, 5),
    ];
    store.upsert_batch(&s, &batch, at(0)).await.expect("upsert");
    store
        .upsert_batch(&other, &[keyed("A", 1, 9)], at(0))
        .await
        .expect("upsert other source");
    store
        .upsert_batch(&s, &[keyed("A", 2, 11)], at(1))
        .await
        .expect("update");
    store
        .withdraw_ids(&s, &[id("D")], at(2))
        .await
        .expect("withdraw");
    assert_eq!(
        stored(store, &s, "A").await.record_key,
        Some(RecordKey::from_u128(11))
    );
    assert_eq!(stored(store, &s, "C").await.record_key, None);

    let table = store.known_records(&s).await.expect("known records");
    assert_eq!(table.len(), 3, "A, B and E: C has no key, D is withdrawn");
    let get = |key: u128| table.get(&RecordKey::from_u128(key));
    assert_eq!(get(11), Some("A"));
    assert_eq!(get(1), None, "A's key was replaced");
    assert_eq!((get(2), get(5)), (Some("B"), Some("E")));
    assert_eq!(get(4), None, "withdrawn");
    assert_eq!(get(9), None, "another source's");
    let empty = store.known_records(&source("empty")).await.expect("none");
    assert!(empty.is_empty());
    assert_eq!(
        empty.secret(),
        table.secret(),
        "one secret for the whole store"
    );

    let answers = store
        .touch_known(
            &s,
            &[
                known("A", 11),
                known("B", 99),
                known("D", 4),
                known("Z", 5),
                known("E", 5),
            ],
            at(3),
        )
        .await
        .expect("touch known");
    assert_eq!(answers, [true, false, false, false, true]);
    assert_eq!(stored(store, &s, "A").await.last_seen_at, at(3));
    assert_eq!(stored(store, &s, "E").await.last_seen_at, at(3));
    assert_eq!(
        stored(store, &s, "B").await.last_seen_at,
        at(0),
        "another key: not seen"
    );
    let d = stored(store, &s, "D").await;
    assert_eq!(d.status, ListingStatus::Withdrawn, "stays withdrawn");
    assert!(
        store
            .touch_known(&s, &[], at(4))
            .await
            .expect("nothing")
            .is_empty()
    );
    // A listing seen by its key is not absent from the snapshot that saw it.
    let report = store
        .withdraw_unseen(&s, at(3), 1.0, at(5))
        .await
        .expect("withdraw unseen");
    assert_eq!(report.withdrawn, 2, "B and C, not A or E");
    // The same listing from a record with another key (its private notes changed, or read
    // with other settings) is unchanged, and takes the key of the record last read; from a
    // record without a key, it keeps the one it has.
    let outcomes = store
        .upsert_batch(&s, &[keyed("E", 1, 55)], at(6))
        .await
        .expect("again");
    assert_eq!(outcomes, [UpsertOutcome::Unchanged]);
    assert_eq!(
        stored(store, &s, "E").await.record_key,
        Some(RecordKey::from_u128(55))
    );
    let outcomes = store
        .upsert_batch(
            &s,
            &[keyed("E", 1, 56), keyed("E", 1, 57), record("A", 2)],
            at(7),
        )
        .await
        .expect("unchanged");
    assert_eq!(outcomes, [UpsertOutcome::Unchanged; 3]);
    assert_eq!(
        stored(store, &s, "E").await.record_key,
        Some(RecordKey::from_u128(57)),
        "the last copy's"
    );
    assert_eq!(
        stored(store, &s, "A").await.record_key,
        Some(RecordKey::from_u128(11)),
        "kept"
    );
}
