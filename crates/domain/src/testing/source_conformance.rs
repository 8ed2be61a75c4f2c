//! The conformance suite of [`SourceStore`], run by every implementation through
//! [`source_store_conformance!`](crate::source_store_conformance) against a fresh store.

use chrono::Duration;

use super::conformance::t0;
use crate::{
    AuditOutcome, AuditQuery, Error, ExecutionStore, JobName, Setting, SourceChange, SourceSpec,
    SourceStore, SourceWrite,
};

/// Gives a test its source store and the execution store its audit entries go to.
pub trait SourceFixture {
    /// The store under test.
    fn sources(&self) -> &dyn SourceStore;
    /// Where its audit entries are read.
    fn audit(&self) -> &dyn ExecutionStore;
}

impl SourceFixture for super::InMemorySourceStore {
    fn sources(&self) -> &dyn SourceStore {
        self
    }
    fn audit(&self) -> &dyn ExecutionStore {
        super::InMemorySourceStore::audit(self)
    }
}

/// Expands to one `#[test]` per source-store conformance case (see
/// [`execution_store_conformance!`](crate::execution_store_conformance) for the arguments).
#[macro_export]
macro_rules! source_store_conformance {
    (run = $run:path, store = $make:expr) => {
        $crate::source_store_conformance!(@cases $run, $make;
            a_new_catalog_has_no_revision_and_is_seeded_once, concurrent_seeds_seed_once,
            names_are_unique_and_sources_keep_their_creation_order,
            updates_check_and_bump_the_version, deletes_check_the_version,
            an_emptied_catalog_is_never_seeded_again, specs_and_sealed_credentials_round_trip,
            every_change_is_audited);
    };
    (@cases $run:path, $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $run(async {
                    let Some(fixture) = $make.await else { return };
                    let store = $crate::testing::source_conformance::SourceFixture::sources(&fixture);
                    let audit = $crate::testing::source_conformance::SourceFixture::audit(&fixture);
                    $crate::testing::source_conformance::$case(store, audit).await;
                });
            }
        )*
    };
}

fn name(text: &str) -> JobName {
    JobName::parse(text).expect("a valid name")
}

/// A source named `text` reading `url`.
pub fn write(text: &str, url: &str) -> SourceWrite {
    SourceWrite {
        name: name(text),
        spec: SourceSpec {
            name: text.to_owned(),
            url: url.to_owned(),
            ..SourceSpec::default()
        },
        enabled: true,
        sealed_credentials: None,
    }
}

/// A change by `actor` at `t0 + seconds`.
pub fn change(actor: &str, action: &str, seconds: i64) -> SourceChange {
    SourceChange {
        at: t0() + Duration::seconds(seconds),
        actor: actor.to_owned(),
        remote_addr: Some("127.0.0.1".to_owned()),
        action: action.to_owned(),
        detail: Some(format!("{action} by {actor}")),
    }
}

fn names(sources: &[crate::StoredSource]) -> Vec<String> {
    sources.iter().map(|s| s.name.to_string()).collect()
}

/// A catalog has no revision until seeded; a seed writes once, in order.
pub async fn a_new_catalog_has_no_revision_and_is_seeded_once(
    store: &dyn SourceStore,
    _audit: &dyn ExecutionStore,
) {
    assert_eq!(store.catalog_revision().await.unwrap(), None);
    assert!(store.sources().await.unwrap().is_empty());
    let seed = [write("zeta", "z.xml"), write("alpha", "a.xml")];
    assert!(
        store
            .seed_sources(&seed, &change("system:seed", "source.seed", 0))
            .await
            .unwrap()
    );
    let revision = store.catalog_revision().await.unwrap().expect("seeded");
    assert_eq!(names(&store.sources().await.unwrap()), ["zeta", "alpha"]);
    assert!(
        !store
            .seed_sources(
                &[write("other", "o.xml")],
                &change("system:seed", "source.seed", 1)
            )
            .await
            .unwrap(),
        "a seeded catalog is not seeded again"
    );
    assert_eq!(store.catalog_revision().await.unwrap(), Some(revision));
    assert_eq!(store.sources().await.unwrap().len(), 2);
}

