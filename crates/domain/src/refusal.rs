//! Why an operator's request was refused: a trigger ([`TriggerRefusal`]) or a pause, resume
//! or cancel ([`ControlRefusal`]). Each is the one refusal the scheduler gives, the admin
//! API's port passes on and the API answers (mapped to HTTP in one place, `http-api`'s error
//! module).

use crate::{Error, ExecutionId, JobName};

/// Why a manual trigger did not start a run.
///
/// A paused job is no refusal: its scheduled ticks are skipped, but it can still be triggered
/// by hand.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TriggerRefusal {
    /// No configured job has this name.
    #[error("unknown job {name:?}; configured jobs: {configured}")]
    UnknownJob {
        /// The name asked for.
        name: String,
        /// The configured job names, comma-separated.
        configured: String,
    },
    /// Several jobs are configured and none was named.
    #[error("several jobs are configured ({0}); name one")]
    JobRequired(String),
    /// A run of the job is already in progress (here or on another replica).
    #[error("a run of job {job_name} is already in progress")]
    AlreadyRunning {
        /// The job.
        job_name: JobName,
        /// The running execution.
        execution_id: ExecutionId,
    },
    /// The service is shutting down and starts no new runs.
    #[error("the service is shutting down; no new runs start")]
    ShuttingDown,
    /// The execution store is unavailable ([`Error::Unavailable`]) or failed.
    #[error(transparent)]
    Store(Error),
}

/// Why a pause, a resume or a cancel was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ControlRefusal {
    /// No configured job has this name.
    #[error("unknown job {name:?}; configured jobs: {configured}")]
    UnknownJob {
        /// The name asked for.
        name: String,
        /// The configured job names, comma-separated.
        configured: String,
    },
    /// The store refused (the execution is unknown or not running) or failed.
    #[error(transparent)]
    Store(#[from] Error),
}

/// A store's [`Error::AlreadyRunning`] is the refusal [`TriggerRefusal::AlreadyRunning`];
/// any other error is the store's.
impl From<Error> for TriggerRefusal {
    fn from(e: Error) -> Self {
        match e {
            Error::AlreadyRunning {
                job_name,
                execution_id,
            } => Self::AlreadyRunning {
                job_name,
                execution_id,
            },
            other => Self::Store(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn a_store_that_sees_a_run_in_progress_is_the_already_running_refusal() {
        let job_name = JobName::parse("feed").expect("a job name");
        let execution_id = ExecutionId::new();
        let refusal = TriggerRefusal::from(Error::AlreadyRunning {
            job_name: job_name.clone(),
            execution_id,
        });
        assert!(
            matches!(&refusal, TriggerRefusal::AlreadyRunning { job_name: j, execution_id: id } if *j == job_name && *id == execution_id),
            "{refusal:?}"
        );
    }

    #[test]
    fn a_store_failure_keeps_its_words_and_its_source() {
        let refusal = TriggerRefusal::from(Error::storage_caused_by(
            "cannot insert",
            std::io::Error::other("disk full"),
        ));
        assert_eq!(
            refusal.to_string(),
            "storage error: cannot insert: disk full"
        );
        let io = refusal.source().expect("the store's source");
        assert!(io.downcast_ref::<std::io::Error>().is_some(), "{io:?}");
    }
}
