//! Operator control of jobs and runs: a paused job (its scheduled ticks are skipped by every
//! instance until it is resumed) and a request to cancel a running execution (seen by the
//! instance running it at its next heartbeat).

use chrono::{DateTime, Utc};

use crate::JobName;

/// The longest pause reason kept, in characters; a longer one is cut.
pub const MAX_PAUSE_REASON_CHARS: usize = 500;

/// A paused job: who paused it, when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPause {
    /// The job.
    pub job_name: JobName,
    /// Who paused it (`token:admin`, `jwt:<subject>`, `cli:<user>`).
    pub paused_by: String,
    /// When.
    pub paused_at: DateTime<Utc>,
    /// Why, when the operator said.
    pub reason: Option<String>,
}

impl JobPause {
    /// A pause of `job` by `by` at `at`; a blank reason is none, a long one is cut to
    /// [`MAX_PAUSE_REASON_CHARS`].
    pub fn new(
        job: JobName,
        by: impl Into<String>,
        at: DateTime<Utc>,
        reason: Option<&str>,
    ) -> Self {
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| r.chars().take(MAX_PAUSE_REASON_CHARS).collect());
        Self {
            job_name: job,
            paused_by: by.into(),
            paused_at: at,
            reason,
        }
    }
}

/// A request to cancel a running execution: who asked, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelRequest {
    /// Who asked (`token:admin`, `jwt:<subject>`, `cli:<user>`).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl CancelRequest {
    /// A request by `by` at `at`.
    pub fn new(by: impl Into<String>, at: DateTime<Utc>) -> Self {
        Self { by: by.into(), at }
    }

    /// The `lastError` of a run stopped for this request: `cancelled by <actor>`.
    pub fn last_error(&self) -> String {
        format!("cancelled by {}", self.by)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_trimmed_and_cut() {
        let at = Utc::now();
        let job = JobName::default_import();
        assert_eq!(JobPause::new(job.clone(), "a", at, Some("  ")).reason, None);
        assert_eq!(
            JobPause::new(job.clone(), "a", at, Some(" upgrade ")).reason,
            Some("upgrade".to_owned())
        );
        let long = "x".repeat(MAX_PAUSE_REASON_CHARS + 10);
        let cut = JobPause::new(job, "a", at, Some(&long)).reason.unwrap();
        assert_eq!(cut.chars().count(), MAX_PAUSE_REASON_CHARS);
        assert_eq!(
            CancelRequest::new("cli:ana", at).last_error(),
            "cancelled by cli:ana"
        );
    }
}
