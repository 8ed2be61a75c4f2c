//! OpenImmo through the importer into the in-memory stores: a partial transfer withdraws
//! nothing that is absent, a full one does, a DELETE withdraws; a ZIP delivery's pictures end
//! up in the image store without any download.

use propimport_domain::testing::{InMemoryListingImageStore, InMemoryListingStore};
use propimport_domain::{
    CancelToken, ExternalId, ImageStatus, JobName, ListingImageStore, ListingStatus, ListingStore,
    ProgressHandle,
};
use propimport_importer::{ImageStorage, ImportReport, Importer, Location, SourceConfig};

use super::*;

/// A document of `umfang` with records (id, price, aktion).
fn document(umfang: &str, records: &[(&str, u32, &str)]) -> String {
    let mut doc = format!(
        "<?xml version=\"1.0\"?><openimmo><uebertragung umfang=\"{umfang}\" version=\"1.2.7\"/><anbieter><firma>F</firma>"
    );
    for (id, price, action) in records {
        doc.push_str(&format!(
            "<immobilie><objektkategorie><vermarktungsart KAUF=\"true\"/></objektkategorie><preise><kaufpreis>{price}</kaufpreis></preise><anhaenge><anhang gruppe=\"TITELBILD\"><daten><pfad>{id}.jpg</pfad></daten></anhang></anhaenge><verwaltung_techn><objektnr_extern>{id}</objektnr_extern><aktion aktionart=\"{action}\"/></verwaltung_techn></immobilie>"
        ));
    }
    doc + "</anbieter></openimmo>"
}

struct Feed {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Feed {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.xml");
        Self { _dir: dir, path }
    }

    fn write(&self, bytes: &[u8]) {
        std::fs::write(&self.path, bytes).unwrap();
    }

    fn config(&self) -> SourceConfig {
        let mut config = SourceConfig::new(
            JobName::parse("oi-feed").unwrap(),
            FeedFormat::OPENIMMO,
            Location::File(self.path.clone()),
        );
        config.max_withdraw_fraction = 1.0;
        config
    }
}

async fn run(importer: &Importer) -> ImportReport {
    importer
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await
        .unwrap()
}

async fn status(store: &InMemoryListingStore, id: &str) -> ListingStatus {
    store
        .get_listing(
            &JobName::parse("oi-feed").unwrap(),
            &ExternalId::parse(id).unwrap(),
        )
        .await
        .unwrap()
        .unwrap()
        .status
}

#[tokio::test]
async fn partial_transfers_withdraw_only_deletions_and_full_ones_the_absent() {
    let feed = Feed::new();
    let store = Arc::new(InMemoryListingStore::new());
    let importer = Importer::builder(feed.config(), store.clone())
        .build()
        .unwrap();

    feed.write(
        document(
            "VOLL",
            &[
                ("A", 100, "CHANGE"),
                ("B", 200, "CHANGE"),
                ("C", 300, "CHANGE"),
            ],
        )
        .as_bytes(),
    );
    let first = run(&importer).await;
    assert_eq!((first.total, first.inserted, first.withdrawn), (3, 3, 0));

    feed.write(document("TEIL", &[("A", 150, "CHANGE")]).as_bytes());
    let partial = run(&importer).await;
    assert_eq!(
        (partial.updated, partial.withdrawn),
        (1, 0),
        "TEIL: B and C stay"
    );
    assert_eq!(status(&store, "B").await, ListingStatus::Active);

    feed.write(document("TEIL", &[("C", 300, "DELETE")]).as_bytes());
    let deleted = run(&importer).await;
    assert_eq!(deleted.withdrawn, 1);
    assert_eq!(status(&store, "C").await, ListingStatus::Withdrawn);
    assert_eq!(status(&store, "B").await, ListingStatus::Active);

    feed.write(document("VOLL", &[("A", 150, "CHANGE")]).as_bytes());
    let full = run(&importer).await;
    assert_eq!(full.withdrawn, 1, "VOLL: B is absent and withdrawn");
    assert_eq!(status(&store, "B").await, ListingStatus::Withdrawn);
    assert_eq!(status(&store, "A").await, ListingStatus::Active);
}

#[tokio::test]
async fn a_zip_delivery_stores_its_pictures_without_downloading() {
    let feed = Feed::new();
    let listings = Arc::new(InMemoryListingStore::new());
    let records = Arc::new(InMemoryListingImageStore::new());
    let storage = ImageStorage::in_memory();
    let importer = Importer::builder(feed.config(), listings.clone())
        .images(records.clone(), storage.clone())
        .build()
        .unwrap();
    let doc = document("VOLL", &[("A", 100, "CHANGE"), ("B", 200, "CHANGE")]);
    feed.write(&zip_of(&[
        ("openimmo.xml", doc.into_bytes()),
        ("A.jpg", b"jpeg of A".to_vec()),
        ("B.jpg", b"jpeg of B".to_vec()),
    ]));
    let report = run(&importer).await;
    assert_eq!(
        (report.inserted, report.images_stored, report.images_failed),
        (2, 2, 0),
        "{:?}",
        report.errors
    );
    let images = records
        .listing_images(
            &JobName::parse("oi-feed").unwrap(),
            &ExternalId::parse("A").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(images.len(), 1);
    assert!(
        images[0]
            .url
            .as_str()
            .starts_with("stored:oi-feed/delivered/"),
        "{}",
        images[0].url.as_str()
    );
    assert_eq!(images[0].status, ImageStatus::Stored);
    let key = images[0].stored_key.clone().unwrap();
    assert!(
        key.starts_with("oi-feed/A/"),
        "the listing's own copy: {key}"
    );
    assert_eq!(
        storage.get(&key).await.unwrap(),
        Some(b"jpeg of A".to_vec())
    );
    assert_eq!(images[0].content_type.as_deref(), Some("image/jpeg"));

    // The same delivery again: nothing changes, nothing is stored again.
    let again = run(&importer).await;
    assert_eq!((again.unchanged, again.images_stored), (2, 0));
}
