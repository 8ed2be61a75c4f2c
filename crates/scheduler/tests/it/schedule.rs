//! `CronSchedule` through the public API: accepted forms, POSIX weekdays, the Vixie day
//! rule, macros, zones, error messages. DST and the croner oracle are unit tests of the
//! `schedule` module.

use chrono::{DateTime, Datelike, TimeDelta, TimeZone, Utc, Weekday};
use propimport_scheduler::{CronField, CronSchedule, ScheduleErrorKind};

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

/// 2025-06-01 00:00:00Z, a Sunday.
fn start() -> DateTime<Utc> {
    at(2025, 6, 1, 0, 0, 0)
}

fn runs(expr: &str, n: usize) -> Vec<DateTime<Utc>> {
    CronSchedule::parse(expr, "UTC")
        .unwrap()
        .next_runs(start(), n)
}

/// The first runs after 2025-06-01 00:00:00Z in UTC, written `YYYY-MM-DD HH:MM:SS`.
fn runs_text(expr: &str, n: usize) -> String {
    let text: Vec<String> = runs(expr, n)
        .iter()
        .map(|t| t.format("%F %T").to_string())
        .collect();
    text.join(", ")
}

#[test]
fn every_accepted_form_gives_its_next_runs() {
    let cases = [
        ("0 0 * * *", "2025-06-02 00:00:00, 2025-06-03 00:00:00"),
        (
            "  0   0 * *  *  ",
            "2025-06-02 00:00:00, 2025-06-03 00:00:00",
        ),
        ("*/15 * * * *", "2025-06-01 00:15:00, 2025-06-01 00:30:00"),
        ("30 2 * * 1-5", "2025-06-02 02:30:00, 2025-06-03 02:30:00"),
        ("0 0 * * 0", "2025-06-08 00:00:00, 2025-06-15 00:00:00"),
        ("15 10 * * * *", "2025-06-01 00:10:15, 2025-06-01 01:10:15"),
        ("*/20 * * * * *", "2025-06-01 00:00:20, 2025-06-01 00:00:40"),
        (
            "0 12 1 JAN,jul *",
            "2025-07-01 12:00:00, 2026-01-01 12:00:00",
        ),
        (
            "0 9 * * mon-FRI",
            "2025-06-02 09:00:00, 2025-06-03 09:00:00",
        ),
        ("0 0 1-10/3 * *", "2025-06-04 00:00:00, 2025-06-07 00:00:00"),
        ("5/20 * * * *", "2025-06-01 00:05:00, 2025-06-01 00:25:00"),
        ("50/20 * * * *", "2025-06-01 00:50:00, 2025-06-01 01:50:00"),
        (
            "0,30 8,20 * * *",
            "2025-06-01 08:00:00, 2025-06-01 08:30:00",
        ),
        (
            "0 20-23/2 * * *",
            "2025-06-01 20:00:00, 2025-06-01 22:00:00",
        ),
        ("0 0 29 2 *", "2028-02-29 00:00:00, 2032-02-29 00:00:00"),
    ];
    for (expr, expected) in cases {
        assert_eq!(runs_text(expr, 2), expected, "{expr:?}");
    }
}

#[test]
fn macros_are_their_five_field_expressions() {
    let cases = [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("@DAILY", "0 0 * * *"),
    ];
    for (name, expr) in cases {
        assert_eq!(runs(name, 5), runs(expr, 5), "{name}");
    }
    assert_eq!(runs("@weekly", 1), [at(2025, 6, 8, 0, 0, 0)]);
    assert_eq!(runs("@yearly", 1), [at(2026, 1, 1, 0, 0, 0)]);
}

#[test]
fn day_of_week_is_posix_with_names_in_any_case() {
    use Weekday::*;
    let cases: [(&str, &[Weekday]); 12] = [
        ("0", &[Sun]),
        ("7", &[Sun]),
        ("SUN", &[Sun]),
        ("sun", &[Sun]),
        ("1", &[Mon]),
        ("6", &[Sat]),
        ("1-5", &[Mon, Tue, Wed, Thu, Fri]),
        ("MON-fri", &[Mon, Tue, Wed, Thu, Fri]),
        ("6,0", &[Sun, Sat]),
        ("5-7", &[Sun, Fri, Sat]),
        ("FRI-SUN", &[Sun, Fri, Sat]),
        ("*/2", &[Sun, Tue, Thu, Sat]),
    ];
    for (dow, expected) in cases {
        let mut days: Vec<Weekday> = runs(&format!("0 12 * * {dow}"), 14)
            .iter()
            .map(|t| t.weekday())
            .collect();
        days.sort_by_key(|d| d.num_days_from_sunday());
        days.dedup();
        assert_eq!(days, expected, "day-of-week {dow}");
    }
}

