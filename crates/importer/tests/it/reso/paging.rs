//! Paging through `@odata.nextLink`, the watermark (stored after each page, used by the next
//! run, kept at the last stored page when a later page fails), and delete flags.

use std::sync::Arc;

use propimport_domain::testing::InMemoryListingStore;
use propimport_domain::{ListingStatus, ListingStore};
use propimport_importer::formats::Stage;
use propimport_importer::{ImportError, ImportOutcome};
use serde_json::json;
use wiremock::matchers::{bearer_token, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{
    RESOURCE, at, importer, name, ok, page, records, run, serve_three_pages, source, stored,
    watermark,
};
use crate::recording::Recording;

#[tokio::test]
async fn pages_follow_next_links_and_the_watermark_feeds_the_next_run() {
    let server = MockServer::start().await;
    serve_three_pages(&server).await;
    let store = Arc::new(Recording::default());
    let importer = importer(source(&server), store.clone());
    let report = run(&importer).await.unwrap();
    assert_eq!(
        (
            report.total,
            report.inserted,
            report.failed,
            report.withdrawn
        ),
        (6, 5, 1, 0)
    );
    assert_eq!(report.outcome, ImportOutcome::Complete);
    let failure = &report.errors.items[0];
    assert_eq!(
        (failure.external_id.as_deref(), failure.stage.as_str()),
        (Some("K-102"), Stage::Validate.as_str())
    );
    assert!(
        failure.message.starts_with("page 1, record 3: ListPrice"),
        "{}",
        failure.message
    );
    assert_eq!(
        store.events(),
        [
            "upsert K-100 K-101",
            "retry later K-102",
            "watermark 2024-05-01T12:00:00Z",
            "upsert K-103 K-104",
            "watermark 2024-05-02T09:00:00Z",
            "upsert K-105",
            "watermark 2024-05-03T07:30:00.250Z",
        ],
        "each page is stored, and its failed keys kept, before the watermark moves to its latest change (failed records included)"
    );

    server.reset().await;
    // K-102 failed behind the watermark: the next run asks for it by key (see `retry.rs`).
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param("$filter", "(ListingKey eq 'K-102')"))
        .respond_with(ok(records(json!([]), None)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param(
            "$filter",
            "ModificationTimestamp ge 2024-05-03T07:30:00.250Z",
        ))
        .and(query_param("$orderby", "ModificationTimestamp asc"))
        .respond_with(ok(records(json!([]), None)))
        .expect(1)
        .mount(&server)
        .await;
    // No changes since the watermark: an incremental run with nothing to do, not an empty
    // feed (which only fails snapshots).
    let again = run(&importer).await.unwrap();
    assert_eq!((again.total, again.withdrawn), (0, 0));
    assert_eq!(again.outcome, ImportOutcome::Complete);
    assert_eq!(
        store.events()[7..],
        ["retried K-102"],
        "nothing stored, watermark unchanged; the key the server no longer has is cleared"
    );
    assert!(
        !store.events().iter().any(|e| e.contains("unseen")),
        "an incremental source never withdraws absent listings"
    );
}

#[tokio::test]
async fn a_failing_second_page_keeps_the_first_and_its_watermark() {
    for broken in [
        ResponseTemplate::new(500),
        ResponseTemplate::new(200).set_body_string("{\"value\": [{\"ListingKey\": \"K-103\","),
    ] {
        let server = MockServer::start().await;
        Mock::given(path(RESOURCE))
            .and(query_param_is_missing("$skiptoken"))
            .respond_with(ok(page(&server, "page-1.json")))
            .mount(&server)
            .await;
        Mock::given(path(RESOURCE))
            .and(query_param("$skiptoken", "p2"))
            .respond_with(broken)
            .mount(&server)
            .await;
        let store = Arc::new(InMemoryListingStore::new());
        let mut config = source(&server);
        config.http.bearer_token = Some("s3cret-token".into());
        let importer = importer(config, store.clone());
        let err = run(&importer).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("reso-mls") && text.contains(RESOURCE),
            "{text}"
        );
        assert!(
            !text.contains("s3cret") && !text.contains("skiptoken"),
            "no secrets or query: {text}"
        );
        match &err {
            ImportError::Fetch { .. } => assert!(
                text.contains("500 Internal Server Error after 2 attempt(s)"),
                "{text}"
            ),
            ImportError::Feed { .. } => assert!(
                text.contains("page 2") && text.contains("truncated"),
                "{text}"
            ),
            other => panic!("unexpected error {other}"),
        }
        assert_eq!(store.count_active(&name()).await.unwrap(), 2);
        assert_eq!(
            watermark(&*store).await,
            Some(at("2024-05-01T12:00:00Z")),
            "the watermark stays at page 1's latest change"
        );

        server.reset().await;
        Mock::given(path(RESOURCE))
            .and(query_param(
                "$filter",
                "ModificationTimestamp ge 2024-05-01T12:00:00Z",
            ))
            .and(bearer_token("s3cret-token"))
            .respond_with(ok(page(&server, "page-3.json")))
            .expect(1)
            .mount(&server)
            .await;
        let resumed = run(&importer).await.unwrap();
        assert_eq!(resumed.inserted, 1);
        assert_eq!(
            watermark(&*store).await,
            Some(at("2024-05-03T07:30:00.25Z"))
        );
    }
}

