//! One server per SQLite file: the second server lock on a database is refused, naming the
//! file and the holder; once the first is dropped it is granted. PostgreSQL takes none.

use propimport_persistence::testing::TestDatabase;
use propimport_persistence::{DatabaseUrl, PersistenceError, ServerLock};

#[test]
fn a_second_server_lock_on_one_sqlite_file_is_refused_until_the_first_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("data/propimport.db"));
    let first = ServerLock::acquire(&url).unwrap();
    let lock_file = dir.path().join("data/propimport.db.serve.lock");
    assert_eq!(first.path(), Some(lock_file.as_path()));

    let refused = ServerLock::acquire(&url).unwrap_err();
    assert!(
        matches!(refused, PersistenceError::AlreadyServed { .. }),
        "{refused:?}"
    );
    let message = refused.to_string();
    let pid = std::process::id();
    assert_eq!(
        message,
        format!(
            "{} is already served by another propimport process (pid {pid}); several replicas \
             need PostgreSQL (DATABASE_URL=postgres://…)",
            url.redacted()
        )
    );

    drop(first);
    let again = ServerLock::acquire(&url).unwrap();
    drop(again);
}

#[test]
fn the_server_lock_of_an_open_database_guards_its_file() {
    super::run(async {
        let test_db = TestDatabase::sqlite().await;
        let held = test_db.database().lock_exclusive_server().unwrap();
        assert!(held.path().is_some());
        assert!(test_db.database().lock_exclusive_server().is_err());
        // The commands that run next to a server take no lock and still work.
        test_db.database().ping().await.unwrap();
        test_db.database().migrate().await.unwrap();
    });
}

#[test]
fn postgres_and_in_memory_databases_take_no_server_lock() {
    let pg = DatabaseUrl::Postgres("postgres://u@127.0.0.1:1/x".into());
    let a = ServerLock::acquire(&pg).unwrap();
    let b = ServerLock::acquire(&pg).unwrap();
    assert_eq!((a.path(), b.path()), (None, None));
    let memory = DatabaseUrl::parse("sqlite::memory:").unwrap();
    let c = ServerLock::acquire(&memory).unwrap();
    let d = ServerLock::acquire(&memory).unwrap();
    assert_eq!((c.path(), d.path()), (None, None));
}
