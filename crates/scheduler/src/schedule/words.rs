//! A schedule in words: "at 00:00 every day, Europe/Skopje", "every 15 minutes, UTC",
//! "at 09:00 and 17:30 on weekdays, Europe/Skopje".
//!
//! The words are made from the parsed field values, so `0 0 * * *`, `@daily` and
//! `0 0 0 * * *` read alike. Common shapes are said: every second, minute or N minutes,
//! hourly at a minute, a few fixed times of day, every N hours, weekdays and weekends, days
//! of the week and of the month (lists and ranges), months, and the Vixie either-day rule.
//! A shape it cannot say in a short phrase reads as the expression itself with its zone.

use chrono_tz::Tz;

use super::expr::{Spec, parse_expression};
use super::field::ValueSet;

/// The schedule `expression` in the zone `zone`, in words (the expression and the zone
/// themselves when the shape has no short phrase or the expression is invalid).
pub fn describe(expression: &str, zone: Tz) -> String {
    let said = parse_expression(expression)
        .ok()
        .and_then(|spec| phrase(&spec));
    match said {
        Some(words) => format!("{words}, {}", zone.name()),
        None => format!("{} ({})", expression.trim(), zone.name()),
    }
}

/// The words for `spec` without the zone, if it has a short phrase.
fn phrase(spec: &Spec) -> Option<String> {
    let time = time_phrase(spec)?;
    let days = day_phrase(spec)?;
    Some(match (time, days) {
        (Time::Interval(t), None) => t,
        (Time::Interval(t), Some(d)) => format!("{t}, {d}"),
        (Time::Fixed(t), None) => format!("{t} every day"),
        (Time::Fixed(t), Some(d)) => format!("{t} {d}"),
    })
}

/// What the time-of-day fields say: an interval through the day, or fixed times.
enum Time {
    Interval(String),
    Fixed(String),
}

const WEEKDAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The most fixed times of day listed one by one.
const MAX_TIMES: usize = 6;
/// The most days or months listed one by one.
const MAX_LISTED: usize = 7;

fn values(set: ValueSet) -> Vec<u32> {
    (0..64).filter(|v| set & (1u64 << v) != 0).collect()
}

fn full(set: ValueSet, min: u32, max: u32) -> bool {
    (min..=max).all(|v| set & (1u64 << v) != 0)
}

/// The step `n` when the set is exactly `min, min+n, min+2n, …` up to `max` (`*/n`), n > 1.
fn step_from_start(set: ValueSet, min: u32, max: u32) -> Option<u32> {
    let v = values(set);
    let (&first, &second) = (v.first()?, v.get(1)?);
    let step = second - first;
    let expected: Vec<u32> = (min..=max).step_by(usize::try_from(step).ok()?).collect();
    (first == min && step > 1 && v == expected).then_some(step)
}

/// `a`, `a and b`, `a, b and c`.
fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Whether the values are consecutive (and at least three).
fn is_run(v: &[u32]) -> bool {
    v.len() >= 3 && v.windows(2).all(|w| w[1] == w[0] + 1)
}

fn plural(n: u32, unit: &str) -> String {
    if n == 1 {
        format!("every {unit}")
    } else {
        format!("every {n} {unit}s")
    }
}

fn time_phrase(spec: &Spec) -> Option<Time> {
    let (secs, mins, hours) = (spec.seconds, spec.minutes, spec.hours);
    let all_secs = full(secs, 0, 59);
    let all_mins = full(mins, 0, 59);
    let all_hours = full(hours, 0, 23);
    let zero_sec = secs == 1;
    if all_hours {
        if all_mins && all_secs {
            return Some(Time::Interval("every second".into()));
        }
        if all_mins && let Some(n) = step_from_start(secs, 0, 59) {
            return Some(Time::Interval(plural(n, "second")));
        }
        if all_mins && zero_sec {
            return Some(Time::Interval("every minute".into()));
        }
        if zero_sec && let Some(n) = step_from_start(mins, 0, 59) {
            return Some(Time::Interval(plural(n, "minute")));
        }
        if zero_sec && let [m] = values(mins)[..] {
            return Some(Time::Interval(format!("every hour at :{m:02}")));
        }
        return None;
    }
    let single_sec = values(secs);
    let [sec] = single_sec[..] else {
        return None;
    };
    let hour_list = values(hours);
    if all_mins && zero_sec {
        return Some(Time::Interval(format!(
            "every minute {}",
            hour_span(&hour_list)?
        )));
    }
    if let Some(n) = step_from_start(mins, 0, 59)
        && zero_sec
    {
        return Some(Time::Interval(format!(
            "{} {}",
            plural(n, "minute"),
            hour_span(&hour_list)?
        )));
    }
    let minute_list = values(mins);
    if let Some(n) = step_from_start(hours, 0, 23)
        && let [m] = minute_list[..]
        && zero_sec
    {
        return Some(Time::Interval(format!("{} at :{m:02}", plural(n, "hour"))));
    }
    if hour_list.len() * minute_list.len() > MAX_TIMES {
        return None;
    }
    let times: Vec<String> = hour_list
        .iter()
        .flat_map(|h| {
            minute_list.iter().map(move |m| {
                if sec == 0 {
                    format!("{h:02}:{m:02}")
                } else {
                    format!("{h:02}:{m:02}:{sec:02}")
                }
            })
        })
        .collect();
    Some(Time::Fixed(format!("at {}", join(&times))))
}

