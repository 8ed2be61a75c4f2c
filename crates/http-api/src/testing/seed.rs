//! Seeded executions for the suite: finished runs of some jobs, one every 11 hours.

use chrono::{DateTime, Duration, Utc};
use propimport_domain::{
    ErrorLog, Execution, ExecutionId, ExecutionStatus, ExecutionStore, FinishExecution, ItemError,
    JobName, NewExecution, RunCounts, TriggeredBy,
};

/// What [`seed`] stored.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// Every execution, oldest first.
    pub executions: Vec<Execution>,
}

impl Seeded {
    /// How many have `status`.
    pub fn count(&self, status: ExecutionStatus) -> usize {
        self.executions
            .iter()
            .filter(|e| e.status == status)
            .count()
    }

    /// The newest.
    pub fn newest(&self) -> Option<&Execution> {
        self.executions.last()
    }
}

/// Stores `n` finished executions of `jobs` (in turn), one every 11 hours back from now:
/// every 6th FAILED with item errors, every 6th + 3 PARTIAL, the rest SUCCESS; triggered by
/// cron, then manual, then api in turn.
pub async fn seed(store: &dyn ExecutionStore, jobs: &[&str], n: usize) -> Seeded {
    let now = Utc::now();
    let mut executions = Vec::with_capacity(n);
    for i in 0..n {
        let job =
            JobName::parse(jobs[i % jobs.len()]).unwrap_or_else(|_| JobName::default_import());
        let back = i64::try_from(n - i).unwrap_or(0);
        let started: DateTime<Utc> = now - Duration::hours(11 * back);
        let by = match i % 3 {
            0 => TriggeredBy::Cron,
            1 => TriggeredBy::Manual,
            _ => TriggeredBy::Api,
        };
        let created = store
            .create_running(NewExecution {
                id: ExecutionId::new(),
                job_name: job,
                triggered_by: by,
                started_at: started,
                scheduled_for: None,
                attempt: 1,
                instance_id: Some("seed".into()),
            })
            .await
            .unwrap_or_else(|e| panic!("seed execution {i}: {e}"));
        let (status, failed) = match i % 6 {
            0 => (ExecutionStatus::Failed, 50),
            3 => (ExecutionStatus::Partial, 2),
            _ => (ExecutionStatus::Success, 0),
        };
        let mut errors = ErrorLog::default();
        for k in 0..failed.min(3) {
            errors.push(ItemError {
                external_id: Some(format!("L-{i}-{k}")),
                stage: "map".into(),
                message: format!("price: not a number in record {k}"),
            });
        }
        let success = 50 - failed;
        // Two of the records that did not fail are unchanged; the rest are new.
        let unchanged = 2 * i64::from(success > 0);
        let inserted = success.max(0) - unchanged;
        let finished = store
            .finish(
                &created.id,
                FinishExecution {
                    status,
                    completed_at: started
                        + Duration::milliseconds(1_000 + 100 * i64::try_from(i).unwrap_or(0)),
                    counts: RunCounts {
                        total_properties: 50,
                        success_count: inserted,
                        failed_count: failed,
                        skipped_count: unchanged,
                    },
                    errors,
                    last_error: (status != ExecutionStatus::Success)
                        .then(|| format!("{failed} records failed")),
                    details: Some(serde_json::json!({"inserted": inserted, "updated": 0})),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("finish seeded execution {i}: {e}"));
        executions.push(finished.execution);
    }
    Seeded { executions }
}