#[tokio::test]
async fn delete_flags_withdraw_and_nothing_else_does() {
    let server = MockServer::start().await;
    let active = |key: &str, minute: u32| json!({"ListingKey": key, "ListPrice": 100, "StandardStatus": "Active", "ModificationTimestamp": format!("2024-06-01T00:{minute:02}:00Z")});
    Mock::given(path(RESOURCE))
        .and(query_param_is_missing("$filter"))
        .respond_with(ok(records(
            json!([
                active("A", 1),
                active("B", 2),
                active("C", 3),
                active("D", 4)
            ]),
            None,
        )))
        .mount(&server)
        .await;
    Mock::given(path(RESOURCE))
        .and(query_param(
            "$filter",
            "ModificationTimestamp ge 2024-06-01T00:04:00Z",
        ))
        .respond_with(ok(records(
            json!([
                {"ListingKey": "A", "MlgCanView": false, "ListPrice": null, "ModificationTimestamp": "2024-06-02T00:00:00Z"},
                {"ListingKey": "B", "StandardStatus": "Withdrawn", "ModificationTimestamp": "2024-06-02T00:01:00Z"},
                {"ListingId": "Z", "StandardStatus": "Closed", "ModificationTimestamp": "2024-06-02T00:02:00Z"},
                {"ListingKey": "C", "StandardStatus": "Pending", "MlgCanView": "true", "ListPrice": 100, "ModificationTimestamp": "2024-06-02T00:03:00Z"},
            ]),
            None,
        )))
        .mount(&server)
        .await;
    let store = Arc::new(InMemoryListingStore::new());
    let importer = importer(source(&server), store.clone());
    assert_eq!(run(&importer).await.unwrap().inserted, 4);
    let report = run(&importer).await.unwrap();
    assert_eq!(
        (
            report.total,
            report.updated,
            report.withdrawn,
            report.failed
        ),
        (4, 1, 2, 0),
        "A and B withdrawn, Z was never stored, C (pending) updated"
    );
    for (key, status) in [
        ("A", ListingStatus::Withdrawn),
        ("B", ListingStatus::Withdrawn),
        ("C", ListingStatus::Active),
        ("D", ListingStatus::Active),
    ] {
        assert_eq!(stored(&*store, key).await.status, status, "{key}");
    }
    assert_eq!(watermark(&*store).await, Some(at("2024-06-02T00:03:00Z")));
}
