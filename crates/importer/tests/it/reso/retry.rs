//! Records that fail to map are not left behind the watermark: their keys are kept, and each
//! run asks for them again by key until they map (stored, key cleared), keep failing (in the
//! run's errors again) or are gone from the server (key cleared).

use std::sync::Arc;

use propimport_domain::ListingStore;
use propimport_domain::testing::InMemoryListingStore;
use propimport_importer::ImportOutcome;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{RESOURCE, importer, name, ok, records, run, source, stored};
use crate::recording::Recording;

/// Serves `body` for the run's page (the watermark query), and `by_key` for requests whose
/// `$filter` is `filter`.
async fn serve(server: &MockServer, watermark_page: Value, filter: &str, by_key: Value) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param("$orderby", "ModificationTimestamp asc"))
        .respond_with(ok(watermark_page))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param("$filter", filter))
        .and(query_param_is_missing("$orderby"))
        .respond_with(ok(by_key))
        .expect(1)
        .mount(server)
        .await;
}

fn record(key: Value, price: Value, modified: &str) -> Value {
    let mut record = json!({"ListPrice": price, "ModificationTimestamp": modified});
    if let Value::Object(key) = key {
        record.as_object_mut().unwrap().extend(key);
    }
    record
}

async fn kept_keys(store: &dyn ListingStore) -> Vec<(String, String, String)> {
    store
        .retry_keys(&name())
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.external_id.as_str().to_owned(), k.key_field, k.last_error))
        .collect()
}

