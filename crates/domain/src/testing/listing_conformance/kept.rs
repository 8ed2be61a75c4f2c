//! The listing-store cases of what a store keeps besides the listings (a source's state, its
//! listings' source records, the keys to ask for again) and of batches larger than a chunk.

use super::{at, id, listing, record, source};
use crate::{
    ExternalId, ListingRecord, ListingStore, RetryKey, SourceRecord, SourceState, UpsertOutcome,
};

/// Source state reads back as saved and can be replaced.
pub async fn source_state_round_trip(store: &dyn ListingStore) {
    let s = source("reso");
    assert_eq!(store.source_state(&s).await.expect("read"), None);
    let mut state = SourceState {
        source: s.clone(),
        watermark: Some(at(5)),
        last_snapshot_at: None,
    };
    store.save_source_state(&state).await.expect("save");
    assert_eq!(
        store.source_state(&s).await.expect("read"),
        Some(state.clone())
    );
    state.watermark = Some(at(50));
    state.last_snapshot_at = Some(at(60));
    store.save_source_state(&state).await.expect("save again");
    assert_eq!(store.source_state(&s).await.expect("read"), Some(state));
}

/// Source records are stored with their listings, replaced when the listing is written, and
/// read back page by page in id order for the active listings that have one.
pub async fn source_records_kept(store: &dyn ListingStore) {
    let s = source("kept");
    let kept = |id: &str, price: i64, bytes: &[u8]| ListingRecord {
        source: Some(SourceRecord {
            format: "json".into(),
            bytes: bytes.to_vec(),
        }),
        ..record(id, price)
    };
    let batch = [
        kept("A", 1, b"a1"),
        kept("B", 1, b"\x00\xffb1"),
        record("C", 1),
        kept("D", 1, b"d1"),
        kept("E", 1, b"e1"),
    ];
    store.upsert_batch(&s, &batch, at(0)).await.expect("upsert");
    store
        .upsert_batch(&s, &[kept("A", 2, b"a2")], at(1))
        .await
        .expect("update");
    let d = ExternalId::parse("D").unwrap_or_else(|_| panic!("id"));
    store.withdraw_ids(&s, &[d], at(2)).await.expect("withdraw");
    let first = store.source_records(&s, None, 2).await.expect("page 1");
    let ids: Vec<&str> = first.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["A", "B"]);
    let kept_bytes = |i: usize| match &first[i].1 {
        Ok(record) => (record.format.to_string(), record.bytes.clone()),
        Err(e) => panic!("record {i} cannot be read: {e}"),
    };
    assert_eq!(
        kept_bytes(0),
        ("json".into(), b"a2".to_vec()),
        "replaced with its listing"
    );
    assert_eq!(
        kept_bytes(1),
        ("json".into(), b"\x00\xffb1".to_vec()),
        "bytes kept exactly"
    );
    let rest = store
        .source_records(&s, Some(&first[1].0), 10)
        .await
        .expect("page 2");
    let ids: Vec<&str> = rest.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["E"], "no record (C) and withdrawn (D) are left out");
    let after_e = store.source_records(&s, Some(&rest[0].0), 10).await;
    assert!(after_e.expect("page 3").is_empty());
    let a = ExternalId::parse("A").unwrap_or_else(|_| panic!("id"));
    let stored = store.get_listing(&s, &a).await.expect("read");
    let stored = stored.unwrap_or_else(|| panic!("A is stored"));
    assert_eq!(stored.source_record.map(|r| r.bytes), Some(b"a2".to_vec()));
    let other = store.source_records(&source("other"), None, 10).await;
    assert!(other.expect("other source").is_empty());
}