#[test]
fn restricted_day_fields_follow_the_vixie_rule() {
    let days = |expr: &str, n| {
        runs(expr, n)
            .iter()
            .map(|t| (t.month(), t.day()))
            .collect::<Vec<_>>()
    };
    // Both restricted: the 13th OR a Friday.
    assert_eq!(
        days("0 0 13 * 5", 7),
        [(6, 6), (6, 13), (6, 20), (6, 27), (7, 4), (7, 11), (7, 13)]
    );
    assert_eq!(days("0 0 1-31 * 1", 3), [(6, 2), (6, 3), (6, 4)]);
    assert_eq!(days("0 0 30 2 1", 2), [(2, 2), (2, 9)]);
    // A field starting with `*` counts as unrestricted: odd days AND Mondays.
    assert_eq!(days("0 0 */2 * 1", 4), [(6, 9), (6, 23), (7, 7), (7, 21)]);
    // One field `*`: the other alone decides.
    assert_eq!(days("0 0 1 * *", 2), [(7, 1), (8, 1)]);
    assert_eq!(days("0 0 * * 1", 2), [(6, 2), (6, 9)]);
}

#[test]
fn errors_name_the_variable_the_input_and_the_problem() {
    let expr_error = |expr: &str| {
        let e = CronSchedule::parse(expr, "UTC").unwrap_err();
        assert!(!e.is_time_zone());
        e.with_variable("IMPORT_CRON_SCHEDULE").to_string()
    };
    let cases = [
        ("0 0 * *", "expected 5 or 6 fields, found 4"),
        ("* * * * * * *", "expected 5 or 6 fields, found 7"),
        ("", "the expression is empty"),
        ("61 * * * *", "minute: 61 is out of range 0-59"),
        ("60 * * * * *", "second: 60 is out of range 0-59"),
        ("* 24 * * *", "hour: 24 is out of range 0-23"),
        ("0 0 0 * *", "day-of-month: 0 is out of range 1-31"),
        ("0 0 32 * *", "day-of-month: 32 is out of range 1-31"),
        ("0 0 * 13 *", "month: 13 is out of range 1-12"),
        ("0 0 * * 8", "day-of-week: 8 is out of range 0-7"),
        ("5-1 * * * *", "minute: range 5-1 runs backwards"),
        ("*/0 * * * *", "minute: step 0 is out of range 1-59"),
        ("0 0 L * *", "day-of-month: \"L\" is not a valid value"),
        (
            "0 0 * * MON-FOO",
            "day-of-week: \"MON-FOO\" is not a valid value",
        ),
        ("0 0 * * ?", "day-of-week: \"?\" is not a valid value"),
        (
            "@reboot",
            "unknown macro \"@reboot\"; expected @yearly, @annually, @monthly, @weekly, @daily, \
             @midnight or @hourly",
        ),
        (
            "0 0 30 2 *",
            "never fires: none of the selected months has any of the selected days of month",
        ),
        (
            "0 0 31 4,6,9,11 *",
            "never fires: none of the selected months has any of the selected days of month",
        ),
    ];
    for (expr, problem) in cases {
        assert_eq!(
            expr_error(expr),
            format!("IMPORT_CRON_SCHEDULE={expr:?}: {problem}")
        );
    }
}

#[test]
fn error_parts_are_inspectable_and_the_right_variable_is_named() {
    let e = CronSchedule::parse("61 * * * *", "UTC").unwrap_err();
    assert_eq!(
        e.to_string(),
        "cron expression \"61 * * * *\": minute: 61 is out of range 0-59"
    );
    assert_eq!(
        e.kind(),
        &ScheduleErrorKind::OutOfRange {
            field: CronField::Minute,
            value: 61,
            min: 0,
            max: 59
        }
    );
    assert_eq!((e.input(), e.variable()), ("61 * * * *", None));
    let named = e.with_variables("IMPORT_CRON_SCHEDULE", "TZ");
    assert_eq!(named.variable(), Some("IMPORT_CRON_SCHEDULE"));

    let tz = CronSchedule::parse("0 0 * * *", "Europe/Skopj").unwrap_err();
    assert!(tz.is_time_zone());
    assert_eq!(tz.kind(), &ScheduleErrorKind::UnknownTimeZone);
    assert_eq!(
        tz.to_string(),
        "time zone \"Europe/Skopj\": unknown time zone"
    );
    let named = tz.with_variables("IMPORT_CRON_SCHEDULE", "TZ");
    assert_eq!(named.to_string(), "TZ=\"Europe/Skopj\": unknown time zone");
}

