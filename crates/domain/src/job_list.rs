//! Lists of many jobs: what each job's executions say ([`JobOutcome`]), the facts a job list
//! is filtered on ([`JobFacts`]), a search, filter and page of it ([`JobQuery`]) and the
//! summary of every job whatever the filter ([`JobSummary`]). The admin API's `/status` and
//! the command line's `jobs list` both use them, so they filter, page and count alike.

use chrono::{DateTime, Utc};

use crate::{Error, ExecutionStatus, JobName, JobPageLimit, Pagination};

/// What a job's recorded executions say about it, read for many jobs at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOutcome {
    /// The job.
    pub job_name: JobName,
    /// The status of its most recently started execution.
    pub last_status: ExecutionStatus,
    /// The status of its most recently started finished execution (the newest one unless that
    /// is still RUNNING); `None` while its first run is in progress.
    pub last_finished: Option<ExecutionStatus>,
    /// Failed runs (ticks) in a row as of that finished execution; 0 without one.
    pub consecutive_failures: i32,
    /// When its last SUCCESS or PARTIAL run ended (the later of the newest of each).
    pub last_success_at: Option<DateTime<Utc>>,
}

impl JobOutcome {
    /// Whether the job's latest finished run failed (it stays failing while a new run is in
    /// progress, until one ends SUCCESS or PARTIAL).
    pub fn is_failing(&self) -> bool {
        self.last_finished == Some(ExecutionStatus::Failed)
    }
}

/// One configured job as a list filters and counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFacts {
    /// The job.
    pub job_name: JobName,
    /// Whether a run of it is in progress (on any replica).
    pub running: bool,
    /// Whether it is late (a tick without a run past the lateness grace).
    pub late: bool,
    /// Whether it is paused.
    pub paused: bool,
    /// What its executions say; `None` when it has never run.
    pub outcome: Option<JobOutcome>,
}

impl JobFacts {
    /// The status of its most recent execution, if it has one.
    pub fn last_status(&self) -> Option<ExecutionStatus> {
        self.outcome.as_ref().map(|o| o.last_status)
    }

    /// Whether its latest finished run failed.
    pub fn failing(&self) -> bool {
        self.outcome.as_ref().is_some_and(JobOutcome::is_failing)
    }
}

/// A search of job names: a case-insensitive part of the name, 1 to [`JobName::MAX_LEN`]
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSearch(String);

impl JobSearch {
    /// Checks a search text (parameter `q`), trimmed.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        let chars = text.chars().count();
        if chars == 0 || chars > JobName::MAX_LEN {
            return Err(Error::invalid(
                "q",
                format!(
                    "q must be 1 to {} characters of a job's name, got {chars}",
                    JobName::MAX_LEN
                ),
            ));
        }
        Ok(Self(text.to_lowercase()))
    }

    /// Whether `name` contains the search, ignoring case.
    pub fn matches(&self, name: &JobName) -> bool {
        name.as_str().to_lowercase().contains(&self.0)
    }

    /// The search as it is compared (lower case).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which jobs a list shows; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// Names containing this.
    pub search: Option<JobSearch>,
    /// Jobs whose most recent execution has this status.
    pub last_status: Option<ExecutionStatus>,
    /// Jobs whose latest finished run failed (`true`) or did not (`false`).
    pub failing: Option<bool>,
    /// Late jobs, or jobs that are not late.
    pub late: Option<bool>,
    /// Paused jobs, or jobs that are not paused.
    pub paused: Option<bool>,
    /// Jobs with a run in progress, or without.
    pub running: Option<bool>,
}

impl JobFilter {
    /// Whether `job` passes every condition.
    pub fn matches(&self, job: &JobFacts) -> bool {
        let wanted = |want: Option<bool>, is: bool| want.is_none_or(|w| w == is);
        self.search
            .as_ref()
            .is_none_or(|s| s.matches(&job.job_name))
            && self
                .last_status
                .is_none_or(|s| job.last_status() == Some(s))
            && wanted(self.failing, job.failing())
            && wanted(self.late, job.late)
            && wanted(self.paused, job.paused)
            && wanted(self.running, job.running)
    }
}

/// A page of the jobs that pass a filter, in configuration order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobQuery {
    /// Which jobs.
    pub filter: JobFilter,
    /// How many at most.
    pub limit: JobPageLimit,
    /// How many matching jobs to skip.
    pub offset: u64,
}

impl JobQuery {
    /// The page of `jobs` this query asks for, and where it stands among the matches.
    pub fn select<'a>(&self, jobs: &'a [JobFacts]) -> (Vec<&'a JobFacts>, Pagination) {
        let skip = usize::try_from(self.offset).unwrap_or(usize::MAX);
        let take = usize::try_from(self.limit.get()).unwrap_or(usize::MAX);
        let mut total = 0usize;
        let mut page = Vec::new();
        for job in jobs.iter().filter(|j| self.filter.matches(j)) {
            if total >= skip && page.len() < take {
                page.push(job);
            }
            total += 1;
        }
        let end = self.offset.saturating_add(u64::from(self.limit.get()));
        let pagination = Pagination {
            total: i64::try_from(total).unwrap_or(i64::MAX),
            limit: self.limit.get(),
            offset: self.offset,
            has_more: u64::try_from(total).is_ok_and(|t| end < t),
        };
        (page, pagination)
    }
}

/// Counts of jobs by the status of their most recent execution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LastStatusCounts {
    /// Jobs whose last execution is RUNNING.
    pub running: u64,
    /// SUCCESS.
    pub success: u64,
    /// FAILED.
    pub failed: u64,
    /// PARTIAL.
    pub partial: u64,
}

