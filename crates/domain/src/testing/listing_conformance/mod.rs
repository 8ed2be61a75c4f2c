//! The conformance suite of [`ListingStore`], run by every implementation through
//! [`listing_store_conformance!`](crate::listing_store_conformance) against a fresh store:
//! here upserts, sightings and withdrawals; in `kept` what a store keeps besides listings
//! (source state, source records, retry keys) and large batches.

use chrono::{DateTime, Duration};

use super::conformance::t0;
use crate::{
    Currency, ExternalId, JobName, Listing, ListingRecord, ListingStatus, ListingStore, Money,
    Price, SourceName, StoredListing, Transaction, UpsertOutcome,
};

mod kept;
mod known;
mod new_batches;

pub use kept::{
    large_batches, retry_keys_round_trip, source_records_kept, source_state_round_trip,
};
pub use known::known_records_kept;
pub use new_batches::new_batches;

/// Gives a test its listing store.
pub trait ListingFixture {
    /// The store under test.
    fn listings(&self) -> &dyn ListingStore;
}

impl ListingFixture for super::InMemoryListingStore {
    fn listings(&self) -> &dyn ListingStore {
        self
    }
}

/// Expands to one `#[test]` per listing-store conformance case (see
/// [`execution_store_conformance!`](crate::execution_store_conformance) for the arguments).
#[macro_export]
macro_rules! listing_store_conformance {
    (run = $run:path, store = $make:expr) => {
        $crate::listing_store_conformance!(@cases $run, $make;
            insert_unchanged_update, duplicates_in_a_batch, new_batches, withdraw_unseen_and_reappear,
            withdrawal_safety_limit, touched_listings_stay, withdraw_by_id, sources_are_separate, has_active_listings, source_state_round_trip,
            retry_keys_round_trip, large_batches, source_records_kept, known_records_kept);
    };
    (@cases $run:path, $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $run(async {
                    let Some(fixture) = $make.await else { return };
                    let store = $crate::testing::listing_conformance::ListingFixture::listings(&fixture);
                    $crate::testing::listing_conformance::$case(store).await;
                });
            }
        )*
    };
}

fn source(name: &str) -> SourceName {
    JobName::parse(name).unwrap_or_else(|_| JobName::default_import())
}

/// A sale listing with id `id` at `price` euros.
pub fn listing(id: &str, price: i64) -> Listing {
    let price = Price::Amount {
        amount: Money::from_minor(price * 100, Currency::EUR).unwrap_or_else(|_| panic!("price")),
    };
    let id = ExternalId::parse(id).unwrap_or_else(|_| panic!("valid id {id}"));
    Listing {
        reference: Some(format!("REF-{id}")),
        property_type: Some("villa".into()),
        bedrooms: Some(3),
        bathrooms: Some(2),
        built_area_m2: Some(120),
        address: crate::Address {
            town: Some("Jávea".into()),
            province: Some("Alicante".into()),
            ..Default::default()
        },
        features: vec!["pool".into()],
        images: vec![crate::Image::new(format!("https://img.example/{id}/1.jpg"))],
        pool: Some(true),
        ..Listing::new(id, Transaction::Sale, price)
    }
}

fn record(id: &str, price: i64) -> ListingRecord {
    ListingRecord::new(listing(id, price), |_| format!("h-{id}-{price}"))
}

fn at(seconds: i64) -> DateTime<chrono::Utc> {
    t0() + Duration::seconds(seconds)
}

fn id(text: &str) -> ExternalId {
    ExternalId::parse(text).unwrap_or_else(|_| panic!("valid id {text}"))
}

/// The stored listing `text` of source `s`, which must be there.
async fn stored(store: &dyn ListingStore, s: &SourceName, text: &str) -> StoredListing {
    store
        .get_listing(s, &id(text))
        .await
        .expect("get")
        .unwrap_or_else(|| panic!("listing {text} is stored"))
}

