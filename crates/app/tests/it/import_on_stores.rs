//! The importer on the real stores: the shipped demo feeds imported into SQLite and
//! PostgreSQL, then imported again (all unchanged), then a shrunken feed (withdrawals and
//! their safety limit).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use propimport_domain::{
    CancelToken, ExternalId, JobName, ListingStatus, ListingStore, Price, ProgressHandle,
    Transaction,
};
use propimport_importer::{FeedFormat, ImportReport, Importer, Location, SourceConfig};
use propimport_persistence::testing::TestDatabase;

use crate::rt;

fn demo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/feeds")
        .join(name)
}

async fn import(
    store: Arc<dyn ListingStore>,
    name: &str,
    format: FeedFormat,
    path: &Path,
) -> ImportReport {
    let config = SourceConfig::new(
        JobName::parse(name).unwrap(),
        format,
        Location::File(path.to_owned()),
    );
    let importer = Importer::builder(config, store)
        .batch_size(7)
        .build()
        .unwrap();
    importer
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await
        .unwrap()
}

async fn demo_feeds(fixture: TestDatabase) {
    let store: Arc<dyn ListingStore> = Arc::new(fixture.listing_store().clone());
    let kyero = demo("costa-blanca.kyero.xml");
    let first = import(
        store.clone(),
        "demo-costa-blanca",
        FeedFormat::KYERO,
        &kyero,
    )
    .await;
    assert_eq!(
        (first.total, first.inserted, first.failed),
        (30, 30, 0),
        "{first:?}"
    );
    let again = import(
        store.clone(),
        "demo-costa-blanca",
        FeedFormat::KYERO,
        &kyero,
    )
    .await;
    assert_eq!((again.unchanged, again.inserted, again.updated), (30, 0, 0));

    let name = JobName::parse("demo-costa-blanca").unwrap();
    let l = store
        .get_listing(&name, &ExternalId::parse("CB-1013").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        l.listing.price,
        Price::OnRequest,
        "price x is price on application"
    );
    let en = &l.listing.texts[&propimport_domain::LanguageCode::parse("en").unwrap()];
    let text = en.description.as_deref().unwrap();
    assert!(
        !text.contains('<') && text.contains('&'),
        "HTML stripped, entities decoded: {text}"
    );

    let json = demo("north-macedonia.ndjson");
    let mk = import(
        store.clone(),
        "demo-north-macedonia",
        FeedFormat::JSON,
        &json,
    )
    .await;
    assert_eq!((mk.total, mk.inserted), (20, 20));
    let rent = store
        .get_listing(
            &JobName::parse("demo-north-macedonia").unwrap(),
            &ExternalId::parse("MK-504").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rent.listing.transaction, Transaction::RentMonthly);

    // A feed with 25 of the 30 listings withdraws 5 (17 % < 30 %); one with 10 withdraws none.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&kyero).unwrap();
    let header_end = text.find("  <property>").unwrap();
    let properties: Vec<&str> = text[header_end..]
        .split_inclusive("  </property>\n")
        .filter(|p| p.contains("<property>"))
        .collect();
    assert_eq!(properties.len(), 30);
    let shrunk = |keep: usize| {
        format!(
            "{}{}</root>\n",
            &text[..header_end],
            properties[..keep].concat()
        )
    };
    let path = dir.path().join("shrunk.xml");
    std::fs::write(&path, shrunk(25)).unwrap();
    let report = import(store.clone(), "demo-costa-blanca", FeedFormat::KYERO, &path).await;
    assert_eq!(
        (report.total, report.unchanged, report.withdrawn),
        (25, 25, 5),
        "{report:?}"
    );
    std::fs::write(&path, shrunk(10)).unwrap();
    let report = import(store.clone(), "demo-costa-blanca", FeedFormat::KYERO, &path).await;
    assert_eq!(report.withdrawn, 0);
    assert!(report.withdrawal_blocked.is_some());
    assert_eq!(store.count_active(&name).await.unwrap(), 25);
    let gone = store
        .get_listing(&name, &ExternalId::parse("CB-1030").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.status, ListingStatus::Withdrawn);
}

#[test]
fn demo_feeds_on_sqlite() {
    rt().block_on(async { demo_feeds(TestDatabase::sqlite().await).await });
}

#[test]
fn demo_feeds_on_postgres() {
    rt().block_on(async {
        if let Some(fixture) = TestDatabase::postgres().await {
            demo_feeds(fixture).await;
        }
    });
}

/// Kyero property `n` at `price` euros (with private notes, which its record's key covers).
fn property(n: usize, price: u32) -> String {
    format!(
        "<property><id>K{n}</id><date>2024-05-01 12:30:00</date><ref>R{n}</ref>\
         <price>{price}</price><price_freq>sale</price_freq><type>flat</type><town>T</town>\
         <province>P</province><notes>private {n}</notes><desc><en>Flat {n}</en></desc>\
         </property>\n"
    )
}

/// A long Kyero feed imported again: what its properties stored unchanged are recognized by
/// (their record keys) is stored, read back and matched by the store; the last copy of a
/// repeated property is the one stored, as it is without them.
async fn long_kyero_feed_again(fixture: TestDatabase) {
    let store: Arc<dyn ListingStore> = Arc::new(fixture.listing_store().clone());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.xml");
    let feed = |properties: &[String]| format!("<root>\n{}</root>\n", properties.concat());
    let mut properties: Vec<String> = (0..200).map(|n| property(n, 1000 + n as u32)).collect();
    std::fs::write(&path, feed(&properties)).unwrap();
    let first = import(store.clone(), "long-kyero", FeedFormat::KYERO, &path).await;
    assert_eq!((first.inserted, first.failed), (200, 0), "{first:?}");
    let again = import(store.clone(), "long-kyero", FeedFormat::KYERO, &path).await;
    assert_eq!(
        (again.total, again.unchanged, again.updated, again.withdrawn),
        (200, 200, 0, 0),
        "{again:?}"
    );

    // K120 changed, then its stored copy again; K150 stored, then changed.
    properties[120] = property(120, 7);
    properties.push(property(120, 1120));
    properties.push(property(150, 9));
    std::fs::write(&path, feed(&properties)).unwrap();
    let third = import(store.clone(), "long-kyero", FeedFormat::KYERO, &path).await;
    assert_eq!((third.failed, third.withdrawn), (0, 0), "{third:?}");
    let name = JobName::parse("long-kyero").unwrap();
    let price = async |id: &str| {
        let stored = store
            .get_listing(&name, &ExternalId::parse(id).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(stored.record_key.is_some(), "{id} has its record's key");
        match stored.listing.price {
            Price::Amount { amount } => amount.minor() / 100,
            Price::OnRequest => panic!("{id} has a price"),
        }
    };
    assert_eq!(price("K120").await, 1120, "the last copy");
    assert_eq!(price("K150").await, 9, "the last copy");
    assert_eq!(price("K199").await, 1199);
    assert_eq!(store.count_active(&name).await.unwrap(), 200);
}

#[test]
fn long_kyero_feed_again_on_sqlite() {
    rt().block_on(async { long_kyero_feed_again(TestDatabase::sqlite().await).await });
}

#[test]
fn long_kyero_feed_again_on_postgres() {
    rt().block_on(async {
        if let Some(fixture) = TestDatabase::postgres().await {
            long_kyero_feed_again(fixture).await;
        }
    });
}
