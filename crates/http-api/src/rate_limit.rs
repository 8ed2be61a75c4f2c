//! The rate limit of manual triggers, per authenticated caller and job (GCRA), counting only
//! the triggers that started a run.
//!
//! A trigger is checked before the job is asked to start and taken only once it started, so a
//! refused attempt (unknown job, a run already in progress, the database unavailable) costs
//! the caller nothing, and "Run now" on a second job right after a first is allowed. Memory is
//! bounded: a (caller, job) pair is kept only while its allowance is not full again, at most
//! `burst × period` after its last accepted trigger, and only accepted triggers (each of which
//! started a run) create one.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How many manual triggers a caller may make of one job: `burst` at once, then one per
/// `period`.
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

/// The limiter of the running API; triggers are not limited when it has no limit.
pub(crate) struct TriggerLimiter {
    limit: Option<TriggerRateLimit>,
    /// The theoretical arrival time (GCRA) of each (caller, job) with an allowance not yet
    /// full again.
    arrivals: Mutex<HashMap<(String, String), Instant>>,
}

impl TriggerLimiter {
    pub(crate) fn new(limit: Option<TriggerRateLimit>) -> Self {
        Self {
            limit: limit.filter(|l| !l.period.is_zero()),
            arrivals: Mutex::default(),
        }
    }

    fn tolerance(limit: &TriggerRateLimit) -> Duration {
        limit.period.saturating_mul(limit.burst.get() - 1)
    }

    /// Whether `actor` may trigger `job` now, without taking anything; else how many whole
    /// seconds to wait.
    pub(crate) fn check(&self, actor: &str, job: &str) -> Result<(), u64> {
        self.check_at(actor, job, Instant::now())
    }

    fn check_at(&self, actor: &str, job: &str, now: Instant) -> Result<(), u64> {
        let Some(limit) = &self.limit else {
            return Ok(());
        };
        let arrivals = self.arrivals.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(tat) = arrivals.get(&(actor.to_owned(), job.to_owned())) else {
            return Ok(());
        };
        let allowed_at = tat
            .checked_sub(Self::tolerance(limit))
            .unwrap_or(now)
            .max(now);
        let wait = allowed_at - now;
        if wait.is_zero() {
            Ok(())
        } else {
            Err((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
        }
    }

    /// Takes one trigger of `job` for `actor`: call it once the trigger started a run.
    pub(crate) fn consume(&self, actor: &str, job: &str) {
        self.consume_at(actor, job, Instant::now());
    }

    fn consume_at(&self, actor: &str, job: &str, now: Instant) {
        let Some(limit) = &self.limit else {
            return;
        };
        let mut arrivals = self.arrivals.lock().unwrap_or_else(PoisonError::into_inner);
        arrivals.retain(|_, tat| *tat > now);
        let tat = arrivals
            .entry((actor.to_owned(), job.to_owned()))
            .or_insert(now);
        *tat = (*tat).max(now) + limit.period;
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.arrivals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_period_per_actor_and_job() {
        let limiter = TriggerLimiter::new(Some(TriggerRateLimit::default()));
        let now = Instant::now();
        assert_eq!(limiter.check_at("token:admin", "a", now), Ok(()));
        assert_eq!(
            limiter.check_at("token:admin", "a", now),
            Ok(()),
            "checking takes nothing"
        );
        limiter.consume_at("token:admin", "a", now);
        assert_eq!(limiter.check_at("token:admin", "a", now), Err(60));
        let later = now + Duration::from_millis(59_500);
        assert_eq!(limiter.check_at("token:admin", "a", later), Err(1));
        assert_eq!(
            limiter.check_at("token:admin", "b", now),
            Ok(()),
            "another job"
        );
        assert_eq!(
            limiter.check_at("jwt:other", "a", now),
            Ok(()),
            "another caller"
        );
        let again = now + Duration::from_secs(60);
        assert_eq!(limiter.check_at("token:admin", "a", again), Ok(()));
        limiter.consume_at("token:admin", "b", again);
        assert_eq!(limiter.tracked(), 1, "a full allowance is forgotten");
        let open = TriggerLimiter::new(None);
        for _ in 0..10 {
            open.consume("a", "j");
            assert!(open.check("a", "j").is_ok());
        }
    }

    #[test]
    fn burst() {
        let limiter = TriggerLimiter::new(Some(TriggerRateLimit {
            period: Duration::from_secs(10),
            burst: NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN),
        }));
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_at("c", "j", now), Ok(()));
            limiter.consume_at("c", "j", now);
        }
        assert_eq!(limiter.check_at("c", "j", now), Err(10));
        let later = now + Duration::from_secs(10);
        assert_eq!(limiter.check_at("c", "j", later), Ok(()));
    }
}
