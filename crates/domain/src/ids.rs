//! Identifiers: execution ids and job names, parsed once at the edge.

use std::fmt;

use uuid::Uuid;

use crate::Error;

/// The id of one execution: a time-ordered UUID (v7), written hyphenated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExecutionId(Uuid);

impl ExecutionId {
    /// A new id, ordered after every id made before it by this process.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Parses an id as given in a URL or a database row.
    pub fn parse(text: &str) -> Result<Self, Error> {
        Uuid::try_parse(text).map(Self).map_err(|_| {
            Error::invalid(
                "executionId",
                format!(
                    "expected a UUID such as 0190f5c2-7b7e-7cc0-8f3a-2d1c9e0b6a41, got {text:?}"
                ),
            )
        })
    }

    /// The underlying UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for ExecutionId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ExecutionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The name of a job (one per configured source): 1 to 64 characters from `A-Z a-z 0-9 _ - . :`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobName(String);

impl JobName {
    /// The longest name accepted.
    pub const MAX_LEN: usize = 64;

    /// The job name of the earlier service's single import job.
    pub fn default_import() -> Self {
        Self("property_import".to_owned())
    }

    /// Parses a job name, saying what is wrong with an invalid one.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.is_empty() || text.len() > Self::MAX_LEN {
            return Err(Error::invalid(
                "jobName",
                format!(
                    "must be 1 to {} characters, got {}",
                    Self::MAX_LEN,
                    text.len()
                ),
            ));
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')))
        {
            return Err(Error::invalid(
                "jobName",
                format!("may hold only letters, digits and _ - . : but {text:?} has {bad:?}"),
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_are_checked() {
        assert!(JobName::parse("property_import").is_ok());
        assert!(JobName::parse("kyero:costa-blanca.v2").is_ok());
        assert!(JobName::parse("").is_err());
        assert!(JobName::parse(&"a".repeat(65)).is_err());
        let err = JobName::parse("bad name")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("' '"), "{err}");
    }

    #[test]
    fn execution_ids_round_trip_and_order() {
        let a = ExecutionId::new();
        let b = ExecutionId::new();
        assert!(a < b);
        assert_eq!(ExecutionId::parse(&a.to_string()), Ok(a));
        assert!(ExecutionId::parse("clxxx123456").is_err());
    }
}
