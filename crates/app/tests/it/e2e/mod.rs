//! End-to-end tests of the real binary: serve, trigger, metrics, replicas, crashes, signals,
//! bad configuration and a database outage, on SQLite and PostgreSQL.

mod config;
mod crash;
mod dashboard;
mod outage;
mod serve;
pub mod support;