/// New listings are inserted, identical ones skipped (last seen moves), changed ones updated.
pub async fn insert_unchanged_update(store: &dyn ListingStore) {
    use UpsertOutcome::{Inserted, Unchanged, Updated};
    let s = source("kyero");
    let first = [record("A", 100), record("B", 200), record("C", 300)];
    assert_eq!(
        store.upsert_batch(&s, &first, at(0)).await.expect("upsert"),
        vec![Inserted; 3]
    );
    assert_eq!(
        store
            .upsert_batch(&s, &first, at(10))
            .await
            .expect("upsert"),
        vec![Unchanged; 3]
    );
    let b = stored(store, &s, "B").await;
    assert_eq!((b.first_seen_at, b.last_seen_at), (at(0), at(10)));
    assert_eq!(b.listing, listing("B", 200));
    assert_eq!(b.status, ListingStatus::Active);
    let second = [record("A", 100), record("B", 250), record("D", 400)];
    assert_eq!(
        store
            .upsert_batch(&s, &second, at(20))
            .await
            .expect("upsert"),
        vec![Unchanged, Updated, Inserted]
    );
    let b = stored(store, &s, "B").await;
    assert_eq!(
        (b.listing.price, b.content_hash.as_str(), b.first_seen_at),
        (listing("B", 250).price, "h-B-250", at(0))
    );
    assert_eq!(store.count_active(&s).await.expect("count"), 4);
    assert_eq!(
        store.upsert_batch(&s, &[], at(30)).await.expect("empty"),
        vec![]
    );
}

/// A listing twice in one batch is stored once (the last copy) with one outcome per copy.
pub async fn duplicates_in_a_batch(store: &dyn ListingStore) {
    let s = source("kyero");
    let outcomes = store
        .upsert_batch(&s, &[record("A", 1), record("A", 2)], at(0))
        .await
        .expect("upsert");
    assert_eq!(outcomes, vec![UpsertOutcome::Inserted; 2]);
    let a = stored(store, &s, "A").await;
    assert_eq!(a.content_hash, "h-A-2");
    assert_eq!(store.count_active(&s).await.expect("count"), 1);
}

/// Listings a snapshot did not contain are withdrawn; one that comes back is active again.
pub async fn withdraw_unseen_and_reappear(store: &dyn ListingStore) {
    let s = source("kyero");
    let all: Vec<ListingRecord> = (0..10).map(|i| record(&format!("L{i}"), 100 + i)).collect();
    store.upsert_batch(&s, &all, at(0)).await.expect("upsert");
    store
        .upsert_batch(&s, &all[..8], at(100))
        .await
        .expect("snapshot");
    let report = store
        .withdraw_unseen(&s, at(100), 0.3, at(101))
        .await
        .expect("withdraw");
    assert_eq!(
        (
            report.active_before,
            report.missing,
            report.withdrawn,
            report.blocked
        ),
        (10, 2, 2, false)
    );
    assert_eq!(store.count_active(&s).await.expect("count"), 8);
    let gone = store
        .get_listing(&s, &id("L9"))
        .await
        .expect("get")
        .expect("kept, never deleted");
    assert_eq!(
        (gone.status, gone.withdrawn_at),
        (ListingStatus::Withdrawn, Some(at(101)))
    );
    let back = store
        .upsert_batch(&s, &all[9..], at(200))
        .await
        .expect("back");
    assert_eq!(
        back,
        vec![UpsertOutcome::Updated],
        "a withdrawn listing that returns is updated, even unchanged"
    );
    let l9 = stored(store, &s, "L9").await;
    assert_eq!((l9.status, l9.withdrawn_at), (ListingStatus::Active, None));
    let again = store
        .withdraw_unseen(&s, at(0), 0.3, at(300))
        .await
        .expect("nothing missing");
    assert_eq!((again.missing, again.withdrawn), (0, 0));
}

/// A snapshot that would withdraw more than the allowed share withdraws nothing.
pub async fn withdrawal_safety_limit(store: &dyn ListingStore) {
    let s = source("kyero");
    let all: Vec<ListingRecord> = (0..10).map(|i| record(&format!("L{i}"), 100)).collect();
    store.upsert_batch(&s, &all, at(0)).await.expect("upsert");
    store
        .upsert_batch(&s, &all[..6], at(100))
        .await
        .expect("snapshot");
    let report = store
        .withdraw_unseen(&s, at(100), 0.3, at(101))
        .await
        .expect("withdraw");
    assert_eq!(
        (
            report.active_before,
            report.missing,
            report.withdrawn,
            report.blocked
        ),
        (10, 4, 0, true)
    );
    assert_eq!(store.count_active(&s).await.expect("count"), 10);
    let allowed = store
        .withdraw_unseen(&s, at(100), 0.5, at(101))
        .await
        .expect("withdraw");
    assert_eq!((allowed.withdrawn, allowed.blocked), (4, false));
}

