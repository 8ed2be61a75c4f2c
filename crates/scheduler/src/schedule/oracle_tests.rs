//! Oracle property test: the next 50 fire times of random 5-field expressions, in zones with
//! ordinary, 30-minute, midnight and no DST shifts, from instants around their 2024-2026
//! transitions, against the independent `croner` crate (POSIX weekdays, Vixie OR rule).
//!
//! Deliberate differences, mapped or checked precisely rather than skipped wholesale:
//! - Day rule: Vixie (and this module) treat a day field starting with `*` (e.g. `*/2`) as
//!   unrestricted, so the day fields are ANDed; croner ORs unless a field is exactly `*`.
//!   Croner gets its `+` (AND) modifier whenever this module ANDs: a mapping, no skip.
//! - Fixed-time jobs: here, no `*` in the minute and hour fields (Vixie); in croner, a
//!   single value in each. For `30 1,2 * * *` croner skips a time in a gap and runs a time in
//!   a fold twice, this module runs once. When the two kinds differ, fire times in a fold
//!   or at a gap's end are left out of the croner comparison and checked against this
//!   module's rule by brute force (every minute of the gap or fold); all others must agree.
//! - Years: the `cron` crate stops at 2100, croner goes on; both are cut at 2100.

use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds};
use croner::{Cron, JobType};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

use super::CronSchedule;
use super::oracle_gen::{RUNS, Transition, ZONES, expression, start_instant, transitions};

/// The croner pattern with this module's meaning: `+` (AND) unless the Vixie OR rule applies.
fn croner_pattern(expr: &str) -> String {
    let fields: Vec<&str> = expr.split(' ').collect();
    let and = fields[2].starts_with('*') || fields[4].starts_with('*');
    let plus = if and { "+" } else { "" };
    format!(
        "{} {} {} {} {plus}{}",
        fields[0], fields[1], fields[2], fields[3], fields[4]
    )
}

/// The instants a gap or fold could give this module and croner different answers for.
fn in_dst_corner(t: DateTime<Utc>, near: &[Transition]) -> bool {
    near.iter().any(|&(at, before, after)| {
        if after > before {
            t == at
        } else {
            t >= at - (before - after) && t < at + (before - after)
        }
    })
}

/// This module's rule, by brute force over each minute of every gap and fold in `near`.
fn expected_dst_corner_runs(oracle: &Cron, fixed: bool, near: &[Transition]) -> Vec<DateTime<Utc>> {
    let matches = |w: NaiveDateTime| oracle.is_time_matching(&w).unwrap();
    let minutes = |from: NaiveDateTime, to: NaiveDateTime| {
        let count = (to - from).num_minutes();
        (0..count).map(move |m| from + TimeDelta::minutes(m))
    };
    let mut runs = Vec::new();
    for &(at, before, after) in near {
        let wall = at.naive_utc();
        if after > before {
            let (start, end) = (wall + before, wall + after);
            if matches(end) || (fixed && minutes(start, end).any(matches)) {
                runs.push(at);
            }
        } else {
            let change = before - after;
            for w in minutes(wall + after, wall + before).filter(|w| matches(*w)) {
                let early = (w - before).and_utc();
                runs.push(early);
                if !fixed {
                    runs.push(early + change);
                }
            }
        }
    }
    runs.sort();
    runs
}

fn check(expr: &str, zone: usize, start: DateTime<Utc>) -> Result<(), TestCaseError> {
    let tz: Tz = ZONES[zone].parse().unwrap();
    let ours = match CronSchedule::new(expr, tz) {
        Ok(s) => s,
        Err(e) if *e.kind() == super::ScheduleErrorKind::NeverFires => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(format!("rejected: {e}"))),
    };
    let parser = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .sloppy_ranges(true)
        .build();
    let oracle = parser.parse(&croner_pattern(expr)).unwrap();
    let runs = ours.next_runs(start, RUNS);
    let theirs: Vec<DateTime<Utc>> = oracle
        .iter_after(start.with_timezone(&tz))
        .take(RUNS)
        .take_while(|t| t.year() <= 2100)
        .map(|t| t.with_timezone(&Utc))
        .collect();
    let horizon = |v: &[DateTime<Utc>]| {
        if v.len() == RUNS {
            v.last().copied()
        } else {
            None
        }
    };
    let end = match (horizon(&runs), horizon(&theirs)) {
        (Some(a), Some(b)) => a.min(b),
        // Both were cut at 2100.
        (a, b) => a
            .or(b)
            .unwrap_or_else(|| Utc.with_ymd_and_hms(2101, 1, 2, 0, 0, 0).unwrap()),
    };
    let upto = |v: &[DateTime<Utc>]| v.iter().copied().filter(|t| *t <= end).collect::<Vec<_>>();
    let (runs_w, theirs_w) = (upto(&runs), upto(&theirs));
    prop_assert!(
        runs.windows(2).all(|p| p[0] < p[1]),
        "not increasing: {runs:?}"
    );

    let croner_fixed = oracle.determine_job_type() == JobType::FixedTime;
    if croner_fixed == ours.is_fixed_time() {
        prop_assert_eq!(&runs_w, &theirs_w);
    } else {
        let all = transitions(zone);
        let near: Vec<Transition> = all
            .iter()
            .copied()
            .filter(|t| t.0 > start - TimeDelta::days(1) && t.0 <= end + TimeDelta::days(1))
            .collect();
        let outside = |v: &[DateTime<Utc>]| {
            v.iter()
                .copied()
                .filter(|t| !in_dst_corner(*t, &near))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(outside(&runs_w), outside(&theirs_w));
        let inside: Vec<_> = runs_w
            .iter()
            .copied()
            .filter(|t| in_dst_corner(*t, &near))
            .collect();
        let expected: Vec<_> = expected_dst_corner_runs(&oracle, ours.is_fixed_time(), &near)
            .into_iter()
            .filter(|t| *t > start && *t <= end)
            .collect();
        prop_assert_eq!(inside, expected);
    }
    // Missed-tick detection walks backwards through the same fire times.
    prop_assert_eq!(
        ours.next_after(ours.prev_at_or_before(start).unwrap_or(start)),
        runs.first().copied()
    );
    for pair in runs.windows(2).take(20) {
        prop_assert_eq!(
            ours.prev_at_or_before(pair[1] - TimeDelta::seconds(1)),
            Some(pair[0])
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1024,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x0c40_5eed),
        ..ProptestConfig::default()
    })]

    #[test]
    fn next_runs_agree_with_croner(
        expr in expression(),
        zone in 0..ZONES.len(),
        pick in any::<u32>(),
        shift in prop_oneof![1 => -1i64..=1, 3 => -5_400i64..=5_400, 2 => -108_000i64..=7_200],
    ) {
        check(&expr, zone, start_instant(zone, pick, shift))?;
    }
}
