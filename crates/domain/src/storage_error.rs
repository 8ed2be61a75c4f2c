//! How storage errors (unavailable or failed) are built, with their cause kept as their
//! source, and how errors compare: the [`Error`] type itself is at the crate root.

use crate::Error;

impl Error {
    /// Builds an [`Error::Unavailable`] with no error beneath it (a bound that ran out).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable {
            message: message.into(),
            source: None,
        }
    }

    /// Builds an [`Error::Unavailable`] caused by `source` (a refused connection, say): the
    /// message is `message` as given, and the source stays reachable through
    /// [`source`](std::error::Error::source).
    pub fn unavailable_because(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Unavailable {
            message: message.into(),
            source: Some(source.into()),
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
            (Self::Unavailable { message: a, .. }, Self::Unavailable { message: b, .. }) => a == b,
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
    fn an_unavailable_store_keeps_its_cause_as_its_source() {
        let e = Error::unavailable_because("cannot connect: the driver's words", DriverError);
        assert_eq!(
            e.to_string(),
            "storage unavailable: cannot connect: the driver's words"
        );
        let source = e.source().expect("a source");
        assert!(source.downcast_ref::<DriverError>().is_some(), "{source:?}");
        let bound = Error::unavailable("no answer within 5 s");
        assert!(bound.source().is_none());
        assert_eq!(bound, Error::unavailable("no answer within 5 s"));
    }

    #[test]
    fn a_storage_error_without_a_cause_has_no_source() {
        let e = Error::storage("connection already released");
        assert_eq!(e.to_string(), "storage error: connection already released");
        assert!(e.source().is_none());
    }
}
