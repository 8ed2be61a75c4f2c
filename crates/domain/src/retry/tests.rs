//! Tests of the retry policy: backoff, jitter, `Retry-After`, attempt and elapsed-time limits.

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn exact(policy: RetryPolicy) -> Attempts {
    RetryPolicy {
        jitter: Jitter::NONE,
        ..policy
    }
    .start_with(Random::seeded(1))
}

#[test]
fn the_wait_doubles_up_to_its_cap_and_the_attempts_are_counted() {
    let mut r = exact(RetryPolicy::feed());
    let waits: Vec<_> = (0..4).map(|_| r.failed(Duration::ZERO, None)).collect();
    assert_eq!(
        waits,
        vec![
            RetryDecision::RetryAfter(ms(500)),
            RetryDecision::RetryAfter(ms(1000)),
            RetryDecision::RetryAfter(ms(2000)),
            RetryDecision::GiveUp(GiveUp::Attempts),
        ]
    );
    assert_eq!(r.failures(), 4);
    let store = RetryPolicy::store();
    let backoffs: Vec<_> = (1..=7).map(|n| store.backoff(n).as_secs()).collect();
    assert_eq!(backoffs, vec![1, 2, 4, 8, 15, 15, 15]);
    assert_eq!(store.backoff(u32::MAX), Duration::from_secs(15));
}

#[test]
fn one_attempt_is_no_retry_and_no_limit_never_gives_up() {
    let mut once = exact(RetryPolicy::feed().with_max_attempts(1));
    assert_eq!(
        once.failed(Duration::ZERO, None),
        RetryDecision::GiveUp(GiveUp::Attempts)
    );
    let mut forever = exact(RetryPolicy::store());
    for _ in 0..1000 {
        assert!(matches!(
            forever.failed(Duration::from_secs(86_400), None),
            RetryDecision::RetryAfter(_)
        ));
    }
    forever.reset();
    assert_eq!(
        forever.failed(Duration::ZERO, None),
        RetryDecision::RetryAfter(Duration::from_secs(1))
    );
}

#[test]
fn retry_after_replaces_the_backoff_up_to_its_cap() {
    let mut r = exact(RetryPolicy::feed());
    assert_eq!(
        r.failed(Duration::ZERO, Some(Duration::from_secs(7))),
        RetryDecision::RetryAfter(Duration::from_secs(7))
    );
    assert_eq!(
        r.failed(Duration::ZERO, Some(Duration::from_secs(3600))),
        RetryDecision::RetryAfter(Duration::from_secs(120))
    );
}

#[test]
fn no_wait_ends_past_the_elapsed_bound() {
    let mut r = exact(RetryPolicy::feed().with_max_elapsed(Duration::from_secs(2)));
    assert_eq!(r.failed(ms(1500), None), RetryDecision::RetryAfter(ms(500)));
    assert_eq!(
        r.failed(ms(1500), None),
        RetryDecision::GiveUp(GiveUp::Elapsed),
        "1.5 s + 1 s is past 2 s"
    );
    let mut asked = exact(RetryPolicy::feed().with_max_elapsed(Duration::from_secs(2)));
    assert_eq!(
        asked.failed(ms(500), Some(Duration::from_secs(2))),
        RetryDecision::GiveUp(GiveUp::Elapsed),
        "a Retry-After is bounded too"
    );
}

#[test]
fn jitter_stays_in_its_range_and_a_seed_repeats_it() {
    let waits = |seed| {
        let mut r = RetryPolicy::feed()
            .with_max_attempts(1000)
            .start_with(Random::seeded(seed));
        (0..500)
            .map(|_| match r.failed(Duration::ZERO, None) {
                RetryDecision::RetryAfter(d) => d,
                RetryDecision::GiveUp(why) => panic!("gave up: {why:?}"),
            })
            .collect::<Vec<_>>()
    };
    let (a, b, c) = (waits(7), waits(7), waits(8));
    assert_eq!(a, b, "the same seed, the same waits");
    assert_ne!(a, c);
    assert!((ms(375)..=ms(625)).contains(&a[0]), "{:?}", a[0]);
    let capped = &a[10..];
    assert!(capped.iter().all(|d| (ms(22_500)..=ms(37_500)).contains(d)));
    let spread = capped
        .iter()
        .max()
        .unwrap()
        .saturating_sub(*capped.iter().min().unwrap());
    assert!(
        spread > Duration::from_secs(10),
        "the waits are spread: {spread:?}"
    );

    let mut up = RetryPolicy::delivery()
        .with_max_attempts(1000)
        .start_with(Random::seeded(3));
    for _ in 0..100 {
        let RetryDecision::RetryAfter(d) = up.failed(Duration::ZERO, None) else {
            panic!("gave up");
        };
        assert!(d >= ms(200) && d <= ms(10_000), "{d:?}");
    }
}

#[test]
fn retry_after_is_seconds_or_a_date() {
    let now = DateTime::parse_from_rfc3339("2025-06-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        parse_retry_after(" 120 ", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        parse_retry_after("Sun, 01 Jun 2025 12:00:30 GMT", now),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        parse_retry_after("Sun, 01 Jun 2025 11:00:00 GMT", now),
        None,
        "a date past leaves the wait to the backoff"
    );
    assert_eq!(parse_retry_after("soon", now), None);
}

#[test]
fn random_numbers_are_between_zero_and_one() {
    let mut random = Random::from_entropy();
    assert!(
        (0..10_000)
            .map(|_| random.unit())
            .all(|u| (0.0..1.0).contains(&u))
    );
}
