//! A complete snapshot without a single listing record fails the run and withdraws nothing,
//! unless the source allows an empty feed; a feed whose every record fails is not empty.

use std::sync::Arc;

use propimport_domain::testing::InMemoryListingStore;
use propimport_domain::testing::listing_conformance::listing;
use propimport_domain::{CancelToken, JobName, ListingStore, ProgressHandle};
use propimport_importer::{
    FeedFormat, ImportError, ImportOutcome, ImportReport, Importer, Location, SourceConfig,
};

fn name() -> JobName {
    JobName::parse("empty-test").unwrap()
}

/// A feed file in a temporary folder, and a store that already holds `A`, `B` and `C`.
struct Setup {
    dir: tempfile::TempDir,
    store: Arc<InMemoryListingStore>,
}

impl Setup {
    async fn new() -> Self {
        let setup = Self {
            dir: tempfile::tempdir().unwrap(),
            store: Arc::new(InMemoryListingStore::new()),
        };
        let ndjson: String = ["A", "B", "C"]
            .iter()
            .map(|id| serde_json::to_string(&listing(id, 1)).unwrap() + "\n")
            .collect();
        let first = setup
            .run("seed.ndjson", FeedFormat::JSON, &ndjson, |_| {})
            .await
            .unwrap();
        assert_eq!(first.inserted, 3);
        setup
    }

    async fn run(
        &self,
        file: &str,
        format: FeedFormat,
        body: &str,
        adjust: impl FnOnce(&mut SourceConfig),
    ) -> Result<ImportReport, ImportError> {
        let path = self.dir.path().join(file);
        std::fs::write(&path, body).unwrap();
        let mut config = SourceConfig::new(name(), format, Location::File(path));
        adjust(&mut config);
        Importer::builder(config, self.store.clone())
            .build()
            .unwrap()
            .run(&CancelToken::new(), &ProgressHandle::new())
            .await
    }

    async fn active(&self) -> i64 {
        self.store.count_active(&name()).await.unwrap()
    }
}

#[tokio::test]
async fn an_empty_snapshot_fails_the_run_and_withdraws_nothing() {
    let setup = Setup::new().await;
    let cases = [
        (
            "root.xml",
            FeedFormat::KYERO,
            "<?xml version=\"1.0\"?>\n<root/>\n",
        ),
        (
            "header.xml",
            FeedFormat::KYERO,
            "<root><kyero><feed_version>3</feed_version></kyero></root>",
        ),
        ("array.json", FeedFormat::JSON, " [ ] "),
        ("lines.ndjson", FeedFormat::JSON, ""),
        ("blank.ndjson", FeedFormat::JSON, "\n \r\n"),
    ];
    for (file, format, body) in cases {
        // Even with every listing allowed to go, an empty feed withdraws nothing.
        let error = setup
            .run(file, format, body, |c| c.max_withdraw_fraction = 1.0)
            .await
            .unwrap_err();
        assert!(
            matches!(error, ImportError::EmptyFeed { .. }),
            "{file}: {error:?}"
        );
        let text = error.to_string();
        assert!(
            text.contains("source empty-test: the feed holds no listings")
                && text.contains(file)
                && text.contains("nothing was withdrawn")
                && text.contains("allow_empty / IMPORT_SOURCE_ALLOW_EMPTY"),
            "{text}"
        );
        assert_eq!(setup.active().await, 3, "{file}");
    }
}

#[tokio::test]
async fn a_source_that_allows_it_may_be_empty() {
    let setup = Setup::new().await;
    let report = setup
        .run("none.json", FeedFormat::JSON, "[]", |c| {
            c.allow_empty = true
        })
        .await
        .unwrap();
    assert_eq!(report.outcome, ImportOutcome::Complete);
    assert_eq!((report.total, report.withdrawn), (0, 0));
    assert!(
        report
            .withdrawal_blocked
            .as_deref()
            .is_some_and(|w| w.starts_with("3 of 3 active listings (100%)")),
        "the withdrawal limit still holds: {report:?}"
    );
    assert_eq!(setup.active().await, 3);

    let report = setup
        .run("none.xml", FeedFormat::KYERO, "<root/>", |c| {
            c.allow_empty = true;
            c.max_withdraw_fraction = 1.0;
        })
        .await
        .unwrap();
    assert_eq!((report.total, report.withdrawn), (0, 3));
    assert_eq!(setup.active().await, 0);
}

#[tokio::test]
async fn a_feed_whose_every_record_fails_is_not_empty() {
    let setup = Setup::new().await;
    let report = setup
        .run(
            "broken.ndjson",
            FeedFormat::JSON,
            "{\"externalId\": \"A\"}\nnot json\n",
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!((report.total, report.failed), (2, 2));
    assert_eq!(
        report.withdrawn, 0,
        "failed records are seen, never withdrawn"
    );
    assert_eq!(setup.active().await, 3);
}

#[tokio::test]
async fn a_cancelled_run_is_not_an_empty_feed() {
    let setup = Setup::new().await;
    let path = setup.dir.path().join("some.ndjson");
    std::fs::write(&path, serde_json::to_string(&listing("A", 1)).unwrap()).unwrap();
    let config = SourceConfig::new(name(), FeedFormat::JSON, Location::File(path));
    let cancel = CancelToken::new();
    cancel.cancel();
    let report = Importer::builder(config, setup.store.clone())
        .build()
        .unwrap()
        .run(&cancel, &ProgressHandle::new())
        .await
        .unwrap();
    assert_eq!(report.outcome, ImportOutcome::Cancelled);
    assert_eq!(setup.active().await, 3);
}
