//! DST table tests: spring-forward gaps and fall-back folds in Europe/Skopje,
//! America/New_York, Australia/Lord_Howe (30-minute shift) and America/Santiago (changes at
//! midnight), and what the `cron` crate alone would do there.

use std::str::FromStr;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::CronSchedule;

const SKOPJE: &str = "Europe/Skopje";
const NEW_YORK: &str = "America/New_York";
const LORD_HOWE: &str = "Australia/Lord_Howe";
const SANTIAGO: &str = "America/Santiago";

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn schedule(expr: &str, tz: &str) -> CronSchedule {
    CronSchedule::parse(expr, tz).unwrap()
}

/// The 2025 transitions: zone, instant, and whether the clock goes back (a fold).
fn transitions() -> [(&'static str, DateTime<Utc>, bool); 8] {
    [
        (SKOPJE, utc(2025, 3, 30, 1, 0), false),
        (SKOPJE, utc(2025, 10, 26, 1, 0), true),
        (NEW_YORK, utc(2025, 3, 9, 7, 0), false),
        (NEW_YORK, utc(2025, 11, 2, 6, 0), true),
        (LORD_HOWE, utc(2025, 4, 5, 15, 0), true),
        (LORD_HOWE, utc(2025, 10, 4, 15, 30), false),
        (SANTIAGO, utc(2025, 4, 6, 3, 0), true),
        (SANTIAGO, utc(2025, 9, 7, 4, 0), false),
    ]
}

#[test]
fn the_transition_table_is_right() {
    for (zone, at, fold) in transitions() {
        let tz: Tz = zone.parse().unwrap();
        let offset = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local() - t.naive_utc();
        let (before, after) = (offset(at - TimeDelta::seconds(1)), offset(at));
        assert_eq!(after < before, fold, "{zone} {at}");
        assert_ne!(before, after, "{zone} {at}");
    }
}

#[test]
fn fixed_time_jobs_run_once_after_a_gap_and_once_in_a_fold() {
    let cases = [
        // Skopje 2025-03-30 02:30 does not exist: 03:00 CEST = 01:00Z, then 02:30 CEST.
        (
            "30 2 * * *",
            SKOPJE,
            utc(2025, 3, 29, 12, 0),
            vec![utc(2025, 3, 30, 1, 0), utc(2025, 3, 31, 0, 30)],
        ),
        (
            "30 2 * * *",
            NEW_YORK,
            utc(2025, 3, 8, 12, 0),
            vec![utc(2025, 3, 9, 7, 0), utc(2025, 3, 10, 6, 30)],
        ),
        // Two skipped times of one gap give one run.
        (
            "0,30 2 * * *",
            SKOPJE,
            utc(2025, 3, 29, 12, 0),
            vec![
                utc(2025, 3, 30, 1, 0),
                utc(2025, 3, 31, 0, 0),
                utc(2025, 3, 31, 0, 30),
            ],
        ),
        // 01:30 happens twice in New York on 2025-11-02: only 01:30 EDT = 05:30Z runs.
        (
            "30 1 * * *",
            NEW_YORK,
            utc(2025, 11, 1, 12, 0),
            vec![utc(2025, 11, 2, 5, 30), utc(2025, 11, 3, 6, 30)],
        ),
        (
            "30 1 * * *",
            NEW_YORK,
            utc(2025, 11, 2, 5, 45),
            vec![utc(2025, 11, 3, 6, 30)],
        ),
        (
            "30 2 * * *",
            SKOPJE,
            utc(2025, 10, 25, 12, 0),
            vec![utc(2025, 10, 26, 0, 30), utc(2025, 10, 27, 1, 30)],
        ),
        // A list in the hour field is still fixed-time (no `*`).
        (
            "30 1,2 * * *",
            NEW_YORK,
            utc(2025, 11, 2, 0, 0),
            vec![
                utc(2025, 11, 2, 5, 30),
                utc(2025, 11, 2, 7, 30),
                utc(2025, 11, 3, 6, 30),
            ],
        ),
        // Lord Howe moves by 30 minutes: 02:00-02:30 is skipped, 01:30-02:00 repeated.
        (
            "15 2 * * *",
            LORD_HOWE,
            utc(2025, 10, 4, 0, 0),
            vec![utc(2025, 10, 4, 15, 30), utc(2025, 10, 5, 15, 15)],
        ),
        (
            "45 1 * * *",
            LORD_HOWE,
            utc(2025, 4, 5, 0, 0),
            vec![utc(2025, 4, 5, 14, 45), utc(2025, 4, 6, 15, 15)],
        ),
        // Santiago skips midnight (runs at 01:00 -03) and repeats 23:00-24:00.
        (
            "0 0 * * *",
            SANTIAGO,
            utc(2025, 9, 5, 12, 0),
            vec![
                utc(2025, 9, 6, 4, 0),
                utc(2025, 9, 7, 4, 0),
                utc(2025, 9, 8, 3, 0),
            ],
        ),
        (
            "30 23 * * *",
            SANTIAGO,
            utc(2025, 4, 4, 12, 0),
            vec![
                utc(2025, 4, 5, 2, 30),
                utc(2025, 4, 6, 2, 30),
                utc(2025, 4, 7, 3, 30),
            ],
        ),
    ];
    for (expr, zone, after, expected) in cases {
        let runs = schedule(expr, zone).next_runs(after, expected.len());
        assert_eq!(runs, expected, "{expr} in {zone} after {after}");
    }
}

#[test]
fn interval_jobs_keep_their_real_spacing_through_every_transition() {
    let quarter = TimeDelta::minutes(15);
    for (zone, at, fold) in transitions() {
        let s = schedule("*/15 * * * *", zone);
        let start = at - TimeDelta::hours(2);
        let runs = s.next_runs(start, 17);
        assert_eq!(runs[0], start + quarter, "{zone} {at}");
        for pair in runs.windows(2) {
            assert_eq!(pair[1] - pair[0], quarter, "{zone} {at}: {pair:?}");
        }
        // In a fold the wall clock shows some quarter hours twice.
        let tz = s.timezone();
        let mut walls: Vec<_> = runs
            .iter()
            .map(|t| t.with_timezone(&tz).naive_local())
            .collect();
        walls.sort();
        walls.dedup();
        assert_eq!(walls.len() < runs.len(), fold, "{zone} {at}");
    }
    for (zone, at, _) in transitions()
        .into_iter()
        .filter(|(z, ..)| [SKOPJE, NEW_YORK].contains(z))
    {
        let runs = schedule("@hourly", zone).next_runs(at - TimeDelta::hours(3), 6);
        assert!(
            runs.windows(2).all(|p| p[1] - p[0] == TimeDelta::hours(1)),
            "{zone} {runs:?}"
        );
    }
}

#[test]
fn an_interval_job_confined_to_a_skipped_hour_skips_that_day() {
    let runs = schedule("*/5 2 * * *", SKOPJE).next_runs(utc(2025, 3, 29, 12, 0), 1);
    assert_eq!(runs, [utc(2025, 3, 31, 0, 0)]);
}

#[test]
fn searches_from_inside_a_fold_see_both_halves() {
    let half_hourly = schedule("*/30 * * * *", NEW_YORK);
    // 05:45Z is 01:45 EDT; 01:00 EST (06:00Z) is still ahead.
    assert_eq!(
        half_hourly.next_after(utc(2025, 11, 2, 5, 45)),
        Some(utc(2025, 11, 2, 6, 0))
    );
    assert_eq!(
        half_hourly.next_after(utc(2025, 11, 2, 6, 0)),
        Some(utc(2025, 11, 2, 6, 30))
    );
    assert_eq!(
        half_hourly.prev_at_or_before(utc(2025, 11, 2, 6, 10)),
        Some(utc(2025, 11, 2, 6, 0))
    );
    assert_eq!(
        half_hourly.prev_at_or_before(utc(2025, 11, 2, 5, 59)),
        Some(utc(2025, 11, 2, 5, 30))
    );
    let fixed = schedule("30 1 * * *", NEW_YORK);
    // 06:45Z is 01:45 EST; 01:30 EST is no fire time, 01:30 EDT is.
    assert_eq!(
        fixed.prev_at_or_before(utc(2025, 11, 2, 6, 45)),
        Some(utc(2025, 11, 2, 5, 30))
    );
    assert_eq!(
        fixed.prev_at_or_before(utc(2025, 11, 2, 6, 30)),
        Some(utc(2025, 11, 2, 5, 30))
    );
    let gap = schedule("30 2 * * *", SKOPJE);
    assert_eq!(
        gap.prev_at_or_before(utc(2025, 3, 30, 1, 30)),
        Some(utc(2025, 3, 30, 1, 0))
    );
    assert_eq!(
        gap.prev_at_or_before(utc(2025, 3, 30, 0, 59)),
        Some(utc(2025, 3, 29, 1, 30))
    );
}

#[test]
fn fire_times_increase_and_previous_agrees_with_next_around_transitions() {
    let exprs = [
        "*/15 * * * *",
        "30 2 * * *",
        "30 1 * * *",
        "0 */2 * * *",
        "*/7 1-3 * * *",
        "*/20 * 2 * * *",
    ];
    for (zone, at, _) in transitions() {
        for expr in exprs {
            let s = schedule(expr, zone);
            let start = at - TimeDelta::hours(26);
            let runs = s.next_runs(start, 120);
            assert!(
                runs.windows(2).all(|p| p[0] < p[1]),
                "{expr} {zone}: {runs:?}"
            );
            assert_eq!(
                s.next_after(s.prev_at_or_before(start).unwrap()),
                runs.first().copied()
            );
            for pair in runs.windows(2) {
                assert_eq!(s.prev_at_or_before(pair[0]), Some(pair[0]), "{expr} {zone}");
                let just_before = pair[1] - TimeDelta::seconds(1);
                assert_eq!(
                    s.prev_at_or_before(just_before),
                    Some(pair[0]),
                    "{expr} {zone}"
                );
            }
        }
    }
}

/// What this module corrects: the `cron` crate with a `chrono_tz::Tz` skips a fixed time in a
/// gap, runs it twice in a fold, and walks a fold's two halves out of order.
#[test]
fn the_cron_crate_alone_skips_gaps_and_repeats_folds() {
    let crate_runs = |expr: &str, zone: &str, after: DateTime<Utc>, n: usize| {
        let tz: Tz = zone.parse().unwrap();
        let s = cron::Schedule::from_str(expr).unwrap();
        s.after(&after.with_timezone(&tz))
            .take(n)
            .map(|t| t.with_timezone(&Utc))
            .collect::<Vec<_>>()
    };
    let gap = crate_runs("0 30 2 * * *", SKOPJE, utc(2025, 3, 29, 12, 0), 1);
    assert_eq!(gap, [utc(2025, 3, 31, 0, 30)]);
    let fold = crate_runs("0 30 1 * * *", NEW_YORK, utc(2025, 11, 1, 12, 0), 2);
    assert_eq!(fold, [utc(2025, 11, 2, 5, 30), utc(2025, 11, 2, 6, 30)]);
    let quarter = crate_runs("0 */15 * * * *", NEW_YORK, utc(2025, 11, 2, 5, 0), 3);
    assert_eq!(
        quarter,
        [
            utc(2025, 11, 2, 5, 15),
            utc(2025, 11, 2, 6, 15),
            utc(2025, 11, 2, 5, 30)
        ]
    );
}

/// A spread shifts the instants the zone's rules give: a fixed time moved out of the gap
/// fires at the gap's end plus the offset; in a fold, once, at the first occurrence plus it;
/// the previous fire time is the same instants shifted back.
#[test]
fn an_offset_shifts_the_instants_worked_out_with_the_zones_rules() {
    let offset = TimeDelta::seconds(252);
    let spring = schedule("30 2 * * *", SKOPJE).with_offset(offset);
    // 02:30 does not exist on 2025-03-30 in Skopje: 03:00 CEST = 01:00 UTC, plus the offset.
    let fired = spring.next_after(utc(2025, 3, 29, 12, 0)).unwrap();
    assert_eq!(fired, utc(2025, 3, 30, 1, 0) + offset);
    assert_eq!(spring.prev_at_or_before(fired), Some(fired));
    assert_eq!(
        spring.prev_at_or_before(fired - TimeDelta::seconds(1)),
        Some(utc(2025, 3, 29, 1, 30) + offset),
        "the day before, 02:30 CET"
    );
    let fall = schedule("30 2 * * *", SKOPJE).with_offset(offset);
    // 02:30 happens twice on 2025-10-26: the first is 00:30 UTC.
    let first = fall.next_after(utc(2025, 10, 25, 12, 0)).unwrap();
    assert_eq!(first, utc(2025, 10, 26, 0, 30) + offset);
    assert_eq!(
        fall.next_after(first).unwrap(),
        utc(2025, 10, 27, 1, 30) + offset,
        "once"
    );
    assert_ne!(
        fall,
        schedule("30 2 * * *", SKOPJE),
        "the offset is part of the schedule"
    );
    assert!(
        fall.describe().ends_with(", 4m 12s later"),
        "{}",
        fall.describe()
    );
    assert_eq!(
        schedule("30 2 * * *", SKOPJE)
            .with_offset(TimeDelta::seconds(-5))
            .offset(),
        TimeDelta::zero()
    );
}
