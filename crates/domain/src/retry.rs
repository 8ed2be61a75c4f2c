//! The retry policy: how long to wait before trying again (exponential backoff with jitter, or
//! what a server's `Retry-After` asks), and when to stop (attempts, elapsed time). It only
//! decides; the caller waits, on its own clock, so tests drive time instead of sleeping.
//!
//! One type serves every retry of the service: fetching a feed
//! ([`RetryPolicy::feed`]), delivering an alert ([`RetryPolicy::delivery`]) and writing to a
//! store that is unavailable ([`RetryPolicy::store`]). Those are the defaults; the app's
//! configuration (`crates/app/src/config/retry.rs`) is where they are set.

use std::hash::{BuildHasher as _, Hasher as _};

use chrono::{DateTime, Utc};
use std::time::Duration;

/// How an operation that failed for a passing reason is tried again.
///
/// The wait before retry `n` (1 for the first) is `first_delay × multiplierⁿ⁻¹`, at most
/// `max_delay`, spread by the [`Jitter`]; a server's `Retry-After` replaces it (up to
/// `max_retry_after`). No retry is made past `max_attempts` attempts in all, or when its wait
/// would end past `max_elapsed` after the first attempt began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait before the first retry.
    pub first_delay: Duration,
    /// Each wait is this many times the one before (2: doubling; 1: constant).
    pub multiplier: u32,
    /// The longest wait, before jitter.
    pub max_delay: Duration,
    /// How the waits are spread, so that clients do not retry in lockstep.
    pub jitter: Jitter,
    /// Attempts in all, the first included (1: no retry); `None`: no limit.
    pub max_attempts: Option<u32>,
    /// No retry whose wait ends later than this after the first attempt began; `None`: no
    /// limit.
    pub max_elapsed: Option<Duration>,
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// Fetching a feed (or a listing's image, or a RESO page): 4 attempts, waits from 0.5 s
    /// doubling to at most 30 s, ±25 %, `Retry-After` honoured up to 2 min. Its elapsed time
    /// is bounded by the source's `timeout`, which the fetch sets.
    pub fn feed() -> Self {
        Self {
            first_delay: Duration::from_millis(500),
            multiplier: 2,
            max_delay: Duration::from_secs(30),
            jitter: Jitter::around(25),
            max_attempts: Some(4),
            max_elapsed: None,
            max_retry_after: Duration::from_secs(120),
        }
    }

    /// Delivering an alert to one channel: 3 attempts, waits from 0.2 s doubling to at most
    /// 5 s, each up to twice as long by jitter; a receiver's `Retry-After` honoured up to 30 s.
    pub fn delivery() -> Self {
        Self {
            first_delay: Duration::from_millis(200),
            multiplier: 2,
            max_delay: Duration::from_secs(5),
            jitter: Jitter::up_to(100),
            max_attempts: Some(3),
            max_elapsed: None,
            max_retry_after: Duration::from_secs(30),
        }
    }

    /// Writing to the execution store while it is unavailable (a run's end, a tick's record):
    /// until it answers, waits from 1 s doubling to at most 15 s, without jitter.
    pub fn store() -> Self {
        Self {
            first_delay: Duration::from_secs(1),
            multiplier: 2,
            max_delay: Duration::from_secs(15),
            jitter: Jitter::NONE,
            max_attempts: None,
            max_elapsed: None,
            max_retry_after: Duration::ZERO,
        }
    }

    /// The same policy with at most `attempts` attempts in all (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// The same policy bounded to `elapsed` after the first attempt.
    #[must_use]
    pub fn with_max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = Some(elapsed);
        self
    }

    /// The wait before retry `retry` (1 for the first) without jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        let mut delay = self.first_delay.min(self.max_delay);
        for _ in 1..retry {
            if delay >= self.max_delay {
                break;
            }
            delay = delay
                .checked_mul(self.multiplier)
                .unwrap_or(self.max_delay)
                .min(self.max_delay);
        }
        delay
    }

    /// Starts counting the attempts of one operation, with jitter from a random seed.
    pub fn start(&self) -> Attempts {
        self.start_with(Random::from_entropy())
    }

    /// Starts counting the attempts of one operation, with jitter from `random` (a
    /// [`Random::seeded`] one makes the waits repeatable).
    pub fn start_with(&self, random: Random) -> Attempts {
        Attempts {
            policy: self.clone(),
            failed: 0,
            random,
        }
    }
}

