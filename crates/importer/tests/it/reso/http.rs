//! HTTP behaviour of RESO sources: OAuth2 client credentials (fetched once, kept, renewed
//! after a 401), `Retry-After` on 429, and the request-rate limit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use propimport_domain::testing::InMemoryListingStore;
use propimport_importer::{Importer, OAuthClientCredentials, RateLimit};
use serde_json::json;
use wiremock::matchers::{
    bearer_token, body_string_contains, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{RESOURCE, importer, ok, records, run, serve_three_pages, source};

#[tokio::test]
async fn oauth_token_is_fetched_once_and_renewed_after_a_401() {
    let server = MockServer::start().await;
    let token = |value: &str| {
        ok(json!({"access_token": value, "token_type": "Bearer", "expires_in": "3600"}))
    };
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=partner"))
        .and(body_string_contains("client_secret=hush"))
        .and(body_string_contains("scope=api"))
        .respond_with(token("t1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token("t2"))
        .mount(&server)
        .await;
    let listing = |key: &str| json!([{"ListingKey": key, "ListPrice": 1, "ModificationTimestamp": "2024-01-01T00:00:00Z"}]);
    Mock::given(path(RESOURCE))
        .and(query_param_is_missing("$skiptoken"))
        .and(bearer_token("t1"))
        .respond_with(ok(records(listing("A"), Some("Property?$skiptoken=p2"))))
        .mount(&server)
        .await;
    Mock::given(path(RESOURCE))
        .and(query_param("$skiptoken", "p2"))
        .and(bearer_token("t1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(path(RESOURCE))
        .and(query_param("$skiptoken", "p2"))
        .and(bearer_token("t2"))
        .respond_with(ok(records(listing("B"), Some("Property?$skiptoken=p3"))))
        .mount(&server)
        .await;
    Mock::given(path(RESOURCE))
        .and(query_param("$skiptoken", "p3"))
        .and(bearer_token("t2"))
        .respond_with(ok(records(listing("C"), None)))
        .mount(&server)
        .await;
    Mock::given(path(RESOURCE))
        .and(query_param_is_missing("$skiptoken"))
        .and(bearer_token("t2"))
        .respond_with(ok(records(json!([]), None)))
        .mount(&server)
        .await;
    let mut config = source(&server);
    config.reso.oauth = Some(OAuthClientCredentials {
        token_url: format!("{}/oauth/token", server.uri()).parse().unwrap(),
        client_id: "partner".into(),
        client_secret: "hush".into(),
        scope: Some("api".into()),
    });
    let store = Arc::new(InMemoryListingStore::new());
    let importer = importer(config, store.clone());
    let report = run(&importer).await.unwrap();
    assert_eq!(report.inserted, 3);
    let token_requests = || async {
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == "/oauth/token")
            .count()
    };
    assert_eq!(
        token_requests().await,
        2,
        "one token, then one after the 401"
    );
    run(&importer).await.unwrap();
    assert_eq!(
        token_requests().await,
        2,
        "the renewed token is kept between runs"
    );

    server.reset().await;
    Mock::given(path("/oauth/token"))
        .respond_with(token("t3"))
        .mount(&server)
        .await;
    Mock::given(path(RESOURCE))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let err = run(&importer).await.unwrap_err().to_string();
    assert!(err.contains("401"), "a second 401 fails the run: {err}");
    assert!(!err.contains("hush"), "{err}");
    assert_eq!(token_requests().await, 1, "renewed once, not in a loop");

    server.reset().await;
    Mock::given(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(400).set_body_string("invalid_client"))
        .mount(&server)
        .await;
    let fresh = Importer::builder(importer.source().clone(), store)
        .build()
        .unwrap();
    let err = run(&fresh).await.unwrap_err().to_string();
    assert!(
        err.contains("/oauth/token answered 400") && !err.contains("hush"),
        "{err}"
    );
}

#[tokio::test]
async fn a_429_waits_as_retry_after_asks() {
    let server = MockServer::start().await;
    let listing = |key: &str| json!([{"ListingKey": key, "ListPrice": 1}]);
    Mock::given(path(RESOURCE))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(ok(records(listing("A"), Some("Property?$skiptoken=p2"))))
        .mount(&server)
        .await;
    Mock::given(path(RESOURCE))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(RESOURCE))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(ok(records(listing("B"), None)))
        .mount(&server)
        .await;
    let store = Arc::new(InMemoryListingStore::new());
    let started = Instant::now();
    let report = run(&importer(source(&server), store)).await.unwrap();
    assert_eq!(report.inserted, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as asked"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    assert_eq!(
        report.total, 2,
        "records without ModificationTimestamp are stored"
    );
}

#[tokio::test]
async fn the_rate_limit_spaces_requests() {
    let server = MockServer::start().await;
    serve_three_pages(&server).await;
    let mut config = source(&server);
    config.reso.rate_limit = Some(RateLimit::per_second(5.0).unwrap());
    let started = Instant::now();
    run(&importer(config, Arc::new(InMemoryListingStore::new())))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "three requests at 5/s take at least two intervals of 200 ms: {:?}",
        started.elapsed()
    );
}
