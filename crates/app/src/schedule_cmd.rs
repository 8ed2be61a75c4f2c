//! `propimport schedule next`: validates a cron expression and previews its next fire times
//! (local and UTC) with the schedule in words, from now or from any instant (`--from`),
//! marking the fire times a daylight-saving change moved out of a gap or put in a fold.

use std::process::ExitCode;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeDelta, TimeZone as _, Utc};
use chrono_tz::Tz;
use clap::Args;
use propimport_domain::format_utc_millis;
use propimport_http_api::dto::FireTime;
use propimport_scheduler::CronSchedule;
use serde::Serialize;

use crate::usage::usage;

/// What `schedule next` previews.
#[derive(Debug, Args)]
pub struct NextArgs {
    /// The cron expression (5 or 6 fields, or a macro such as @daily).
    #[arg(env = "IMPORT_CRON_SCHEDULE", default_value = "0 0 * * *")]
    pub expression: String,
    /// The IANA time zone.
    #[arg(long, env = "TZ", default_value = "Europe/Skopje")]
    pub tz: String,
    /// How many fire times to print.
    #[arg(short = 'n', long, default_value_t = 10)]
    pub count: usize,
    /// Preview from this instant instead of now: RFC 3339 (2026-10-24T12:00:00Z) or a local
    /// time in the zone ("2026-10-24 12:00"). Fire times moved by a DST gap or falling in a
    /// repeated hour are marked.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Print JSON (times as the API writes them: fire times in UTC `…Z` and local).
    #[arg(long)]
    pub json: bool,
}

/// The local forms `--from` accepts besides RFC 3339.
const LOCAL_FORMATS: [&str; 4] = [
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
];

/// The JSON of `schedule next`: times as the API writes them (fire times as `/status`'s
/// `FireTime`, `from` in UTC with milliseconds).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Preview<'a> {
    expression: &'a str,
    timezone: &'a str,
    description: String,
    from: String,
    next_runs: Vec<PreviewRun>,
}

/// One fire time of the preview, with the mark of a daylight-saving change.
#[derive(Debug, Serialize)]
struct PreviewRun {
    #[serde(flatten)]
    time: FireTime,
    dst: Option<String>,
}

/// `schedule next`: exit code 2 for an invalid expression, zone or `--from`.
pub fn next(args: &NextArgs) -> anyhow::Result<ExitCode> {
    let schedule =
        CronSchedule::parse(&args.expression, &args.tz).map_err(|e| usage(e.to_string()))?;
    let zone = schedule.timezone();
    let from = match &args.from {
        Some(text) => parse_from(text, zone).map_err(|e| usage(format!("--from: {e}")))?,
        None => Utc::now(),
    };
    // A fire time exactly at `--from` is shown too.
    let after = from
        .checked_sub_signed(TimeDelta::seconds(1))
        .unwrap_or(from);
    let times = schedule.next_runs(after, args.count);
    if args.json {
        let preview = Preview {
            expression: schedule.expression(),
            timezone: zone.name(),
            description: schedule.describe(),
            from: format_utc_millis(&from),
            next_runs: times
                .iter()
                .map(|t| PreviewRun {
                    time: FireTime::of(*t, Some(zone)),
                    dst: schedule.dst_shift(*t).map(|s| s.to_string()),
                })
                .collect(),
        };
        println!("{}", serde_json::to_string(&preview)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{schedule}: {}", schedule.describe());
    if args.from.is_some() {
        println!(
            "from {}",
            from.with_timezone(&zone).format("%a %Y-%m-%d %H:%M:%S %Z")
        );
    }
    for t in times {
        let mark = schedule
            .dst_shift(t)
            .map(|s| format!("   {s}"))
            .unwrap_or_default();
        println!(
            "  {}   {}{mark}",
            t.with_timezone(&zone).format("%a %Y-%m-%d %H:%M:%S %Z"),
            t.format("%Y-%m-%dT%H:%M:%SZ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads `--from`: RFC 3339, or a local time in `zone` (the first instant of a repeated
/// one; a time the clock skips is refused).
fn parse_from(text: &str, zone: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = LOCAL_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .ok_or_else(|| {
            format!(
                "{text:?} is not a time: expected RFC 3339 (2026-10-24T12:00:00Z) or \"YYYY-MM-DD HH:MM\" in {}",
                zone.name()
            )
        })?;
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "{text:?} does not exist in {} (the clock skips it)",
            zone.name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_takes_rfc3339_or_local_time_in_the_zone() {
        let skopje = chrono_tz::Europe::Skopje;
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            parse_from("2026-10-24T12:00:00Z", skopje),
            Ok(utc("2026-10-24T12:00:00Z"))
        );
        assert_eq!(
            parse_from("2026-10-24 12:00", skopje),
            Ok(utc("2026-10-24T10:00:00Z")),
            "CEST"
        );
        assert_eq!(
            parse_from("2026-10-25 02:30", skopje),
            Ok(utc("2026-10-25T00:30:00Z")),
            "the first of a repeated time"
        );
        let gap = parse_from("2026-03-29 02:30", skopje).unwrap_err();
        assert!(gap.contains("does not exist"), "{gap}");
        let bad = parse_from("tomorrow", skopje).unwrap_err();
        assert!(bad.contains("\"tomorrow\" is not a time"), "{bad}");
    }
}
