//! The admin audit log: who did what through the admin API, when, from where, with what result.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::{ExecutionId, JobName, PageLimit, Pagination};

/// How an audited request ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuditOutcome {
    /// The action was carried out.
    Accepted,
    /// Refused because a run is in progress.
    Refused,
    /// Refused by the rate limit.
    RateLimited,
    /// Failed for another reason (storage unavailable, bad parameter).
    Failed,
    /// Any other value found in storage.
    Other(String),
}

impl AuditOutcome {
    /// The stored spelling (also the API's).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Accepted => "accepted",
            Self::Refused => "refused",
            Self::RateLimited => "rate_limited",
            Self::Failed => "failed",
            Self::Other(s) => s,
        }
    }

    /// Reads a stored value; never fails.
    pub fn from_text(text: &str) -> Self {
        match text {
            "accepted" => Self::Accepted,
            "refused" => Self::Refused,
            "rate_limited" => Self::RateLimited,
            "failed" => Self::Failed,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for AuditOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An audit entry to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who: a token id or a JWT subject, never a secret.
    pub actor: String,
    /// From where (remote address).
    pub remote_addr: Option<String>,
    /// What (`trigger`).
    pub action: String,
    /// The job concerned.
    pub job_name: Option<JobName>,
    /// With what result.
    pub outcome: AuditOutcome,
    /// The execution started or found running.
    pub execution_id: Option<ExecutionId>,
    /// More words on the result.
    pub detail: Option<String>,
}

/// A recorded audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Its id, increasing with time.
    pub id: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// From where.
    pub remote_addr: Option<String>,
    /// What.
    pub action: String,
    /// The job concerned.
    pub job_name: Option<JobName>,
    /// With what result.
    pub outcome: AuditOutcome,
    /// The execution concerned.
    pub execution_id: Option<ExecutionId>,
    /// More words on the result.
    pub detail: Option<String>,
}

/// A page request for the audit log, newest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// The page size.
    pub limit: PageLimit,
    /// How many entries to skip.
    pub offset: u64,
}

/// A page of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    /// The entries, newest first.
    pub entries: Vec<AuditEntry>,
    /// Where the page stands.
    pub pagination: Pagination,
}

impl AuditPage {
    /// Builds a page from its entries and the total count.
    pub fn new(query: &AuditQuery, entries: Vec<AuditEntry>, total: i64) -> Self {
        let end = query.offset.saturating_add(u64::from(query.limit.get()));
        Self {
            entries,
            pagination: Pagination {
                total,
                limit: query.limit.get(),
                offset: query.offset,
                has_more: u64::try_from(total).is_ok_and(|t| end < t),
            },
        }
    }
}
