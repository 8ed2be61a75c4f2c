//! A wall clock that follows Tokio's (pausable) time, so schedule tests run without waiting.

use std::time::Duration;

use chrono::{DateTime, Utc};
use propimport_domain::Clock;
use tokio::time::Instant;

/// A [`Clock`] that starts at a given UTC time and advances with [`tokio::time::Instant`]:
/// under `tokio::time::pause()` time jumps straight to the next timer, so a test of a
/// schedule firing every second for a minute takes no real minute.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    start_utc: DateTime<Utc>,
    start: Instant,
}

impl TokioClock {
    /// A clock showing `start_utc` now.
    pub fn starting_at(start_utc: DateTime<Utc>) -> Self {
        Self {
            start_utc,
            start: Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = Instant::now().saturating_duration_since(self.start);
        self.start_utc + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX)
    }
}

/// Sleeps until the clock shows `wait` later than now (a wait past the calendar's end: until
/// then), through [`sleep_until`].
pub(crate) async fn sleep_for(clock: &dyn Clock, wait: Duration) {
    let at = chrono::Duration::from_std(wait)
        .ok()
        .and_then(|w| clock.now().checked_add_signed(w))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    sleep_until(clock, at).await;
}

/// Sleeps until the clock shows `at` (or returns at once if it already does). Long waits are
/// cut into pieces of at most a minute and re-checked against the clock, so a wall-clock jump
/// or a suspended host does not leave the scheduler asleep past a tick.
pub(crate) async fn sleep_until(clock: &dyn Clock, at: DateTime<Utc>) {
    loop {
        let Ok(left) = (at - clock.now()).to_std() else {
            return;
        };
        if left.is_zero() {
            return;
        }
        tokio::time::sleep(left.min(Duration::from_secs(60))).await;
    }
}
