//! The rate limit of manual triggers, per authenticated caller (GCRA via `governor`).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// How many manual triggers a caller may make: `burst` at once, then one per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriggerRateLimit {
    /// The time one more trigger is earned in.
    pub period: Duration,
    /// Triggers allowed at once.
    pub burst: NonZeroU32,
}

impl Default for TriggerRateLimit {
    /// One trigger per 60 s, burst 1.
    fn default() -> Self {
        Self {
            period: Duration::from_secs(60),
            burst: NonZeroU32::MIN,
        }
    }
}

/// The limiter of the running API; `None` inside when triggers are not limited.
pub(crate) struct TriggerLimiter(Option<DefaultKeyedRateLimiter<String>>);

impl TriggerLimiter {
    pub(crate) fn new(limit: Option<TriggerRateLimit>) -> Self {
        Self(limit.and_then(|l| {
            Quota::with_period(l.period)
                .map(|q| DefaultKeyedRateLimiter::keyed(q.allow_burst(l.burst)))
        }))
    }

    /// Takes one trigger for `actor`, or says how many whole seconds to wait.
    pub(crate) fn check(&self, actor: &str) -> Result<(), u64> {
        let Some(limiter) = &self.0 else {
            return Ok(());
        };
        let key = actor.to_owned();
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })?;
        limiter.retain_recent();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_period_per_actor() {
        let limiter = TriggerLimiter::new(Some(TriggerRateLimit::default()));
        assert_eq!(limiter.check("token:admin"), Ok(()));
        let wait = limiter.check("token:admin").unwrap_err();
        assert!((59..=60).contains(&wait), "{wait}");
        assert_eq!(limiter.check("jwt:other"), Ok(()));
        let open = TriggerLimiter::new(None);
        assert!((0..10).all(|_| open.check("a").is_ok()));
    }
}
