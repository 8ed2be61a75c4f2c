//! A database that refuses connections: start-up and migrations fail with the URL and the
//! driver's words, and the error beneath stays reachable through `source()`.

use std::error::Error as _;

use propimport_persistence::{Database, DatabaseUrl, PersistenceError, PoolOptions, migrate_url};

/// Port 1 on this machine: nothing listens there, so the connect is refused at once.
const REFUSED: &str = "postgres://u@127.0.0.1:1/x";

fn chain(e: &PersistenceError) -> Vec<String> {
    std::iter::successors(e.source(), |e| (*e).source())
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_refused_connect_keeps_the_error_beneath() {
    crate::run(refused());
}

async fn refused() {
    let url = DatabaseUrl::Postgres(REFUSED.into());
    let Err(e) = Database::connect(&url, PoolOptions::default()).await else {
        panic!("nothing listens on port 1");
    };
    assert!(matches!(e, PersistenceError::Connect { .. }), "{e:?}");
    assert!(e.to_string().starts_with("cannot connect to "), "{e}");
    let beneath = chain(&e);
    assert!(!beneath.is_empty(), "the pool's error is kept: {e:?}");

    let Err(e) = migrate_url(&url).await else {
        panic!("nothing listens on port 1");
    };
    assert!(matches!(e, PersistenceError::Connect { .. }), "{e:?}");
    let source = e.source().expect("the driver's error");
    assert!(
        source.downcast_ref::<diesel::ConnectionError>().is_some(),
        "{source:?}"
    );
}
