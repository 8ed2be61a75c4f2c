//! The image stage on the real stores (SQLite and PostgreSQL) with images in a local folder,
//! served by a local HTTP server: stored once, not downloaded again, and a failing image server
//! fails no listing and is retried on the next run.

use std::sync::Arc;

use propimport_domain::{CancelToken, JobName, ListingImageStore, ListingStore, ProgressHandle};
use propimport_importer::{
    FeedFormat, ImageStorage, ImportReport, Importer, Location, SourceConfig,
};
use propimport_persistence::testing::TestDatabase;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::rt;

fn listing(id: &str, images: &[String]) -> String {
    serde_json::json!({
        "externalId": id,
        "transaction": "sale",
        "price": {"kind": "amount", "amount": {"minor": 10_000_000, "currency": "EUR"}},
        "propertyType": "apartment",
        "address": {"country": "Spain", "town": "Alicante"},
        "texts": {"en": {"title": format!("Flat {id}")}},
        "images": images,
    })
    .to_string()
}

async fn import(
    fixture: &TestDatabase,
    feed: &std::path::Path,
    storage: &ImageStorage,
) -> ImportReport {
    let mut config = SourceConfig::new(
        JobName::parse("images-e2e").unwrap(),
        FeedFormat::JSON,
        Location::File(feed.to_owned()),
    );
    config.http.retry.max_attempts = Some(1);
    let listings: Arc<dyn ListingStore> = Arc::new(fixture.listing_store().clone());
    let images: Arc<dyn ListingImageStore> = Arc::new(fixture.image_store().clone());
    Importer::builder(config, listings)
        .images(images, storage.clone())
        .image_settings(propimport_importer::ImageSettings {
            allowed_hosts: vec!["127.0.0.1".into()],
            ..Default::default()
        })
        .build()
        .unwrap()
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await
        .unwrap()
}

async fn images_stored_once(fixture: TestDatabase) {
    let server = MockServer::start().await;
    for name in ["a.jpg", "b.jpg"] {
        Mock::given(method("GET"))
            .and(path(format!("/img/{name}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "image/jpeg")
                    .set_body_bytes(format!("jpeg bytes of {name}").into_bytes()),
            )
            .expect(1)
            .named(name)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/img/broken.jpg"))
        .respond_with(ResponseTemplate::new(500))
        .expect(2)
        .named("broken")
        .mount(&server)
        .await;
    let url = |n: &str| format!("{}/img/{n}", server.uri());
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.ndjson");
    std::fs::write(
        &feed,
        format!(
            "{}\n{}\n",
            listing("IMG-1", &[url("a.jpg"), url("b.jpg")]),
            listing("IMG-2", &[url("broken.jpg")])
        ),
    )
    .unwrap();
    let storage = ImageStorage::folder(dir.path().join("images")).unwrap();

    let first = import(&fixture, &feed, &storage).await;
    assert_eq!((first.inserted, first.failed), (2, 0), "{first:?}");
    assert_eq!(
        (first.images_stored, first.images_failed),
        (2, 1),
        "{first:?}"
    );
    let files = walk(&dir.path().join("images"));
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files.iter().all(|f| f.contains("images-e2e/IMG-1/")),
        "{files:?}"
    );

    let second = import(&fixture, &feed, &storage).await;
    assert_eq!((second.unchanged, second.failed), (2, 0), "{second:?}");
    assert_eq!(
        (second.images_stored, second.images_failed),
        (0, 1),
        "{second:?}"
    );
    // The mocks' expectations: a and b fetched once in all, broken tried on both runs.
    server.verify().await;
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn images_on_sqlite() {
    rt().block_on(async { images_stored_once(TestDatabase::sqlite().await).await });
}

#[test]
fn images_on_postgres() {
    rt().block_on(async {
        if let Some(fixture) = TestDatabase::postgres().await {
            images_stored_once(fixture).await;
        }
    });
}
