//! A RESO run's expected total: the first page's `@odata.count`, shown while the later pages
//! are still being fetched.

use std::sync::Arc;
use std::time::{Duration, Instant};

use propimport_domain::testing::InMemoryListingStore;
use propimport_domain::{CancelToken, ProgressHandle};
use propimport_importer::ImportOutcome;
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer};

use super::{RESOURCE, importer, ok, page, source};

#[tokio::test]
async fn the_first_pages_count_is_the_expected_total() {
    let server = MockServer::start().await;
    let mut first = page(&server, "page-1.json");
    first["@odata.count"] = json!(6);
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param_is_missing("$skiptoken"))
        .and(query_param("$count", "true"))
        .respond_with(ok(first))
        .mount(&server)
        .await;
    for (token, file, delay) in [("p2", "page-2.json", 1500), ("p3", "page-3.json", 0)] {
        Mock::given(method("GET"))
            .and(path(RESOURCE))
            .and(query_param("$skiptoken", token))
            .respond_with(ok(page(&server, file)).set_delay(Duration::from_millis(delay)))
            .mount(&server)
            .await;
    }
    let importer = importer(source(&server), Arc::new(InMemoryListingStore::new()));
    let progress = ProgressHandle::new();
    let run = {
        let progress = progress.clone();
        tokio::spawn(async move { importer.run(&CancelToken::new(), &progress).await })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while progress.get().expected_total != Some(6) {
        assert!(
            Instant::now() < deadline,
            "no expected total: {:?}",
            progress.get()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!run.is_finished(), "the second page is still on its way");
    assert_eq!(progress.get().counts.total_properties, 3);
    let report = run.await.unwrap().unwrap();
    assert_eq!(report.total, 6);
}

#[tokio::test]
async fn a_server_without_count_is_read_without_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param("$count", "true"))
        .respond_with(
            wiremock::ResponseTemplate::new(400).set_body_string("$count is not supported"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param_is_missing("$count"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(ok(page(&server, "page-1.json")))
        .expect(1)
        .mount(&server)
        .await;
    for (token, file) in [("p2", "page-2.json"), ("p3", "page-3.json")] {
        Mock::given(method("GET"))
            .and(path(RESOURCE))
            .and(query_param("$skiptoken", token))
            .respond_with(ok(page(&server, file)))
            .mount(&server)
            .await;
    }
    let importer = importer(source(&server), Arc::new(InMemoryListingStore::new()));
    let progress = ProgressHandle::new();
    let report = importer.run(&CancelToken::new(), &progress).await.unwrap();
    assert_eq!(report.total, 6);
    assert_eq!(report.outcome, ImportOutcome::Complete);
    // Asked once with `$count`, refused, then once without it.
    server.verify().await;
}
