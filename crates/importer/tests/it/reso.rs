//! The RESO Web API source against a local server: field mapping as real payloads send it
//! (`mapping`), paging through `@odata.nextLink`, the watermark and delete flags (`paging`),
//! OAuth2 client credentials, `Retry-After` and the request-rate limit (`http`). This file
//! holds what they share.

mod http;
mod mapping;
mod mls_record;
mod paging;
mod progress;

mod retry;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::{
    CancelToken, ExternalId, JobName, ListingStore, ProgressHandle, StoredListing,
};
use propimport_importer::{
    FeedFormat, ImportError, ImportReport, Importer, Location, SourceConfig,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fixture;

const RESOURCE: &str = "/odata/Property";

fn name() -> JobName {
    JobName::parse("reso-mls").unwrap()
}

fn id(text: &str) -> ExternalId {
    ExternalId::parse(text).unwrap()
}

fn source(server: &MockServer) -> SourceConfig {
    let url = format!("{}{RESOURCE}", server.uri());
    let mut config = SourceConfig::new(name(), FeedFormat::RESO, Location::parse(&url).unwrap());
    config.http.retry.max_attempts = Some(2);
    // Backoff waits of 10 ms: the local server answers at once (a `Retry-After` still waits).
    config.http.retry.first_delay = Duration::from_millis(10);
    config.http.read_timeout = Duration::from_secs(5);
    config.reso.page_size = NonZeroU32::new(3).unwrap();
    config
}

fn importer(config: SourceConfig, store: Arc<dyn ListingStore>) -> Importer {
    Importer::builder(config, store).build().unwrap()
}

async fn run(importer: &Importer) -> Result<ImportReport, ImportError> {
    importer
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await
}

/// A fixture page with `{{base}}` replaced by the server's address.
fn page(server: &MockServer, name: &str) -> Value {
    let text = String::from_utf8(fixture(&format!("reso/{name}"))).unwrap();
    serde_json::from_str(&text.replace("{{base}}", &server.uri())).unwrap()
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// A page of `records` with an optional relative next link.
fn records(records: Value, next: Option<&str>) -> Value {
    let mut page = json!({ "value": records });
    if let Some(next) = next {
        page["@odata.nextLink"] = json!(next);
    }
    page
}

/// Serves the three fixture pages: the first without a watermark filter, the others by
/// their skip token.
async fn serve_three_pages(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param_is_missing("$skiptoken"))
        .and(query_param_is_missing("$filter"))
        .and(query_param("$orderby", "ModificationTimestamp asc"))
        .and(query_param("$top", "3"))
        .respond_with(ok(page(server, "page-1.json")))
        .mount(server)
        .await;
    for (token, file) in [("p2", "page-2.json"), ("p3", "page-3.json")] {
        Mock::given(method("GET"))
            .and(path(RESOURCE))
            .and(query_param("$skiptoken", token))
            .respond_with(ok(page(server, file)))
            .mount(server)
            .await;
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

async fn watermark(store: &dyn ListingStore) -> Option<DateTime<Utc>> {
    store
        .source_state(&name())
        .await
        .unwrap()
        .and_then(|s| s.watermark)
}

async fn stored(store: &dyn ListingStore, key: &str) -> StoredListing {
    store
        .get_listing(&name(), &id(key))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{key} is stored"))
}
