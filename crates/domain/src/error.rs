//! The one error type of the domain and of every port.

use chrono::{DateTime, Utc};

use crate::{ExecutionId, ExecutionStatus, JobName};

/// A result whose error is the domain's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a port or a domain constructor can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A run of this job is already in progress (here or on another replica).
    #[error("a run of job {job_name} is already RUNNING (id {execution_id})")]
    AlreadyRunning {
        /// The job that was asked to run.
        job_name: JobName,
        /// The execution that is running now.
        execution_id: ExecutionId,
    },
    /// The scheduled tick already has an execution (another replica claimed it).
    #[error("the tick {scheduled_for} of job {job_name} already has an execution")]
    TickAlreadyClaimed {
        /// The job of the tick.
        job_name: JobName,
        /// The tick's scheduled time.
        scheduled_for: DateTime<Utc>,
    },
    /// The execution was expected to be RUNNING but is not (finished or recovered as abandoned).
    #[error("execution {execution_id} is not RUNNING (it is {status})")]
    NotRunning {
        /// The execution.
        execution_id: ExecutionId,
        /// Its current status.
        status: ExecutionStatus,
    },
    /// No execution has this id.
    #[error("execution {0} not found")]
    NotFound(ExecutionId),
    /// A value given by a caller is invalid; `parameter` names it.
    #[error("{parameter}: {message}")]
    InvalidParameter {
        /// The parameter's name, as the caller spelled it.
        parameter: String,
        /// What is wrong, in a sentence.
        message: String,
    },
    /// The storage cannot be reached right now (connection refused, pool timeout).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The storage failed in an unexpected way, or holds data that cannot be read.
    ///
    /// `message` says what failed with the words of the error beneath, so that a log line of
    /// this error alone says everything; that error itself, when there is one, is its
    /// [`source`](std::error::Error::source), down to the driver's.
    #[error("storage error: {message}")]
    Storage {
        /// What failed, in a sentence.
        message: String,
        /// The error that caused it, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl Error {
    /// Builds an [`Error::InvalidParameter`].
    pub fn invalid(parameter: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidParameter {
            parameter: parameter.into(),
            message: message.into(),
        }
    }

    /// Builds an [`Error::Storage`] with no error beneath it (an invariant the storage broke).
    pub fn storage(message: impl Into<String>) -> Self {
        Self::Storage {
            message: message.into(),
            source: None,
        }
    }

    /// Builds an [`Error::Storage`] caused by `source` (a driver's error, say): the message is
    /// the source's own words, and the source stays reachable through
    /// [`source`](std::error::Error::source).
    pub fn storage_source(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let source = source.into();
        Self::Storage {
            message: source.to_string(),
            source: Some(source),
        }
    }

    /// Builds an [`Error::Storage`] caused by `source`: the message is `context` followed by
    /// the source's own words, and the source stays reachable through
    /// [`source`](std::error::Error::source).
    pub fn storage_caused_by(
        context: &str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let source = source.into();
        Self::Storage {
            message: format!("{context}: {source}"),
            source: Some(source),
        }
    }
}

/// Errors are equal when they are the same case with the same values; storage errors when their
/// messages are (the errors beneath cannot be compared).
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Self::AlreadyRunning {
                    job_name: a,
                    execution_id: x,
                },
                Self::AlreadyRunning {
                    job_name: b,
                    execution_id: y,
                },
            ) => a == b && x == y,
            (
                Self::TickAlreadyClaimed {
                    job_name: a,
                    scheduled_for: x,
                },
                Self::TickAlreadyClaimed {
                    job_name: b,
                    scheduled_for: y,
                },
            ) => a == b && x == y,
            (
                Self::NotRunning {
                    execution_id: a,
                    status: x,
                },
                Self::NotRunning {
                    execution_id: b,
                    status: y,
                },
            ) => a == b && x == y,
            (Self::NotFound(a), Self::NotFound(b)) => a == b,
            (
                Self::InvalidParameter {
                    parameter: a,
                    message: x,
                },
                Self::InvalidParameter {
                    parameter: b,
                    message: y,
                },
            ) => a == b && x == y,
            (Self::Unavailable(a), Self::Unavailable(b)) => a == b,
            (Self::Storage { message: a, .. }, Self::Storage { message: b, .. }) => a == b,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the driver's words")]
    struct DriverError;

    #[test]
    fn a_storage_error_keeps_its_cause_as_its_source() {
        let e = Error::storage_caused_by("cannot read status", DriverError);
        assert_eq!(
            e.to_string(),
            "storage error: cannot read status: the driver's words"
        );
        let source = e.source().expect("a source");
        assert!(source.downcast_ref::<DriverError>().is_some(), "{source:?}");
        assert!(source.source().is_none());
    }

    #[test]
    fn a_storage_error_without_a_cause_has_no_source() {
        let e = Error::storage("connection already released");
        assert_eq!(e.to_string(), "storage error: connection already released");
        assert!(e.source().is_none());
    }
}