/// How the waits are spread: each is multiplied by a factor drawn uniformly between
/// `1 - below_percent / 100` and `1 + above_percent / 100`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Jitter {
    /// How much shorter a wait may be, in percent of it (at most 100).
    pub below_percent: u8,
    /// How much longer a wait may be, in percent of it.
    pub above_percent: u16,
}

impl Jitter {
    /// No jitter: every wait is the backoff.
    pub const NONE: Self = Self {
        below_percent: 0,
        above_percent: 0,
    };

    /// ±`percent` %.
    pub const fn around(percent: u8) -> Self {
        Self {
            below_percent: percent,
            above_percent: percent as u16,
        }
    }

    /// Up to `percent` % longer, never shorter.
    pub const fn up_to(percent: u16) -> Self {
        Self {
            below_percent: 0,
            above_percent: percent,
        }
    }

    /// `delay` spread by `unit` (a number from 0 to 1).
    fn apply(self, delay: Duration, unit: f64) -> Duration {
        let low = 1.0 - f64::from(self.below_percent.min(100)) / 100.0;
        let high = 1.0 + f64::from(self.above_percent) / 100.0;
        delay.mul_f64(low + (high - low) * unit.clamp(0.0, 1.0))
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// Stop: the policy allows no further attempt.
    GiveUp(GiveUp),
}

/// Why a policy allows no further attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// `max_attempts` were made.
    Attempts,
    /// The next wait would end past `max_elapsed`.
    Elapsed,
}

/// The attempts at one operation under a [`RetryPolicy`]: told of each failure, it says how
/// long to wait or to stop.
#[derive(Debug, Clone)]
pub struct Attempts {
    policy: RetryPolicy,
    failed: u32,
    random: Random,
}

impl Attempts {
    /// Records a failed attempt, `elapsed` after the first began (read from the caller's
    /// clock), and decides: the wait before the next (`retry_after` when the server asked for
    /// one, at most the policy's `max_retry_after`), or to stop.
    pub fn failed(&mut self, elapsed: Duration, retry_after: Option<Duration>) -> RetryDecision {
        self.failed = self.failed.saturating_add(1);
        if self
            .policy
            .max_attempts
            .is_some_and(|max| self.failed >= max)
        {
            return RetryDecision::GiveUp(GiveUp::Attempts);
        }
        let wait = match retry_after {
            Some(asked) => asked.min(self.policy.max_retry_after),
            None => self
                .policy
                .jitter
                .apply(self.policy.backoff(self.failed), self.random.unit()),
        };
        match self.policy.max_elapsed {
            Some(max) if elapsed.saturating_add(wait) > max => {
                RetryDecision::GiveUp(GiveUp::Elapsed)
            }
            _ => RetryDecision::RetryAfter(wait),
        }
    }

    /// Attempts that failed so far.
    pub fn failures(&self) -> u32 {
        self.failed
    }

    /// Starts over, as after a success: the next failure waits the first delay again.
    pub fn reset(&mut self) {
        self.failed = 0;
    }

    /// The policy it follows.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

/// The wait an HTTP `Retry-After` value asks for: a number of seconds, or an HTTP date
/// (compared with `now`). `None` when it is neither, or a date already past (the backoff then
/// decides).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    (at.with_timezone(&Utc) - now).to_std().ok()
}

/// The random source of the jitter: a small generator (SplitMix64), seeded from the process's
/// hash keys, or from a given seed so a test's waits are repeatable.
#[derive(Debug, Clone)]
pub struct Random(u64);

impl Random {
    /// A generator whose numbers follow from `seed`.
    pub fn seeded(seed: u64) -> Self {
        Self(seed)
    }

    /// A generator seeded differently each time.
    pub fn from_entropy() -> Self {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0x9e37_79b9_7f4a_7c15);
        Self(hasher.finish())
    }

    /// The next number from 0 to 1.
    pub fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        // The top 53 bits, as many as an f64 holds exactly.
        #[expect(clippy::cast_precision_loss, reason = "53 bits fit an f64 exactly")]
        let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
        unit
    }
}

#[cfg(test)]
mod tests;