/// Every configured job counted, whatever a list's filter and page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobSummary {
    /// Configured jobs.
    pub total: u64,
    /// With a run in progress.
    pub running: u64,
    /// Paused.
    pub paused: u64,
    /// Late.
    pub late: u64,
    /// Whose latest finished run failed.
    pub failing: u64,
    /// Without any execution.
    pub never_run: u64,
    /// By the status of their most recent execution.
    pub by_last_status: LastStatusCounts,
}

impl JobSummary {
    /// Counts `jobs`.
    pub fn of(jobs: &[JobFacts]) -> Self {
        let mut s = Self::default();
        for job in jobs {
            s.total += 1;
            s.running += u64::from(job.running);
            s.paused += u64::from(job.paused);
            s.late += u64::from(job.late);
            s.failing += u64::from(job.failing());
            let by = &mut s.by_last_status;
            match job.last_status() {
                None => s.never_run += 1,
                Some(ExecutionStatus::Running) => by.running += 1,
                Some(ExecutionStatus::Success) => by.success += 1,
                Some(ExecutionStatus::Failed) => by.failed += 1,
                Some(ExecutionStatus::Partial) => by.partial += 1,
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(
        name: &str,
        last: Option<ExecutionStatus>,
        finished: Option<ExecutionStatus>,
    ) -> JobFacts {
        let job_name = JobName::parse(name).unwrap_or_else(|_| JobName::default_import());
        JobFacts {
            job_name: job_name.clone(),
            running: last == Some(ExecutionStatus::Running),
            late: false,
            paused: false,
            outcome: last.map(|last_status| JobOutcome {
                job_name,
                last_status,
                last_finished: finished,
                consecutive_failures: i32::from(finished == Some(ExecutionStatus::Failed)),
                last_success_at: None,
            }),
        }
    }

    fn jobs() -> Vec<JobFacts> {
        use ExecutionStatus::{Failed, Partial, Running, Success};
        let mut paused = facts("Kyero-Costa", Some(Success), Some(Success));
        paused.paused = true;
        let mut late = facts("reso-mls-1", None, None);
        late.late = true;
        vec![
            paused,
            facts("kyero-north", Some(Failed), Some(Failed)),
            facts("reso-mls-2", Some(Running), Some(Failed)),
            facts("blm-uk", Some(Partial), Some(Partial)),
            late,
        ]
    }

    fn names(page: &[&JobFacts]) -> Vec<String> {
        page.iter().map(|j| j.job_name.to_string()).collect()
    }

    #[test]
    fn filters_combine_and_search_ignores_case() {
        let jobs = jobs();
        let query = |filter: JobFilter| JobQuery {
            filter,
            ..JobQuery::default()
        };
        let kyero = JobFilter {
            search: Some(JobSearch::parse(" KYERO ").unwrap()),
            ..JobFilter::default()
        };
        let (page, p) = query(kyero.clone()).select(&jobs);
        assert_eq!(names(&page), ["Kyero-Costa", "kyero-north"]);
        assert_eq!((p.total, p.has_more), (2, false));
        let failing = JobFilter {
            failing: Some(true),
            ..JobFilter::default()
        };
        // A job whose latest finished run failed stays failing while it runs again.
        assert_eq!(
            names(&query(failing.clone()).select(&jobs).0),
            ["kyero-north", "reso-mls-2"]
        );
        let both = JobFilter {
            failing: Some(true),
            ..kyero
        };
        assert_eq!(names(&query(both).select(&jobs).0), ["kyero-north"]);
        let not_paused_partial = JobFilter {
            paused: Some(false),
            last_status: Some(ExecutionStatus::Partial),
            ..JobFilter::default()
        };
        assert_eq!(
            names(&query(not_paused_partial).select(&jobs).0),
            ["blm-uk"]
        );
        let late = JobFilter {
            late: Some(true),
            running: Some(false),
            ..JobFilter::default()
        };
        assert_eq!(names(&query(late).select(&jobs).0), ["reso-mls-1"]);
    }

    #[test]
    fn pages_count_every_match() {
        let jobs = jobs();
        let q = JobQuery {
            limit: JobPageLimit::new(2).unwrap(),
            offset: 1,
            ..JobQuery::default()
        };
        let (page, p) = q.select(&jobs);
        assert_eq!(names(&page), ["kyero-north", "reso-mls-2"]);
        assert_eq!((p.total, p.limit, p.offset, p.has_more), (5, 2, 1, true));
        let past = JobQuery {
            offset: 9,
            ..JobQuery::default()
        };
        let (page, p) = past.select(&jobs);
        assert!(page.is_empty());
        assert_eq!((p.total, p.has_more), (5, false));
    }

    #[test]
    fn the_summary_counts_every_job() {
        let s = JobSummary::of(&jobs());
        assert_eq!(
            (s.total, s.running, s.paused, s.late, s.failing, s.never_run),
            (5, 1, 1, 1, 2, 1)
        );
        assert_eq!(
            s.by_last_status,
            LastStatusCounts {
                running: 1,
                success: 1,
                failed: 1,
                partial: 1
            }
        );
    }

    #[test]
    fn bad_values_name_the_parameter() {
        for bad in ["", "  ", &"x".repeat(JobName::MAX_LEN + 1)] {
            let e = JobSearch::parse(bad).unwrap_err().to_string();
            assert!(e.starts_with("q: q must be 1 to"), "{e}");
        }
        assert!(JobSearch::parse(&"x".repeat(JobName::MAX_LEN)).is_ok());
        for bad in [0, -1, 501] {
            let e = JobPageLimit::new(bad).unwrap_err().to_string();
            assert!(e.contains("limit must be between 1 and 500"), "{e}");
        }
        assert_eq!(JobPageLimit::new(500).unwrap().get(), 500);
    }
}
