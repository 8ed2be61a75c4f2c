//! Database URLs: which backend, and for SQLite which file.

use std::path::PathBuf;

use crate::PersistenceError;

/// The default database: a SQLite file under `./data/`, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/propimport.db";

/// A parsed `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`, passed to the driver as given.
    Postgres(String),
    /// `sqlite://relative/path.db`, `sqlite:///absolute/path.db` or `sqlite::memory:`.
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// The URL used when `DATABASE_URL` is not set.
    pub fn default_sqlite() -> Self {
        Self::Sqlite(PathBuf::from("data/propimport.db"))
    }

    /// Parses a URL, saying what is wrong with one that is not understood.
    pub fn parse(url: &str) -> Result<Self, PersistenceError> {
        let invalid = |reason: &str| PersistenceError::InvalidUrl {
            url: redact(url),
            reason: reason.to_owned(),
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| {
                invalid("expected postgres://user@host/db or sqlite://path/to/file.db")
            })?;
        if path.is_empty() {
            return Err(invalid(
                "the SQLite URL names no file (try sqlite://data/propimport.db)",
            ));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// The URL for logs and errors, without a password.
    pub fn redacted(&self) -> String {
        match self {
            Self::Postgres(url) => redact(url),
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
        }
    }
}

/// Removes the password from `scheme://user:password@host/…`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_backends() {
        assert_eq!(
            DatabaseUrl::parse(DEFAULT_DATABASE_URL).unwrap(),
            DatabaseUrl::default_sqlite()
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
    }

    #[test]
    fn rejects_unknown_schemes_without_leaking_passwords() {
        let err = DatabaseUrl::parse("mysql://root:hunter2@db/x")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("DATABASE_URL=\"mysql://root:***@db/x\""),
            "{err}"
        );
        assert!(!err.contains("hunter2"));
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
