//! The crate's own error (connecting, migrating) and the mapping of diesel errors onto the
//! domain's error, which every store method returns.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use propimport_domain::Error as DomainError;

/// What can go wrong while opening or migrating a database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PersistenceError {
    /// The URL is not a database URL this crate understands.
    #[error("DATABASE_URL={url:?}: {reason}")]
    InvalidUrl {
        /// The URL, without its password.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The URL, without its password.
        url: String,
        /// What failed, in the driver's words or the bound's.
        reason: String,
        /// The error beneath (the driver's, the pool's), if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A migration failed.
    #[error("migration failed: {message}")]
    Migration {
        /// What failed, with the words of the error beneath.
        message: String,
        /// The error beneath (the driver's, the migration harness's, the timeout), if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Another process serves this SQLite database already (see
    /// [`crate::Database::lock_exclusive_server`]).
    #[error(
        "{url} is already served by another propimport process ({holder}); several replicas \
         need PostgreSQL (DATABASE_URL=postgres://…)"
    )]
    AlreadyServed {
        /// The database's URL.
        url: String,
        /// `pid N`, or what is known of the holder.
        holder: String,
    },
    /// The lock file next to a SQLite database cannot be opened or locked.
    #[error("cannot lock {path}: {reason}")]
    Lock {
        /// The lock file.
        path: String,
        /// The system's words.
        reason: String,
    },
}

impl PersistenceError {
    /// A failed connect to `url` (without its password) caused by `source`: the reason is
    /// `context` (may be empty) followed by the source's own words.
    pub(crate) fn connect(
        url: String,
        context: &str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let source = source.into();
        Self::Connect {
            url,
            reason: if context.is_empty() {
                source.to_string()
            } else {
                format!("{context}: {source}")
            },
            source: Some(source),
        }
    }

    /// A failed migration caused by `source`; `context` (may be empty) is said before the
    /// source's own words.
    pub(crate) fn migration(
        context: &str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let source = source.into();
        Self::Migration {
            message: if context.is_empty() {
                source.to_string()
            } else {
                format!("{context}: {source}")
            },
            source: Some(source),
        }
    }
}

/// Maps a diesel error onto the domain's error.
pub(crate) fn from_diesel(e: DieselError) -> DomainError {
    let unavailable = match &e {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            info,
        ) => Some(info.message().to_owned()),
        DieselError::DatabaseError(_, info) if is_busy_or_io(info.message()) => {
            Some(info.message().to_owned())
        }
        // PostgreSQL's statement_timeout, set from DATABASE_TIMEOUT.
        DieselError::DatabaseError(_, info) if info.message().contains("statement timeout") => {
            Some(format!(
                "{} (the server's statement_timeout, set from {})",
                info.message(),
                crate::bounded::VARIABLE
            ))
        }
        _ => None,
    };
    match unavailable {
        Some(message) => DomainError::unavailable_because(message, e),
        None => DomainError::storage_source(e),
    }
}

/// An error inside a transaction: the database's (which rolls it back) or ours.
pub(crate) enum TxError {
    Db(diesel::result::Error),
    Domain(propimport_domain::Error),
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

impl From<propimport_domain::Error> for TxError {
    fn from(e: propimport_domain::Error) -> Self {
        Self::Domain(e)
    }
}

impl TxError {
    pub(crate) fn into_domain(self) -> propimport_domain::Error {
        match self {
            Self::Db(e) => from_diesel(e),
            Self::Domain(e) => e,
        }
    }
}

/// SQLite reports a locked, read-only or vanished file only through its message.
fn is_busy_or_io(message: &str) -> bool {
    [
        "database is locked",
        "readonly database",
        "disk I/O error",
        "unable to open database",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// Whether a diesel error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Maps a stored value that cannot be read back; the parser's error `e` is kept as the
/// error's source.
pub(crate) fn corrupt(
    what: &str,
    e: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> DomainError {
    DomainError::storage_caused_by(&format!("cannot read {what}"), e)
}

/// Maps a stored value that is none of those known (no parser failed: there is no source).
pub(crate) fn corrupt_value(what: &str, value: &str) -> DomainError {
    DomainError::storage(format!("cannot read {what}: {value}"))
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use diesel::{Connection as _, RunQueryDsl as _};

    use super::*;

    /// A real driver error: SQLite's, for a table that does not exist.
    fn driver_error() -> DieselError {
        let mut conn = diesel::SqliteConnection::establish(":memory:").expect("in memory");
        diesel::sql_query("SELECT * FROM nowhere")
            .execute(&mut conn)
            .expect_err("no such table")
    }

    #[test]
    fn a_storage_error_reaches_the_driver_error_through_its_source() {
        let e = from_diesel(driver_error());
        assert!(matches!(e, DomainError::Storage { .. }), "{e:?}");
        assert_eq!(e.to_string(), "storage error: no such table: nowhere");
        let chain: Vec<&(dyn std::error::Error + 'static)> =
            std::iter::successors(e.source(), |e| (*e).source()).collect();
        assert!(
            chain.iter().any(|e| matches!(
                e.downcast_ref::<DieselError>(),
                Some(DieselError::DatabaseError(..))
            )),
            "{chain:?}"
        );
    }

    #[test]
    fn a_failed_migration_reaches_the_driver_error_through_its_source() {
        let e = PersistenceError::migration("pg_advisory_lock", driver_error());
        assert_eq!(
            e.to_string(),
            "migration failed: pg_advisory_lock: no such table: nowhere"
        );
        let source = e.source().expect("the driver's error");
        assert!(source.downcast_ref::<DieselError>().is_some(), "{source:?}");
    }

    #[test]
    fn an_unreadable_value_keeps_the_parsers_error() {
        let parse = "x".parse::<i32>().expect_err("not a number");
        let e = corrupt("position", parse);
        assert_eq!(
            e.to_string(),
            "storage error: cannot read position: invalid digit found in string"
        );
        let source = e.source().expect("the parser's error");
        assert!(source.downcast_ref::<std::num::ParseIntError>().is_some());
    }
}
