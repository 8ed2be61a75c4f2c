//! How `propimport import` shows a run's progress while it goes: a bar on a terminal (bytes
//! or records, rate, time left), plain lines every few seconds otherwise; and the log writer
//! that keeps log lines off the bar (they are written while it is hidden, then it is drawn
//! again below them).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use indicatif::{HumanBytes, HumanCount, ProgressBar, ProgressDrawTarget, ProgressStyle};
use propimport_domain::{JobName, Pace, Progress};

/// The bar being drawn, if any. The log subscriber is process-wide, so the bar it must hide
/// while it writes is kept where it can reach it; only [`Shown`] sets and clears it.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Where progress goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A bar redrawn in place on the terminal (stderr).
    Bar,
    /// A plain line on stderr every so often (a pipe, a file, a log collector).
    Lines {
        /// How often.
        every: Duration,
    },
}

/// The progress of one run being shown; [`Shown::finish`] takes it off the screen.
pub struct Shown {
    name: JobName,
    started_at: DateTime<Utc>,
    style: Style,
    bar: Option<ProgressBar>,
    last_line: Option<std::time::Instant>,
}

impl Shown {
    /// Starts showing the run of `name` that started at `started_at`.
    pub fn start(name: JobName, started_at: DateTime<Utc>, style: Style) -> Self {
        let bar = (style == Style::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(spinner_style());
            bar.set_prefix(name.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            *ACTIVE_BAR.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar.clone());
            bar
        });
        Self {
            name,
            started_at,
            style,
            bar,
            last_line: None,
        }
    }

    /// Shows `progress` as of `now`: redraws the bar, or prints a line when one is due.
    pub fn show(&mut self, progress: &Progress, now: DateTime<Utc>) {
        let pace = Pace::of(progress, now - self.started_at);
        if let Some(bar) = &self.bar {
            match pace.percent {
                Some(percent) => {
                    if bar.length().is_none() {
                        bar.set_length(1000);
                        bar.set_style(bar_style());
                    }
                    #[expect(clippy::cast_possible_truncation, reason = "0 to 1000")]
                    #[expect(clippy::cast_sign_loss, reason = "0 to 1000")]
                    bar.set_position((percent * 10.0).round() as u64);
                }
                None => bar.tick(),
            }
            bar.set_message(summary(progress, &pace));
            return;
        }
        let Style::Lines { every } = self.style else {
            return;
        };
        let due = self.last_line.is_none_or(|at| at.elapsed() >= every);
        if due && pace.processed > 0 {
            self.last_line = Some(std::time::Instant::now());
            let elapsed = (now - self.started_at).to_std().unwrap_or_default();
            eprintln!(
                "{}: {} ({} elapsed)",
                self.name,
                summary(progress, &pace),
                duration(elapsed)
            );
        }
    }

    /// Prints a line above the bar (or as it is without one).
    pub fn say(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Takes the bar off the screen (nothing is left of it); later lines start clean.
    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            *ACTIVE_BAR.lock().unwrap_or_else(PoisonError::into_inner) = None;
            bar.finish_and_clear();
        }
    }
}

/// Records, the pace, what is left and the records in words, the shortest first (a narrow
/// terminal cuts the end): "1,200 records · 400/s · 37.5% · 5 s left · 3.00 MiB of 8.00 MiB ·
/// 1,000 new or updated, 190 unchanged, 10 failed".
pub fn summary(progress: &Progress, pace: &Pace) -> String {
    let c = &progress.counts;
    let count = |n: i64| HumanCount(u64::try_from(n).unwrap_or(0)).to_string();
    let mut parts = vec![
        format!("{} records", count(pace.processed)),
        format!("{}/s", rate(pace.rate_per_second)),
    ];
    if let Some(percent) = pace.percent {
        parts.push(format!("{percent:.1}%"));
    }
    if let Some(eta) = pace.eta_seconds {
        let eta = Duration::from_secs(u64::try_from(eta).unwrap_or(0));
        parts.push(format!("{} left", duration(eta)));
    }
    match (
        progress.bytes_read,
        progress.bytes_total,
        progress.expected_total,
    ) {
        (_, _, Some(total)) => parts.push(format!("of {}", count(total))),
        (Some(read), Some(total), None) => {
            parts.push(format!("{} of {}", HumanBytes(read), HumanBytes(total)));
        }
        (Some(read), None, None) if read > 0 => parts.push(format!("{} read", HumanBytes(read))),
        _ => {}
    }
    parts.push(format!(
        "{} new or updated, {} unchanged, {} failed",
        count(c.success_count),
        count(c.skipped_count),
        count(c.failed_count),
    ));
    parts.join(" · ")
}

/// A rate as "412", "12.5" or "0.3".
fn rate(per_second: f64) -> String {
    if per_second >= 100.0 {
        #[expect(clippy::cast_possible_truncation, reason = "a rate far below 2^63")]
        #[expect(clippy::cast_sign_loss, reason = "at least 100 here")]
        HumanCount(per_second.round() as u64).to_string()
    } else {
        format!("{per_second:.1}")
    }
}

/// A duration as "45 s", "3 min 05 s" or "2 h 07 min".
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {prefix}  {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {prefix}  [{bar:24}] {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// The log subscriber's writer: stderr, with the progress bar hidden while a line is written.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}

impl std::io::Write for LogWriter {
    /// Writes all of `buf` (one formatted event) at once, so a line is never split by a
    /// redraw of the bar.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bar = ACTIVE_BAR
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match bar {
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use propimport_domain::RunCounts;

    use super::*;

    fn progress(total: i64, stored: i64, unchanged: i64, failed: i64) -> Progress {
        Progress {
            counts: RunCounts {
                total_properties: total,
                success_count: stored,
                failed_count: failed,
                skipped_count: unchanged,
            },
            ..Progress::default()
        }
    }

    #[test]
    fn a_line_says_what_happened_and_how_fast() {
        let p = Progress {
            bytes_read: Some(3 << 20),
            bytes_total: Some(8 << 20),
            ..progress(1200, 1000, 190, 10)
        };
        let pace = Pace::of(&p, TimeDelta::seconds(3));
        assert_eq!(
            summary(&p, &pace),
            "1,200 records · 400/s · 37.5% · 5 s left · 3.00 MiB of 8.00 MiB · 1,000 new or updated, 190 unchanged, 10 failed"
        );
        let unknown = progress(7, 7, 0, 0);
        let pace = Pace::of(&unknown, TimeDelta::seconds(2));
        assert_eq!(
            summary(&unknown, &pace),
            "7 records · 3.5/s · 7 new or updated, 0 unchanged, 0 failed"
        );
        let counted = Progress {
            expected_total: Some(20),
            ..progress(5, 5, 0, 0)
        };
        let pace = Pace::of(&counted, TimeDelta::seconds(1));
        assert_eq!(
            summary(&counted, &pace),
            "5 records · 5.0/s · 25.0% · 3 s left · of 20 · 5 new or updated, 0 unchanged, 0 failed"
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(Duration::from_secs(45)), "45 s");
        assert_eq!(duration(Duration::from_secs(185)), "3 min 05 s");
        assert_eq!(duration(Duration::from_secs(7620)), "2 h 07 min");
    }
}
