//! How far a running import has come and how fast: its rate, the share done and the time
//! left, computed in this one place for the API (and so the dashboard) and the command line.

use chrono::{DateTime, TimeDelta, Utc};

use crate::Progress;

/// A run's progress as the instance running it sees it (from memory, not from its last
/// heartbeat), and when it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveProgress {
    /// The counts, bytes and expected total so far.
    pub progress: Progress,
    /// When they were read.
    pub as_of: DateTime<Utc>,
}

/// The pace of a run at one instant: derived from its [`Progress`] and how long it has run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// Records processed so far (new, updated, unchanged and failed).
    pub processed: i64,
    /// Records processed per second since the run started (0 before a whole millisecond).
    pub rate_per_second: f64,
    /// The share done, 0 to 100 with one decimal, when the source's size is known: records
    /// against the expected total when the source says how many, else bytes read against the
    /// feed's size.
    pub percent: Option<f64>,
    /// The seconds left at the pace so far (rounded up), when the share done is known and
    /// above zero.
    pub eta_seconds: Option<i64>,
}

impl Pace {
    /// The pace of `progress` after the run has gone on for `elapsed` (a negative duration,
    /// from clocks apart, counts as none).
    pub fn of(progress: &Progress, elapsed: TimeDelta) -> Self {
        let processed = progress.counts.total_properties.max(0);
        #[expect(clippy::cast_precision_loss, reason = "milliseconds far below 2^52")]
        let seconds = elapsed.num_milliseconds().max(0) as f64 / 1000.0;
        #[expect(clippy::cast_precision_loss, reason = "record counts far below 2^52")]
        let rate_per_second = if seconds > 0.0 {
            processed as f64 / seconds
        } else {
            0.0
        };
        let done = share_done(progress, processed);
        let percent = done.map(|d| (d * 1000.0).floor() / 10.0);
        let eta_seconds = done.and_then(|d| {
            if d >= 1.0 {
                Some(0)
            } else if d > 0.0 && seconds > 0.0 {
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "bounded: a share above zero of a run's seconds"
                )]
                // Less a microsecond, so that float noise does not round 4 s up to 5.
                Some((seconds * (1.0 - d) / d - 1e-6).ceil().clamp(0.0, 1e12) as i64)
            } else {
                None
            }
        });
        Self {
            processed,
            rate_per_second,
            percent,
            eta_seconds,
        }
    }
}

/// The share done, 0.0 to 1.0, when the source's size is known.
#[expect(
    clippy::cast_precision_loss,
    reason = "counts and sizes far below 2^52"
)]
fn share_done(progress: &Progress, processed: i64) -> Option<f64> {
    let by_records = progress
        .expected_total
        .filter(|&total| total > 0)
        .map(|total| processed as f64 / total as f64);
    let by_bytes = || match (progress.bytes_read, progress.bytes_total) {
        (Some(read), Some(total)) if total > 0 => Some(read as f64 / total as f64),
        _ => None,
    };
    by_records.or_else(by_bytes).map(|d| d.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RunCounts;

    fn progress(processed: i64) -> Progress {
        Progress {
            counts: RunCounts {
                total_properties: processed,
                ..RunCounts::default()
            },
            ..Progress::default()
        }
    }

    #[test]
    fn rate_without_a_known_size() {
        let pace = Pace::of(&progress(500), TimeDelta::seconds(4));
        assert_eq!(pace.processed, 500);
        assert!((pace.rate_per_second - 125.0).abs() < 1e-9);
        assert_eq!((pace.percent, pace.eta_seconds), (None, None));
    }

    #[test]
    fn nothing_elapsed_or_a_clock_behind_is_a_rate_of_zero() {
        for elapsed in [TimeDelta::zero(), TimeDelta::seconds(-3)] {
            let pace = Pace::of(&progress(10), elapsed);
            assert!(pace.rate_per_second.abs() < f64::EPSILON, "{pace:?}");
        }
    }

    #[test]
    fn records_against_the_expected_total() {
        let p = Progress {
            expected_total: Some(1000),
            ..progress(250)
        };
        let pace = Pace::of(&p, TimeDelta::seconds(10));
        assert_eq!(pace.percent, Some(25.0));
        // A quarter in 10 s: three quarters take 30 s more.
        assert_eq!(pace.eta_seconds, Some(30));
    }

    #[test]
    fn bytes_when_the_record_total_is_unknown() {
        let p = Progress {
            bytes_read: Some(1 << 20),
            bytes_total: Some(3 << 20),
            ..progress(90)
        };
        let pace = Pace::of(&p, TimeDelta::seconds(2));
        assert_eq!(pace.percent, Some(33.3));
        assert_eq!(pace.eta_seconds, Some(4));
        // A record total, when the source gives one, wins over bytes.
        let p = Progress {
            expected_total: Some(100),
            ..p
        };
        assert_eq!(Pace::of(&p, TimeDelta::seconds(2)).percent, Some(90.0));
    }

    #[test]
    fn edges_stay_in_range() {
        // More records than announced, or more bytes than the size said (a gzip body).
        let over = Progress {
            expected_total: Some(10),
            ..progress(12)
        };
        let pace = Pace::of(&over, TimeDelta::seconds(1));
        assert_eq!((pace.percent, pace.eta_seconds), (Some(100.0), Some(0)));
        // Nothing done yet: a share, but no time left to tell.
        let none = Progress {
            bytes_read: Some(0),
            bytes_total: Some(100),
            ..progress(0)
        };
        let pace = Pace::of(&none, TimeDelta::seconds(5));
        assert_eq!((pace.percent, pace.eta_seconds), (Some(0.0), None));
        // A zero or negative total says nothing.
        let zero = Progress {
            expected_total: Some(0),
            bytes_read: Some(5),
            bytes_total: Some(0),
            ..progress(5)
        };
        assert_eq!(Pace::of(&zero, TimeDelta::seconds(1)).percent, None);
        // A share so small the time left would overflow stays bounded.
        let tiny = Progress {
            bytes_read: Some(1),
            bytes_total: Some(u64::MAX),
            ..progress(1)
        };
        let eta = Pace::of(&tiny, TimeDelta::days(10_000)).eta_seconds;
        assert!(eta.is_some_and(|s| s > 0), "{eta:?}");
    }
}
