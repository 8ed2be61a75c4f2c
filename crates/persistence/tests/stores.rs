//! The SQL stores against real databases: the conformance suites on SQLite and on PostgreSQL,
//! and the migrations' round trip.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use propimport_persistence::testing::TestDatabase;

/// Drives a test future on a multi-threaded runtime, as the service runs.
fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

mod sqlite {
    use super::*;
    propimport_domain::execution_store_conformance!(
        run = super::run,
        store = TestDatabase::sqlite_some()
    );
}

mod postgres {
    use super::*;
    propimport_domain::execution_store_conformance!(
        run = super::run,
        store = TestDatabase::postgres()
    );
}

mod sqlite_listings {
    use super::*;
    propimport_domain::listing_store_conformance!(
        run = super::run,
        store = TestDatabase::sqlite_some()
    );
}

mod postgres_listings {
    use super::*;
    propimport_domain::listing_store_conformance!(
        run = super::run,
        store = TestDatabase::postgres()
    );
}

mod sqlite_images {
    use super::*;
    propimport_domain::listing_image_store_conformance!(
        run = super::run,
        store = TestDatabase::sqlite_some()
    );
}

mod postgres_images {
    use super::*;
    propimport_domain::listing_image_store_conformance!(
        run = super::run,
        store = TestDatabase::postgres()
    );
}

mod migrations {
    use super::*;

    async fn round_trip(fixture: TestDatabase) {
        let db = fixture.database();
        assert_eq!(db.pending_migrations().await.unwrap(), 0);
        assert_eq!(
            db.migrate().await.unwrap(),
            0,
            "migrating twice applies nothing"
        );
        let reverted = db.revert_all_migrations().await.unwrap();
        assert!(reverted >= 1);
        assert_eq!(db.pending_migrations().await.unwrap(), reverted);
        assert_eq!(db.migrate().await.unwrap(), reverted);
        assert_eq!(db.pending_migrations().await.unwrap(), 0);
    }

    #[test]
    fn sqlite_up_down_up() {
        run(async { round_trip(TestDatabase::sqlite().await).await });
    }

    #[test]
    fn postgres_up_down_up() {
        run(async {
            if let Some(fixture) = TestDatabase::postgres().await {
                round_trip(fixture).await;
            }
        });
    }
}