/// Two replicas seeding at once: one seeds, the other writes nothing.
pub async fn concurrent_seeds_seed_once(store: &dyn SourceStore, _audit: &dyn ExecutionStore) {
    let (a, b) = (
        [write("one", "1.xml"), write("two", "2.xml")],
        [write("one", "1.xml"), write("two", "2.xml")],
    );
    let (ca, cb) = (
        change("system:seed", "source.seed", 0),
        change("system:seed", "source.seed", 0),
    );
    let (first, second) = futures::join!(store.seed_sources(&a, &ca), store.seed_sources(&b, &cb));
    let seeded = [first, second]
        .into_iter()
        .filter(|r| matches!(r, Ok(true)))
        .count();
    assert_eq!(seeded, 1);
    assert_eq!(names(&store.sources().await.unwrap()), ["one", "two"]);
}

/// Names are unique; the list keeps creation order; each change moves the revision.
pub async fn names_are_unique_and_sources_keep_their_creation_order(
    store: &dyn SourceStore,
    _audit: &dyn ExecutionStore,
) {
    let b = store
        .create_source(
            &write("b-feed", "b.xml"),
            &change("ops", "source.create", 0),
        )
        .await
        .unwrap();
    assert_eq!((b.version, b.enabled), (1, true));
    assert_eq!((b.created_by.as_str(), b.created_at), ("ops", t0()));
    let first = store.catalog_revision().await.unwrap().expect("changed");
    store
        .create_source(
            &write("a-feed", "a.xml"),
            &change("ops", "source.create", 1),
        )
        .await
        .unwrap();
    let second = store.catalog_revision().await.unwrap().expect("changed");
    assert!(second > first);
    let taken = store
        .create_source(
            &write("a-feed", "x.xml"),
            &change("ops", "source.create", 2),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(taken, Error::SourceExists(ref n) if n.as_str() == "a-feed"),
        "{taken}"
    );
    assert_eq!(store.catalog_revision().await.unwrap(), Some(second));
    assert_eq!(names(&store.sources().await.unwrap()), ["b-feed", "a-feed"]);
    let a = store
        .source(&name("a-feed"))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(a.spec.url, "a.xml");
    assert!(store.source(&name("none")).await.unwrap().is_none());
}

/// An update names the version it read (or none); a stale one changes nothing.
pub async fn updates_check_and_bump_the_version(
    store: &dyn SourceStore,
    _audit: &dyn ExecutionStore,
) {
    store
        .create_source(&write("feed", "a.xml"), &change("ops", "source.create", 0))
        .await
        .unwrap();
    let mut next = write("feed", "b.xml");
    next.enabled = false;
    let updated = store
        .update_source(&next, Some(1), &change("lead", "source.update", 5))
        .await
        .unwrap();
    assert_eq!((updated.version, updated.enabled), (2, false));
    assert_eq!(updated.spec.url, "b.xml");
    assert_eq!(
        (updated.created_by.as_str(), updated.created_at),
        ("ops", t0())
    );
    assert_eq!(
        (updated.updated_by.as_str(), updated.updated_at),
        ("lead", t0() + Duration::seconds(5))
    );
    let revision = store.catalog_revision().await.unwrap();
    let stale = store
        .update_source(
            &write("feed", "c.xml"),
            Some(1),
            &change("ops", "source.update", 6),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            stale,
            Error::SourceVersionMismatch {
                expected: 1,
                current: 2,
                ..
            }
        ),
        "{stale}"
    );
    assert_eq!(store.catalog_revision().await.unwrap(), revision);
    assert_eq!(
        store.source(&name("feed")).await.unwrap().unwrap().spec.url,
        "b.xml"
    );
    let any = store
        .update_source(
            &write("feed", "d.xml"),
            None,
            &change("ops", "source.update", 7),
        )
        .await
        .unwrap();
    assert_eq!(any.version, 3);
    let missing = store
        .update_source(
            &write("gone", "d.xml"),
            None,
            &change("ops", "source.update", 8),
        )
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::SourceNotFound(_)), "{missing}");
}

/// A delete gives what was stored; a stale version or a missing source deletes nothing.
pub async fn deletes_check_the_version(store: &dyn SourceStore, _audit: &dyn ExecutionStore) {
    store
        .create_source(&write("feed", "a.xml"), &change("ops", "source.create", 0))
        .await
        .unwrap();
    let stale = store
        .delete_source(&name("feed"), Some(7), &change("ops", "source.delete", 1))
        .await
        .unwrap_err();
    assert!(
        matches!(stale, Error::SourceVersionMismatch { .. }),
        "{stale}"
    );
    let deleted = store
        .delete_source(&name("feed"), Some(1), &change("ops", "source.delete", 2))
        .await
        .unwrap();
    assert_eq!(deleted.spec.url, "a.xml");
    assert!(store.sources().await.unwrap().is_empty());
    let missing = store
        .delete_source(&name("feed"), None, &change("ops", "source.delete", 3))
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::SourceNotFound(_)), "{missing}");
}

