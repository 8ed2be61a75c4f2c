//! How operations that failed for a passing reason are tried again, in one place: fetching a
//! feed (its images and RESO pages too), delivering an alert, and writing to the database
//! while it is unavailable. Each is a [`RetryPolicy`] (the defaults and their numbers are in
//! `propimport_domain::RetryPolicy::{feed, delivery, store}`); this reads the variables that
//! change them. The retries of a failed scheduled run are another matter (`IMPORT_RETRIES`,
//! in `scheduling.rs`): those start a new execution of the tick.

use propimport_domain::RetryPolicy;

use super::Vars;

/// The retry policies of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retrying {
    /// A feed, image or RESO request (`IMPORT_FETCH_ATTEMPTS`; its elapsed bound is each
    /// source's `timeout`).
    pub feed: RetryPolicy,
    /// An alert's delivery to one channel (`IMPORT_ALERT_ATTEMPTS`).
    pub delivery: RetryPolicy,
    /// A write that finds the database unavailable: a run's end, a tick's record (until it
    /// answers).
    pub store: RetryPolicy,
}

impl Default for Retrying {
    fn default() -> Self {
        Self {
            feed: RetryPolicy::feed(),
            delivery: RetryPolicy::delivery(),
            store: RetryPolicy::store(),
        }
    }
}

impl Retrying {
    /// Reads `IMPORT_FETCH_ATTEMPTS` and `IMPORT_ALERT_ATTEMPTS` (1 to 10 each).
    pub(super) fn read<F: Fn(&str) -> Option<String>>(vars: &mut Vars<F>) -> Self {
        let defaults = Self::default();
        let attempts = |policy: &RetryPolicy| policy.max_attempts.unwrap_or(1);
        let feed = vars.number("IMPORT_FETCH_ATTEMPTS", attempts(&defaults.feed), 1..=10);
        let delivery = vars.number(
            "IMPORT_ALERT_ATTEMPTS",
            attempts(&defaults.delivery),
            1..=10,
        );
        Self {
            feed: defaults.feed.with_max_attempts(feed),
            delivery: defaults.delivery.with_max_attempts(delivery),
            store: defaults.store,
        }
    }
}
