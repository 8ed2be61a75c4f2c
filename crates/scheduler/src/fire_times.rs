//! The next fire times of each job, worked out once per fire: status screens and metrics ask
//! for them for every job, every second or so, and a job's next fire times change only when
//! the first of them has passed.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use propimport_domain::JobName;

use crate::CronSchedule;

/// How many next fire times are kept (and shown) per job.
pub(crate) const KEPT: usize = 5;

/// The next fire times of one job, and the instant they were worked out from.
struct Memo {
    from: DateTime<Utc>,
    times: Vec<DateTime<Utc>>,
}

/// Every job's next fire times.
#[derive(Default)]
pub(crate) struct FireTimes(Mutex<HashMap<JobName, Memo>>);

impl FireTimes {
    /// The next `n` (at most [`KEPT`]) fire times of `job` on `schedule` strictly after `now`.
    ///
    /// Those worked out from an earlier instant still stand while `now` is before the first
    /// of them: no fire time lies between (a clock set back works them out again).
    pub(crate) fn next(
        &self,
        job: &JobName,
        schedule: &CronSchedule,
        now: DateTime<Utc>,
        n: usize,
    ) -> Vec<DateTime<Utc>> {
        let n = n.min(KEPT);
        {
            let memos = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(m) = memos.get(job)
                && m.from <= now
                && m.times.first().is_none_or(|first| now < *first)
            {
                return m.times.iter().take(n).copied().collect();
            }
        }
        let times = schedule.next_runs(now, KEPT);
        let shown = times.iter().take(n).copied().collect();
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(job.clone(), Memo { from: now, times });
        shown
    }

    /// Forgets what was worked out for `job` (its schedule changed, or it was removed).
    pub(crate) fn forget(&self, job: &JobName) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(job);
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    #[test]
    fn kept_times_are_those_worked_out_afresh() {
        let memo = FireTimes::default();
        let job = JobName::parse("feed").unwrap();
        let hourly = CronSchedule::parse("0 * * * *", "UTC").unwrap();
        for (h, m) in [
            (10, 0),
            (10, 1),
            (10, 59),
            (11, 0),
            (11, 30),
            (9, 15),
            (12, 0),
        ] {
            let now = at(h, m);
            assert_eq!(
                memo.next(&job, &hourly, now, 5),
                hourly.next_runs(now, 5),
                "{now}"
            );
            assert_eq!(
                memo.next(&job, &hourly, now, 1),
                hourly.next_runs(now, 1),
                "{now}"
            );
        }
    }
}
