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
