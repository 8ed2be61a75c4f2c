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
        /// The driver's words.
        reason: String,
    },
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migration(String),
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

/// Maps a diesel error onto the domain's error.
pub(crate) fn from_diesel(e: DieselError) -> DomainError {
    match &e {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            info,
        ) => DomainError::Unavailable(info.message().to_owned()),
        DieselError::DatabaseError(_, info) if is_busy_or_io(info.message()) => {
            DomainError::Unavailable(info.message().to_owned())
        }
        // PostgreSQL's statement_timeout, set from DATABASE_TIMEOUT.
        DieselError::DatabaseError(_, info) if info.message().contains("statement timeout") => {
            DomainError::Unavailable(format!(
                "{} (the server's statement_timeout, set from {})",
                info.message(),
                crate::bounded::VARIABLE
            ))
        }
        _ => DomainError::Storage(e.to_string()),
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

/// Maps a stored value that cannot be read back.
pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> DomainError {
    DomainError::Storage(format!("cannot read {what}: {e}"))
}
