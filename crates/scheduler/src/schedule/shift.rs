//! Why a fire time is not plainly its wall-clock match: moved out of a spring-forward gap,
//! or one of the two occurrences of a fall-back fold. Used to mark previews of a schedule
//! (`propimport schedule next --from …`) around daylight-saving changes.

use std::fmt;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};

use super::CronSchedule;

/// How a daylight-saving change shaped one fire time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DstShift {
    /// The matched wall-clock time does not exist (the clock jumped over it): a fixed-time
    /// job runs at the first instant after the gap instead.
    Moved {
        /// The wall-clock time the expression asked for.
        wanted: NaiveDateTime,
    },
    /// The wall-clock time happens twice (the clock went back) and this is its first
    /// occurrence; `only` when the job runs at the first occurrence only (fixed-time).
    FirstOfFold {
        /// Whether the second occurrence is skipped.
        only: bool,
    },
    /// The second occurrence of a repeated wall-clock time (interval jobs run at both).
    SecondOfFold,
}

impl fmt::Display for DstShift {
    /// Writes "moved: 02:30 does not exist on 2026-03-29", "first of the repeated hour",
    /// "second of the repeated hour".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Moved { wanted } => write!(
                f,
                "moved: {} does not exist on {}",
                wanted.format("%H:%M"),
                wanted.format("%Y-%m-%d")
            ),
            Self::FirstOfFold { only: true } => {
                f.write_str("first of the repeated hour (runs once)")
            }
            Self::FirstOfFold { only: false } => f.write_str("first of the repeated hour"),
            Self::SecondOfFold => f.write_str("second of the repeated hour"),
        }
    }
}

impl CronSchedule {
    /// How a daylight-saving change shaped the fire time `at` (one of this schedule's), if
    /// it did: moved out of a gap, or in a fold.
    pub fn dst_shift(&self, at: DateTime<Utc>) -> Option<DstShift> {
        let wall = at.with_timezone(&self.tz).naive_local();
        match self.tz.from_local_datetime(&wall) {
            LocalResult::Ambiguous(early, late) => {
                if early.with_timezone(&Utc) == at {
                    Some(DstShift::FirstOfFold {
                        only: self.fixed_time,
                    })
                } else if late.with_timezone(&Utc) == at {
                    Some(DstShift::SecondOfFold)
                } else {
                    None
                }
            }
            LocalResult::Single(_) if self.fixed_time => {
                // A gap ends just before `at` when the wall clock one second earlier is
                // more than a second behind; the wanted time is a match inside it.
                let before = at
                    .checked_sub_signed(TimeDelta::seconds(1))?
                    .with_timezone(&self.tz)
                    .naive_local();
                let gap_start = before.checked_add_signed(TimeDelta::seconds(1))?;
                if gap_start >= wall {
                    return None;
                }
                let wanted = self.matcher.next_at_or_after(gap_start)?;
                (wanted < wall).then_some(DstShift::Moved { wanted })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn a_fixed_time_in_the_gap_is_marked_moved() {
        let s = CronSchedule::parse("30 2 * * *", "Europe/Skopje").unwrap();
        let runs = s.next_runs(utc(2026, 3, 27, 12, 0), 3);
        let marks: Vec<Option<String>> = runs
            .iter()
            .map(|t| s.dst_shift(*t).map(|m| m.to_string()))
            .collect();
        assert_eq!(runs[1], utc(2026, 3, 29, 1, 0), "03:00 CEST");
        assert_eq!(
            marks,
            [
                None,
                Some("moved: 02:30 does not exist on 2026-03-29".to_owned()),
                None
            ]
        );
    }

    #[test]
    fn fold_occurrences_are_marked_first_and_second() {
        let fixed = CronSchedule::parse("30 2 * * *", "Europe/Skopje").unwrap();
        let run = fixed.next_after(utc(2026, 10, 24, 12, 0)).unwrap();
        assert_eq!(run, utc(2026, 10, 25, 0, 30), "02:30 CEST");
        assert_eq!(
            fixed.dst_shift(run).map(|m| m.to_string()).as_deref(),
            Some("first of the repeated hour (runs once)")
        );
        let interval = CronSchedule::parse("30 * * * *", "Europe/Skopje").unwrap();
        let runs = interval.next_runs(utc(2026, 10, 25, 0, 0), 2);
        let marks: Vec<_> = runs.iter().map(|t| interval.dst_shift(*t)).collect();
        assert_eq!(
            marks,
            [
                Some(DstShift::FirstOfFold { only: false }),
                Some(DstShift::SecondOfFold)
            ]
        );
        assert_eq!(interval.dst_shift(utc(2026, 6, 1, 10, 30)), None);
    }

    #[test]
    fn interval_jobs_are_never_moved() {
        let s = CronSchedule::parse("*/30 * * * *", "Europe/Skopje").unwrap();
        for t in s.next_runs(utc(2026, 3, 29, 0, 0), 4) {
            assert_eq!(s.dst_shift(t), None, "{t}");
        }
    }
}