/// Keys to retry are kept per source, keep their first failure, and are cleared by id.
pub async fn retry_keys_round_trip(store: &dyn ListingStore) {
    let s = source("reso");
    let other = source("other");
    assert!(store.retry_keys(&s).await.expect("read").is_empty());
    let key = |id: &str, field: &str, minute: i64, error: &str| RetryKey {
        external_id: ExternalId::parse(id).expect("id"),
        key_field: field.into(),
        first_failed_at: at(minute),
        last_error: error.into(),
    };
    store
        .add_retry_keys(
            &s,
            &[
                key("B", "ListingKey", 2, "bad"),
                key("A", "ListingKeyNumeric", 1, "worse"),
            ],
        )
        .await
        .expect("add");
    store
        .add_retry_keys(&other, &[key("A", "ListingKey", 3, "elsewhere")])
        .await
        .expect("add other");
    assert_eq!(
        store.retry_keys(&s).await.expect("read"),
        [
            key("A", "ListingKeyNumeric", 1, "worse"),
            key("B", "ListingKey", 2, "bad")
        ]
    );
    store
        .add_retry_keys(&s, &[key("B", "ListingId", 9, "still bad")])
        .await
        .expect("again");
    assert_eq!(
        store.retry_keys(&s).await.expect("read")[1],
        key("B", "ListingId", 2, "still bad"),
        "the first failure is kept"
    );
    let cleared = store
        .clear_retry_keys(
            &s,
            &[
                ExternalId::parse("A").expect("id"),
                ExternalId::parse("Z").expect("id"),
            ],
        )
        .await
        .expect("clear");
    assert_eq!(cleared, 1);
    assert_eq!(store.retry_keys(&s).await.expect("read").len(), 1);
    assert_eq!(
        store.retry_keys(&other).await.expect("read").len(),
        1,
        "sources are separate"
    );
    store.add_retry_keys(&s, &[]).await.expect("nothing to add");
    assert_eq!(
        store
            .clear_retry_keys(&s, &[])
            .await
            .expect("nothing to clear"),
        0
    );
}

/// Batches larger than a statement's parameter limit are stored whole.
pub async fn large_batches(store: &dyn ListingStore) {
    let s = source("big");
    let all: Vec<ListingRecord> = (0..2500).map(|i| record(&format!("L{i}"), i)).collect();
    let outcomes = store.upsert_batch(&s, &all, at(0)).await.expect("upsert");
    assert_eq!(outcomes.len(), 2500);
    assert!(outcomes.iter().all(|o| *o == UpsertOutcome::Inserted));
    assert_eq!(store.count_active(&s).await.expect("count"), 2500);
    let again = store.upsert_batch(&s, &all, at(1)).await.expect("again");
    assert!(again.iter().all(|o| *o == UpsertOutcome::Unchanged));

    // Every third listing changed, and new ones after them: each outcome at its position,
    // each row as last written (rows are written in groups, the rest one at a time).
    let mixed: Vec<ListingRecord> = (0..2600)
        .map(|i| record(&format!("L{i}"), if i % 3 == 0 { i + 7 } else { i }))
        .collect();
    let outcomes = store.upsert_batch(&s, &mixed, at(2)).await.expect("mixed");
    for (i, outcome) in outcomes.iter().enumerate() {
        let expected = match i {
            2500.. => UpsertOutcome::Inserted,
            _ if i % 3 == 0 => UpsertOutcome::Updated,
            _ => UpsertOutcome::Unchanged,
        };
        assert_eq!(*outcome, expected, "outcome of L{i}");
    }
    for i in [0_i64, 1, 33, 999, 2499, 2500, 2599] {
        let stored = store
            .get_listing(&s, &id(&format!("L{i}")))
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("L{i} stored"));
        let price = if i % 3 == 0 { i + 7 } else { i };
        assert_eq!(stored.listing, listing(&format!("L{i}"), price), "L{i}");
        let first_seen = if i < 2500 { at(0) } else { at(2) };
        assert_eq!(
            (stored.first_seen_at, stored.last_seen_at),
            (first_seen, at(2)),
            "L{i}"
        );
    }
    assert_eq!(store.count_active(&s).await.expect("count"), 2600);
}