/// "from 09:00 to 17:59" for consecutive hours, "in hours 02, 04 and 06" for a few others.
fn hour_span(hours: &[u32]) -> Option<String> {
    match hours {
        [h] => Some(format!("from {h:02}:00 to {h:02}:59")),
        [first, .., last] if hours.windows(2).all(|w| w[1] == w[0] + 1) => {
            Some(format!("from {first:02}:00 to {last:02}:59"))
        }
        _ if hours.len() <= MAX_LISTED => {
            let listed: Vec<String> = hours.iter().map(|h| format!("{h:02}")).collect();
            Some(format!("in hours {}", join(&listed)))
        }
        _ => None,
    }
}

/// The day and month fields in words; `None` inside for every day of every month.
fn day_phrase(spec: &Spec) -> Option<Option<String>> {
    let all_dom = full(spec.days_of_month, 1, 31);
    let all_dow = full(spec.days_of_week, 0, 6);
    let all_months = full(spec.months, 1, 12);
    let months = if all_months {
        None
    } else {
        Some(month_words(spec.months)?)
    };
    let phrase = match (all_dom, all_dow) {
        (true, true) => months.map(|m| format!("every day in {m}")),
        (true, false) => Some(with_months(weekday_words(spec.days_of_week)?, months)),
        (false, true) => Some(day_of_month_words(spec.days_of_month, months)?),
        (false, false) if spec.day_or => {
            let dom = day_of_month_words(spec.days_of_month, None)?;
            let dow = weekday_words(spec.days_of_week)?;
            Some(with_months(format!("{dom} or {dow}"), months))
        }
        (false, false) => return None,
    };
    Some(phrase)
}

fn with_months(days: String, months: Option<String>) -> String {
    match months {
        Some(m) => format!("{days} in {m}"),
        None => days,
    }
}

/// "on weekdays", "on weekends", "on Mondays", "from Monday to Thursday", "on Monday and
/// Friday".
fn weekday_words(set: ValueSet) -> Option<String> {
    // Monday first: Sunday (0) ends the week.
    let mut days: Vec<u32> = values(set).into_iter().map(|d| (d + 6) % 7).collect();
    days.sort_unstable();
    let name = |d: u32| WEEKDAY_NAMES[((d + 1) % 7) as usize];
    Some(match days[..] {
        [0, 1, 2, 3, 4] => "on weekdays".into(),
        [5, 6] => "on weekends".into(),
        [d] => format!("on {}s", name(d)),
        [first, .., last] if is_run(&days) => format!("from {} to {}", name(first), name(last)),
        _ => {
            let names: Vec<String> = days.iter().map(|d| name(*d).to_owned()).collect();
            format!("on {}", join(&names))
        }
    })
}

/// "on the 1st of the month", "on the 1st and 15th of January", "on the 1st to the 7th of
/// the month".
fn day_of_month_words(set: ValueSet, months: Option<String>) -> Option<String> {
    let days = values(set);
    let of = months.unwrap_or_else(|| "the month".into());
    let listed = match days[..] {
        [first, .., last] if is_run(&days) => {
            format!("the {} to the {}", ordinal(first), ordinal(last))
        }
        _ if days.len() <= MAX_LISTED => {
            let names: Vec<String> = days.iter().map(|d| ordinal(*d)).collect();
            format!("the {}", join(&names))
        }
        _ => return None,
    };
    Some(format!("on {listed} of {of}"))
}

