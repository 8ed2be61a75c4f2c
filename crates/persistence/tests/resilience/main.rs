//! Truthful runs against failing or shared databases: every wait bounded by
//! `DATABASE_TIMEOUT` (PostgreSQL behind a proxy that freezes or refuses), several processes
//! writing one SQLite file, and one server per SQLite file.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod proxy;
mod refused;
mod server_lock;
mod sqlite_writers;
mod timeouts;

/// Drives a test future on a multi-threaded runtime, as the service runs.
fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}
