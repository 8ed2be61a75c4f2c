//! Request pacing: a source's requests start at least one interval apart.
//!
//! Each caller reserves the next free start time under a short lock and then sleeps until it
//! without holding the lock, so waiting callers queue in order and a cancelled wait only
//! wastes its own slot. Times come from tokio's clock, so tests can drive them.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::source::RateLimit;

/// Spaces the starts of requests at least `interval` apart.
#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    next_free: Mutex<Option<Instant>>,
}

impl Pacer {
    /// A pacer for `limit`.
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            interval: limit.interval(),
            next_free: Mutex::new(None),
        }
    }

    /// Waits until the next request may start (at once when the last one started at least an
    /// interval ago).
    pub(crate) async fn ready(&self) {
        let start = {
            let mut next_free = self
                .next_free
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let start = next_free.map_or(now, |at| at.max(now));
            *next_free = Some(start + self.interval);
            start
        };
        tokio::time::sleep_until(start).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_start_an_interval_apart() {
        let pacer = Pacer::new(RateLimit::per_second(2.0).unwrap());
        let begin = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..4 {
            pacer.ready().await;
            starts.push(Instant::now() - begin);
        }
        let ms: Vec<u128> = starts.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 500, 1000, 1500]);

        tokio::time::sleep(Duration::from_secs(10)).await;
        let idle = Instant::now();
        pacer.ready().await;
        assert_eq!(
            Instant::now(),
            idle,
            "after a pause the next request starts at once"
        );
    }
}