/// A catalog whose sources were all deleted stays empty: the seed is for a new database.
pub async fn an_emptied_catalog_is_never_seeded_again(
    store: &dyn SourceStore,
    _audit: &dyn ExecutionStore,
) {
    store
        .create_source(&write("feed", "a.xml"), &change("ops", "source.create", 0))
        .await
        .unwrap();
    store
        .delete_source(&name("feed"), None, &change("ops", "source.delete", 1))
        .await
        .unwrap();
    assert!(
        !store
            .seed_sources(
                &[write("seed", "s.xml")],
                &change("system:seed", "source.seed", 2)
            )
            .await
            .unwrap()
    );
    assert!(store.sources().await.unwrap().is_empty());
}

/// Every setting of a spec and the sealed bytes come back as written.
pub async fn specs_and_sealed_credentials_round_trip(
    store: &dyn SourceStore,
    _audit: &dyn ExecutionStore,
) {
    let mut source = write("reso-feed", "https://mls.example/odata/Property");
    source.spec.format = Some("reso".into());
    source.spec.schedule = Some("*/15 * * * *".into());
    source.spec.timezone = Some("Europe/Madrid".into());
    source.spec.max_withdraw_fraction = Some(0.25);
    source.spec.timeout = Some(Setting::Text("5m".into()));
    source.spec.retries = Some(Setting::Integer(3));
    source.spec.rate_limit = Some(Setting::Float(2.5));
    source.spec.download_images = Some(Setting::Bool(false));
    source.spec.client_id = Some("client".into());
    source.sealed_credentials = Some(vec![0, 1, 2, 255, 254, 0]);
    store
        .create_source(&source, &change("ops", "source.create", 0))
        .await
        .unwrap();
    let read = store.source(&source.name).await.unwrap().expect("stored");
    assert_eq!(read.spec, source.spec);
    assert_eq!(read.sealed_credentials, source.sealed_credentials);
    let mut cleared = source.clone();
    cleared.sealed_credentials = None;
    let updated = store
        .update_source(&cleared, None, &change("ops", "source.update", 1))
        .await
        .unwrap();
    assert_eq!(updated.sealed_credentials, None);
}

/// Each change writes its audit entry: actor, address, action, the source, the detail.
pub async fn every_change_is_audited(store: &dyn SourceStore, audit: &dyn ExecutionStore) {
    store
        .seed_sources(
            &[write("seeded", "s.xml")],
            &change("system:seed", "source.seed", 0),
        )
        .await
        .unwrap();
    store
        .create_source(&write("feed", "a.xml"), &change("ops", "source.create", 1))
        .await
        .unwrap();
    store
        .update_source(
            &write("feed", "b.xml"),
            None,
            &change("ops", "source.update", 2),
        )
        .await
        .unwrap();
    store
        .delete_source(&name("feed"), None, &change("ops", "source.delete", 3))
        .await
        .unwrap();
    // A refused change writes nothing here (the API audits refusals itself).
    let _ = store
        .delete_source(&name("feed"), None, &change("ops", "source.delete", 4))
        .await;
    let page = audit.audit_log(&AuditQuery::default()).await.unwrap();
    let actions: Vec<(&str, &str, Option<&str>)> = page
        .entries
        .iter()
        .rev()
        .map(|e| {
            (
                e.action.as_str(),
                e.actor.as_str(),
                e.job_name.as_ref().map(JobName::as_str),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("source.seed", "system:seed", Some("seeded")),
            ("source.create", "ops", Some("feed")),
            ("source.update", "ops", Some("feed")),
            ("source.delete", "ops", Some("feed")),
        ]
    );
    let last = &page.entries[0];
    assert_eq!(last.outcome, AuditOutcome::Accepted);
    assert_eq!(last.remote_addr.as_deref(), Some("127.0.0.1"));
    assert_eq!(last.detail.as_deref(), Some("source.delete by ops"));
    assert_eq!(last.at, t0() + Duration::seconds(3));
}
