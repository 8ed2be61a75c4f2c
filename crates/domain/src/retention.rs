//! How long finished executions and admin audit entries are kept.

use chrono::{DateTime, Duration, Utc};
/// Keep SUCCESS/PARTIAL runs `success_days`, FAILED runs `failed_days`, RUNNING forever, and
/// admin audit entries `audit_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Days to keep SUCCESS and PARTIAL runs.
    pub success_days: u32,
    /// Days to keep FAILED runs.
    pub failed_days: u32,
    /// Days to keep admin audit entries.
    pub audit_days: u32,
    /// Rows deleted per statement, so a purge never holds a long lock.
    pub batch_size: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            success_days: 30,
            failed_days: 90,
            audit_days: 365,
            batch_size: 1000,
        }
    }
}

impl RetentionPolicy {
    /// Runs that finished well and started before this are purged.
    pub fn success_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(i64::from(self.success_days))
    }

    /// FAILED runs that started before this are purged.
    pub fn failed_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(i64::from(self.failed_days))
    }

    /// Audit entries written before this are purged.
    pub fn audit_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(i64::from(self.audit_days))
    }
}

/// What a purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// SUCCESS and PARTIAL rows deleted.
    pub succeeded_deleted: u64,
    /// FAILED rows deleted.
    pub failed_deleted: u64,
    /// Audit entries deleted.
    pub audit_deleted: u64,
}

impl PurgeReport {
    /// Executions deleted.
    pub fn total(&self) -> u64 {
        self.succeeded_deleted + self.failed_deleted
    }
}