/// "January", "March to May", "January and July".
fn month_words(set: ValueSet) -> Option<String> {
    let months = values(set);
    let name = |m: u32| MONTH_NAMES[(m - 1) as usize].to_owned();
    match months[..] {
        [first, .., last] if is_run(&months) => Some(format!("{} to {}", name(first), name(last))),
        _ if months.len() <= MAX_LISTED => {
            Some(join(&months.iter().map(|m| name(*m)).collect::<Vec<_>>()))
        }
        _ => None,
    }
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn say(expr: &str) -> String {
        describe(expr, chrono_tz::Europe::Skopje)
    }

    #[test]
    fn common_shapes_are_said_in_words() {
        let cases = [
            ("0 0 * * *", "at 00:00 every day, Europe/Skopje"),
            ("@daily", "at 00:00 every day, Europe/Skopje"),
            ("0 0 0 * * *", "at 00:00 every day, Europe/Skopje"),
            ("* * * * *", "every minute, Europe/Skopje"),
            ("* * * * * *", "every second, Europe/Skopje"),
            ("*/10 * * * * *", "every 10 seconds, Europe/Skopje"),
            ("*/15 * * * *", "every 15 minutes, Europe/Skopje"),
            ("@hourly", "every hour at :00, Europe/Skopje"),
            ("5 * * * *", "every hour at :05, Europe/Skopje"),
            ("30 */6 * * *", "every 6 hours at :30, Europe/Skopje"),
            (
                "0 9,17 * * 1-5",
                "at 09:00 and 17:00 on weekdays, Europe/Skopje",
            ),
            ("30 2 * * *", "at 02:30 every day, Europe/Skopje"),
            ("15 30 2 * * *", "at 02:30:15 every day, Europe/Skopje"),
            ("0 8 * * sat,sun", "at 08:00 on weekends, Europe/Skopje"),
            ("0 8 * * 1", "at 08:00 on Mondays, Europe/Skopje"),
            (
                "0 8 * * 1-4",
                "at 08:00 from Monday to Thursday, Europe/Skopje",
            ),
            (
                "0 8 * * 1,3,5",
                "at 08:00 on Monday, Wednesday and Friday, Europe/Skopje",
            ),
            ("0 8 * * 0", "at 08:00 on Sundays, Europe/Skopje"),
            (
                "0 0 1 * *",
                "at 00:00 on the 1st of the month, Europe/Skopje",
            ),
            ("@yearly", "at 00:00 on the 1st of January, Europe/Skopje"),
            (
                "0 6 1,15 * *",
                "at 06:00 on the 1st and 15th of the month, Europe/Skopje",
            ),
            (
                "0 6 1-7 * *",
                "at 06:00 on the 1st to the 7th of the month, Europe/Skopje",
            ),
            (
                "0 6 22 * *",
                "at 06:00 on the 22nd of the month, Europe/Skopje",
            ),
            (
                "0 0 13 * 5",
                "at 00:00 on the 13th of the month or on Fridays, Europe/Skopje",
            ),
            (
                "0 0 * 3-5 *",
                "at 00:00 every day in March to May, Europe/Skopje",
            ),
            (
                "*/5 2 * * *",
                "every 5 minutes from 02:00 to 02:59, Europe/Skopje",
            ),
            (
                "* 9-17 * * 1-5",
                "every minute from 09:00 to 17:59, on weekdays, Europe/Skopje",
            ),
            (
                "*/30 * * * 1",
                "every 30 minutes, on Mondays, Europe/Skopje",
            ),
        ];
        for (expr, words) in cases {
            assert_eq!(say(expr), words, "{expr}");
        }
    }

    #[test]
    fn shapes_without_a_short_phrase_read_as_the_expression() {
        for expr in [
            "7,19,31,43 1,3,5,7,9,11,13,15 * * *",
            "0 0 */2 * 1",
            "1-50 * * * *",
        ] {
            assert_eq!(say(expr), format!("{expr} (Europe/Skopje)"), "{expr}");
        }
        assert_eq!(say("not cron"), "not cron (Europe/Skopje)");
    }

    #[test]
    fn ordinals() {
        let said: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31]
            .map(ordinal)
            .to_vec();
        assert_eq!(
            said,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"
            ]
        );
    }
}
