//! The app crate's integration tests, in one binary: the importer and the scheduler on the
//! real stores (SQLite, and PostgreSQL when `TEST_DATABASE_URL` is set).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod alerts_on_stores;
mod api_on_stores;
mod control_on_stores;
mod e2e;
mod images_on_stores;
mod import_on_stores;
mod scheduler_on_stores;

/// A two-worker runtime, as the service runs (blocking SQLite work needs the blocking pool).
fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