#[tokio::test]
async fn a_failed_record_is_retried_by_key_until_it_maps() {
    let server = MockServer::start().await;
    let page = records(
        json!([
            record(
                json!({"ListingKey": "K-1"}),
                json!(100000),
                "2024-05-01T10:00:00Z"
            ),
            record(
                json!({"ListingKey": "K-2"}),
                json!("ask"),
                "2024-05-01T11:00:00Z"
            ),
            record(
                json!({"ListingKeyNumeric": 3003}),
                json!("ask"),
                "2024-05-01T12:00:00Z"
            ),
            record(
                json!({"ListingKey": "K-4"}),
                json!("ask"),
                "2024-05-01T13:00:00Z"
            ),
        ]),
        None,
    );
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .respond_with(ok(page))
        .mount(&server)
        .await;
    let store = Arc::new(Recording::default());
    let importer = importer(source(&server), store.clone());
    let first = run(&importer).await.unwrap();
    assert_eq!((first.total, first.inserted, first.failed), (4, 1, 3));
    let kept = kept_keys(&*store).await;
    assert_eq!(
        kept.iter()
            .map(|(id, field, _)| (id.as_str(), field.as_str()))
            .collect::<Vec<_>>(),
        [
            ("3003", "ListingKeyNumeric"),
            ("K-2", "ListingKey"),
            ("K-4", "ListingKey")
        ]
    );
    assert!(kept[1].2.contains("ListPrice"), "{}", kept[1].2);

    // Second run: nothing new past the watermark; K-2 now maps, K-4 still fails, 3003 is
    // asked by its numeric key and still fails.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param("$orderby", "ModificationTimestamp asc"))
        .and(query_param(
            "$filter",
            "ModificationTimestamp ge 2024-05-01T13:00:00Z",
        ))
        .respond_with(ok(records(json!([]), None)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param(
            "$filter",
            "(ListingKey eq 'K-2' or ListingKey eq 'K-4')",
        ))
        .and(query_param("$top", "2"))
        .respond_with(ok(records(
            json!([
                record(
                    json!({"ListingKey": "K-2"}),
                    json!("250,000"),
                    "2024-05-02T10:00:00Z"
                ),
                record(
                    json!({"ListingKey": "K-4"}),
                    json!("ask"),
                    "2024-05-02T10:00:00Z"
                ),
            ]),
            None,
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param("$filter", "(ListingKeyNumeric eq 3003)"))
        .respond_with(ok(records(
            json!([record(
                json!({"ListingKeyNumeric": "3003"}),
                json!("ask"),
                "2024-05-02T10:00:00Z"
            )]),
            None,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let second = run(&importer).await.unwrap();
    assert_eq!(second.outcome, ImportOutcome::Complete);
    assert_eq!((second.total, second.inserted, second.failed), (3, 1, 2));
    let failed: Vec<_> = second
        .errors
        .items
        .iter()
        .map(|e| e.external_id.clone().unwrap())
        .collect();
    assert_eq!(
        failed,
        ["K-4", "3003"],
        "a record that still fails is in the run's errors again"
    );
    assert!(
        second.errors.items[0]
            .message
            .starts_with("retried record 2: ListPrice"),
        "{}",
        second.errors.items[0].message
    );
    let k2 = stored(&*store, "K-2").await.listing;
    assert_eq!(
        k2.source_modified_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2024-05-02T10:00:00+00:00")
    );
    assert_eq!(
        kept_keys(&*store)
            .await
            .iter()
            .map(|(id, ..)| id.as_str())
            .collect::<Vec<_>>(),
        ["3003", "K-4"]
    );
    assert_eq!(
        super::watermark(&*store)
            .await
            .map(|w| w.to_rfc3339())
            .as_deref(),
        Some("2024-05-01T13:00:00+00:00"),
        "records fetched by key do not move the watermark"
    );

    // Third run: K-4 is gone from the server, 3003 maps after a change that comes with the
    // run's own pages.
    serve(
        &server,
        records(
            json!([record(
                json!({"ListingKeyNumeric": 3003}),
                json!(99000),
                "2024-05-03T10:00:00Z"
            )]),
            None,
        ),
        "(ListingKey eq 'K-4')",
        records(json!([]), None),
    )
    .await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param("$filter", "(ListingKeyNumeric eq 3003)"))
        .respond_with(ok(records(
            json!([record(
                json!({"ListingKeyNumeric": 3003}),
                json!("ask"),
                "2024-05-02T10:00:00Z"
            )]),
            None,
        )))
        .mount(&server)
        .await;
    let third = run(&importer).await.unwrap();
    assert_eq!((third.inserted, third.failed), (1, 1));
    assert!(
        kept_keys(&*store).await.is_empty(),
        "{:?}",
        kept_keys(&*store).await
    );
    assert_eq!(
        stored(&*store, "3003").await.listing.external_id.as_str(),
        "3003"
    );
    assert!(store.events().iter().any(|e| e == "retried K-4"));
}

#[tokio::test]
async fn keys_are_kept_when_the_retry_request_fails_or_is_ignored() {
    let server = MockServer::start().await;
    let store = Arc::new(InMemoryListingStore::new());
    let importer = importer(source(&server), store.clone());
    let page = records(
        json!([record(
            json!({"ListingKey": "K-9"}),
            json!("ask"),
            "2024-05-01T10:00:00Z"
        )]),
        None,
    );
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .respond_with(ok(page.clone()))
        .mount(&server)
        .await;
    assert_eq!(run(&importer).await.unwrap().failed, 1);

    // A server that cannot answer the request by key: the run goes on, the key stays.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param("$filter", "(ListingKey eq 'K-9')"))
        .respond_with(ResponseTemplate::new(400))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param("$orderby", "ModificationTimestamp asc"))
        .respond_with(ok(records(json!([]), None)))
        .mount(&server)
        .await;
    let report = run(&importer).await.unwrap();
    assert_eq!((report.outcome, report.total), (ImportOutcome::Complete, 0));
    assert_eq!(kept_keys(&*store).await.len(), 1);

    // A server that ignores the filter and answers with other records: nothing is taken
    // from that answer and the key stays.
    serve(
        &server,
        records(json!([]), None),
        "(ListingKey eq 'K-9')",
        records(
            json!([record(
                json!({"ListingKey": "OTHER"}),
                json!(1),
                "2024-01-01T00:00:00Z"
            )]),
            None,
        ),
    )
    .await;
    let report = run(&importer).await.unwrap();
    assert_eq!(report.total, 0);
    assert_eq!(kept_keys(&*store).await.len(), 1);
    assert!(
        store
            .get_listing(&name(), &super::id("OTHER"))
            .await
            .unwrap()
            .is_none()
    );
}
