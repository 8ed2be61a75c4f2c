//! What an import run reports.

use propimport_domain::{ErrorLog, JobReport, RunCounts};
use serde::Serialize;

/// The outcome of one import run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Records read (mapped or failed).
    pub total: i64,
    /// New listings.
    pub inserted: i64,
    /// Changed listings (including withdrawn ones that returned).
    pub updated: i64,
    /// Unchanged listings (skipped).
    pub unchanged: i64,
    /// Records that failed alone.
    pub failed: i64,
    /// Listings withdrawn because the complete snapshot no longer had them.
    pub withdrawn: i64,
    /// Why nothing was withdrawn although listings were missing, if so.
    pub withdrawal_blocked: Option<String>,
    /// Whether the feed was read to its end (only then are absent listings withdrawn).
    pub complete: bool,
    /// Whether the run stopped early because it was cancelled.
    pub cancelled: bool,
    /// Images downloaded and stored.
    pub images_stored: i64,
    /// Images that could not be downloaded or stored (tried again on later runs) or whose URL
    /// is not an http(s) URL; their listings are stored all the same.
    pub images_failed: i64,
    /// Images of new or changed listings that were stored already and were not downloaded
    /// again.
    pub images_skipped: i64,
    /// The records that failed, capped.
    #[serde(skip)]
    pub errors: ErrorLog,
}

impl ImportReport {
    /// The four counters of the execution history: success = inserted + updated,
    /// skipped = unchanged.
    pub fn counts(&self) -> RunCounts {
        RunCounts {
            total_properties: self.total,
            success_count: self.inserted + self.updated,
            failed_count: self.failed,
            skipped_count: self.unchanged,
        }
    }

    /// The report as the scheduler records it (`details` carries the import's own counters).
    /// Withdrawals held back by the safety share become its `warning` (the run is PARTIAL and
    /// says how many listings would have gone, of how many, and the limit).
    pub fn into_job_report(self) -> JobReport {
        let counts = self.counts();
        let details = serde_json::to_value(&self).ok();
        JobReport {
            counts,
            errors: self.errors,
            details,
            warning: self.withdrawal_blocked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocked_withdrawal_is_the_warning_of_the_job_report() {
        let report = ImportReport {
            total: 2,
            unchanged: 2,
            complete: true,
            withdrawal_blocked: Some("3 of 5 active listings …".into()),
            ..ImportReport::default()
        };
        let job = report.clone().into_job_report();
        assert_eq!(job.warning.as_deref(), Some("3 of 5 active listings …"));
        assert_eq!(job.counts.skipped_count, 2);
        let quiet = ImportReport {
            withdrawal_blocked: None,
            ..report
        };
        assert_eq!(quiet.into_job_report().warning, None);
    }
}