/// Listings that were in the feed but failed to map are touched, so they are not withdrawn.
pub async fn touched_listings_stay(store: &dyn ListingStore) {
    let s = source("kyero");
    let all: Vec<ListingRecord> = (0..4).map(|i| record(&format!("L{i}"), 100)).collect();
    store.upsert_batch(&s, &all, at(0)).await.expect("upsert");
    store
        .upsert_batch(&s, &all[..3], at(100))
        .await
        .expect("snapshot");
    assert_eq!(
        store
            .touch(&s, &[id("L3"), id("nope")], at(100))
            .await
            .expect("touch"),
        1
    );
    let report = store
        .withdraw_unseen(&s, at(100), 0.3, at(101))
        .await
        .expect("withdraw");
    assert_eq!((report.missing, report.withdrawn), (0, 0));
    let l3 = stored(store, &s, "L3").await;
    assert_eq!(
        (l3.content_hash.as_str(), l3.last_seen_at),
        ("h-L3-100", at(100))
    );
}

/// A source's delete flag withdraws by id.
pub async fn withdraw_by_id(store: &dyn ListingStore) {
    let s = source("reso");
    store
        .upsert_batch(&s, &[record("A", 1), record("B", 2)], at(0))
        .await
        .expect("upsert");
    assert_eq!(
        store
            .withdraw_ids(&s, &[id("A"), id("Z")], at(5))
            .await
            .expect("withdraw"),
        1
    );
    assert_eq!(
        store
            .withdraw_ids(&s, &[id("A")], at(6))
            .await
            .expect("again"),
        0
    );
    assert_eq!(store.count_active(&s).await.expect("count"), 1);
}

/// A source has active listings from its first stored listing until its last is withdrawn,
/// apart from other sources'.
pub async fn has_active_listings(store: &dyn ListingStore) {
    let (a, b) = (source("kyero"), source("reso"));
    let has = async |s: &SourceName| store.has_active(s).await.expect("has active");
    assert!(!has(&a).await, "nothing stored yet");
    store
        .upsert_batch(&a, &[record("X", 1), record("Y", 2)], at(0))
        .await
        .expect("a");
    assert!(has(&a).await);
    assert!(!has(&b).await, "another source's listings are not b's");
    store
        .withdraw_ids(&a, &[id("X")], at(1))
        .await
        .expect("withdraw X");
    assert!(has(&a).await, "Y is still active");
    store
        .withdraw_ids(&a, &[id("Y")], at(2))
        .await
        .expect("withdraw Y");
    assert!(!has(&a).await, "withdrawn listings are not active");
    store
        .upsert_batch(&a, &[record("Y", 3)], at(3))
        .await
        .expect("Y again");
    assert!(has(&a).await, "a listing that comes back is active again");
}

/// The same external id in two sources is two listings.
pub async fn sources_are_separate(store: &dyn ListingStore) {
    let (a, b) = (source("kyero"), source("reso"));
    store
        .upsert_batch(&a, &[record("X", 1)], at(0))
        .await
        .expect("a");
    assert_eq!(
        store
            .upsert_batch(&b, &[record("X", 2)], at(0))
            .await
            .expect("b"),
        vec![UpsertOutcome::Inserted]
    );
    store
        .upsert_batch(&a, &[record("Y", 1)], at(10))
        .await
        .expect("a snapshot");
    let report = store
        .withdraw_unseen(&a, at(10), 1.0, at(11))
        .await
        .expect("withdraw");
    assert_eq!(report.withdrawn, 1);
    assert_eq!(store.count_active(&b).await.expect("b untouched"), 1);
    assert!(
        store
            .get_listing(&b, &id("Y"))
            .await
            .expect("get")
            .is_none()
    );
}