#[test]
fn accessors_display_debug_and_equality() {
    let s = CronSchedule::parse(" 30 2 * * * ", "Europe/Skopje").unwrap();
    assert_eq!(s.expression(), " 30 2 * * * ");
    assert_eq!(s.timezone(), chrono_tz::Europe::Skopje);
    assert!(s.is_fixed_time());
    assert_eq!(s.to_string(), " 30 2 * * *  (Europe/Skopje)");
    assert!(format!("{s:?}").contains("Europe/Skopje"));
    let same = CronSchedule::new(" 30 2 * * * ", chrono_tz::Europe::Skopje).unwrap();
    assert_eq!(s.clone(), same);
    assert!(
        !CronSchedule::parse("*/5 * * * *", "UTC")
            .unwrap()
            .is_fixed_time()
    );
}

#[test]
fn schedules_can_be_shared_between_tasks() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<CronSchedule>();
    shareable::<propimport_scheduler::ScheduleError>();
}

#[test]
fn next_is_strictly_after_and_previous_is_at_or_before() {
    let s = CronSchedule::parse("0 * * * *", "UTC").unwrap();
    let hour = at(2025, 6, 1, 10, 0, 0);
    assert_eq!(s.next_after(hour), Some(hour + TimeDelta::hours(1)));
    assert_eq!(s.next_after(hour - TimeDelta::nanoseconds(1)), Some(hour));
    assert_eq!(
        s.next_after(hour + TimeDelta::milliseconds(500)),
        Some(hour + TimeDelta::hours(1))
    );
    assert_eq!(s.prev_at_or_before(hour), Some(hour));
    assert_eq!(
        s.prev_at_or_before(hour + TimeDelta::minutes(59)),
        Some(hour)
    );
    assert_eq!(
        s.prev_at_or_before(hour - TimeDelta::nanoseconds(1)),
        Some(hour - TimeDelta::hours(1))
    );
    assert!(s.next_runs(hour, 0).is_empty());
}

#[test]
fn fire_times_end_with_2100_and_start_with_1970() {
    let yearly = CronSchedule::parse("@yearly", "UTC").unwrap();
    assert_eq!(
        yearly.next_after(at(2099, 6, 1, 0, 0, 0)),
        Some(at(2100, 1, 1, 0, 0, 0))
    );
    assert_eq!(yearly.next_after(at(2100, 6, 1, 0, 0, 0)), None);
    assert_eq!(yearly.next_runs(at(2098, 6, 1, 0, 0, 0), 5).len(), 2);
    assert_eq!(
        yearly.prev_at_or_before(at(1970, 6, 1, 0, 0, 0)),
        Some(at(1970, 1, 1, 0, 0, 0))
    );
    assert_eq!(yearly.prev_at_or_before(at(1969, 6, 1, 0, 0, 0)), None);
}

#[test]
fn wall_clock_times_follow_the_zone_rules_of_each_date() {
    // 09:00 in Skopje is 07:00Z in summer and 08:00Z in winter, and 00:30Z in Tehran (+03:30
    // all year) is 04:00 local.
    let skopje = CronSchedule::parse("0 9 * * *", "Europe/Skopje").unwrap();
    assert_eq!(
        skopje.next_after(at(2025, 10, 25, 12, 0, 0)),
        Some(at(2025, 10, 26, 8, 0, 0))
    );
    assert_eq!(
        skopje.next_after(at(2025, 10, 24, 12, 0, 0)),
        Some(at(2025, 10, 25, 7, 0, 0))
    );
    let tehran = CronSchedule::parse("0 4 * * *", "Asia/Tehran").unwrap();
    assert_eq!(tehran.next_after(start()), Some(at(2025, 6, 1, 0, 30, 0)));
}
