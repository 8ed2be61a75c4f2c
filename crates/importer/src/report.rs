//! What an import run reports: its counters and how far it got ([`ImportOutcome`]).

use propimport_domain::{ErrorLog, JobReport, RunCounts};
use serde::Serialize;

/// What one import run did.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    /// How far the run got: only a feed read to its end withdraws absent listings.
    pub outcome: ImportOutcome,
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
    /// Images downloaded and stored.
    pub images_stored: i64,
    /// Images that could not be downloaded or stored (tried again on later runs) or whose URL
    /// is not an http(s) URL; their listings are stored all the same.
    pub images_failed: i64,
    /// Images of new or changed listings that were stored already and were not downloaded
    /// again.
    pub images_skipped: i64,
    /// The records that failed, capped.
    pub errors: ErrorLog,
}

/// How far an import run got. A run that fails as a whole has no outcome: it is an
/// [`ImportError`](crate::ImportError).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// The feed was read to its end: a snapshot's absent listings were withdrawn (or held
    /// back, see [`ImportReport::withdrawal_blocked`]), a RESO source read its last page, and
    /// the pending images were downloaded.
    Complete,
    /// The run was cancelled before the feed was read to its end. What was read is stored;
    /// nothing was withdrawn and no image was downloaded.
    Cancelled,
    /// The feed was read to its end and its listings stored and withdrawn as for
    /// [`Complete`](Self::Complete), then the run was cancelled during the image downloads:
    /// the images not downloaded stay pending for the next run.
    CancelledDuringImages,
}

impl ImportOutcome {
    /// Whether the feed was read to its end (only then are absent listings withdrawn).
    pub fn read_to_end(self) -> bool {
        matches!(self, Self::Complete | Self::CancelledDuringImages)
    }

    /// Whether the run stopped early because it was cancelled.
    pub fn was_cancelled(self) -> bool {
        matches!(self, Self::Cancelled | Self::CancelledDuringImages)
    }
}

impl ImportReport {
    /// An empty report of a run whose outcome is `outcome` so far.
    pub(crate) fn new(outcome: ImportOutcome) -> Self {
        Self {
            outcome,
            total: 0,
            inserted: 0,
            updated: 0,
            unchanged: 0,
            failed: 0,
            withdrawn: 0,
            withdrawal_blocked: None,
            images_stored: 0,
            images_failed: 0,
            images_skipped: 0,
            errors: ErrorLog::default(),
        }
    }

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
        let details = serde_json::to_value(Details::of(&self)).ok();
        JobReport {
            counts,
            errors: self.errors,
            details,
            warning: self.withdrawal_blocked,
        }
    }
}

/// The `details` of a recorded run: the report's counters, and its outcome as the two flags
/// the execution history has always stored (`complete`: the feed was read to its end;
/// `cancelled`: the run was cancelled).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Details<'a> {
    total: i64,
    inserted: i64,
    updated: i64,
    unchanged: i64,
    failed: i64,
    withdrawn: i64,
    withdrawal_blocked: Option<&'a str>,
    complete: bool,
    cancelled: bool,
    images_stored: i64,
    images_failed: i64,
    images_skipped: i64,
}

impl<'a> Details<'a> {
    fn of(report: &'a ImportReport) -> Self {
        Self {
            total: report.total,
            inserted: report.inserted,
            updated: report.updated,
            unchanged: report.unchanged,
            failed: report.failed,
            withdrawn: report.withdrawn,
            withdrawal_blocked: report.withdrawal_blocked.as_deref(),
            complete: report.outcome.read_to_end(),
            cancelled: report.outcome.was_cancelled(),
            images_stored: report.images_stored,
            images_failed: report.images_failed,
            images_skipped: report.images_skipped,
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
            withdrawal_blocked: Some("3 of 5 active listings …".into()),
            ..ImportReport::new(ImportOutcome::Complete)
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

    /// The recorded details keep the fields they had when the outcome was two booleans of the
    /// report (the dashboard names them).
    #[test]
    fn details_keep_their_shape() {
        let details = |outcome| {
            ImportReport::new(outcome)
                .into_job_report()
                .details
                .expect("details")
        };
        assert_eq!(
            details(ImportOutcome::Complete),
            serde_json::json!({
                "total": 0, "inserted": 0, "updated": 0, "unchanged": 0, "failed": 0,
                "withdrawn": 0, "withdrawalBlocked": null, "complete": true, "cancelled": false,
                "imagesStored": 0, "imagesFailed": 0, "imagesSkipped": 0,
            })
        );
        let flags = |outcome| {
            let d = details(outcome);
            (d["complete"].as_bool(), d["cancelled"].as_bool())
        };
        assert_eq!(flags(ImportOutcome::Cancelled), (Some(false), Some(true)));
        assert_eq!(
            flags(ImportOutcome::CancelledDuringImages),
            (Some(true), Some(true))
        );
    }
}
