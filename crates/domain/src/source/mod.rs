//! Sources as data: a source as an operator writes it (`SourceSpec`, the same fields in a
//! sources file, an API body and a stored row), what the catalog stores of it
//! (`StoredSource`, its credentials sealed) and who changed it (`SourceChange`). Checking a
//! spec is the app's (it knows the formats and schedules); the store keeps what it is given.

mod spec;

use chrono::{DateTime, Utc};

use crate::JobName;

pub use spec::{Setting, SourceCredentials, SourceSpec};

/// A source to write: its checked spec (without credentials), whether it runs, and its
/// credentials sealed by the app (`None`: it has none).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceWrite {
    /// The source's name (its spec's, checked).
    pub name: JobName,
    /// The spec, credentials taken out.
    pub spec: SourceSpec,
    /// Whether it runs (a disabled source keeps its definition and history, and never runs).
    pub enabled: bool,
    /// The sealed credentials.
    pub sealed_credentials: Option<Vec<u8>>,
}

/// A source of the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSource {
    /// The source's name.
    pub name: JobName,
    /// The spec, without credentials.
    pub spec: SourceSpec,
    /// Whether it runs.
    pub enabled: bool,
    /// The sealed credentials.
    pub sealed_credentials: Option<Vec<u8>>,
    /// Grows by one with every change of this source (for `If-Match`).
    pub version: i64,
    /// When it was created, and by whom.
    pub created_at: DateTime<Utc>,
    /// Who created it.
    pub created_by: String,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who last changed it.
    pub updated_by: String,
}

impl StoredSource {
    /// Fails with [`crate::Error::SourceVersionMismatch`] when `expected` names another
    /// version than the stored one (`None`: any version).
    pub fn check_version(&self, expected: Option<i64>) -> crate::Result<()> {
        match expected {
            Some(expected) if expected != self.version => {
                Err(crate::Error::SourceVersionMismatch {
                    name: self.name.clone(),
                    expected,
                    current: self.version,
                })
            }
            _ => Ok(()),
        }
    }
}

/// A source as the catalog shows it: what is stored, which credentials are set (never their
/// values) and, when it cannot run as stored, why.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceView {
    /// The stored source.
    pub source: StoredSource,
    /// Whether a bearer token is set.
    pub has_token: bool,
    /// Whether an OAuth2 client secret is set.
    pub has_client_secret: bool,
    /// Why the source does not run although enabled (its credentials do not open, say).
    pub problem: Option<String>,
}

/// Who changes the catalog, when, from where and why: written to the audit log in the
/// change's own transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceChange {
    /// When.
    pub at: DateTime<Utc>,
    /// Who: an API actor, `cli:<user>` or `system:seed`.
    pub actor: String,
    /// From where (an API request's remote address).
    pub remote_addr: Option<String>,
    /// The audit action (`source.create`, `source.update`, `source.disable`, …).
    pub action: String,
    /// The audit detail (what changed; never a credential's value).
    pub detail: Option<String>,
}
