//! End-to-end tests of the real binary: serve, trigger, metrics, replicas, crashes, signals,
//! bad configuration and a database outage, on SQLite and PostgreSQL; `faults` injects
//! crashes, database outages and freezes, forced shutdowns and concurrent triggers.

mod anywhere;
mod cli;
mod config;
mod crash;
mod dashboard;
mod faults;
mod job_lists;
mod limits;
mod metrics;
mod operators;
mod outage;
mod progress;
pub mod proxy;
pub mod records;
mod serve;
mod sources;
pub mod support;
mod wire;
