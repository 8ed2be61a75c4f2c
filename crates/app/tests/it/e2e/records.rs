//! The execution records the services under test wrote, read from the store: every page of
//! the history, executions per scheduled tick, and the rule that runs of a job never overlap.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use propimport_domain::{Execution, ExecutionStore, HistoryQuery, PageLimit};

/// Every execution in `store`, newest first (all pages of the history).
pub async fn all_executions(store: &dyn ExecutionStore) -> Vec<Execution> {
    let mut query = HistoryQuery {
        limit: PageLimit::new(100).unwrap(),
        ..HistoryQuery::default()
    };
    let mut all = Vec::new();
    loop {
        let page = store.history(&query).await.unwrap();
        let n = page.executions.len();
        all.extend(page.executions);
        if !page.pagination.has_more || n == 0 {
            return all;
        }
        query.offset += 100;
    }
}

/// How many executions each (job, scheduled tick) has; manual runs are left out.
pub fn executions_per_tick(executions: &[Execution]) -> BTreeMap<(String, DateTime<Utc>), usize> {
    let mut per_tick = BTreeMap::new();
    for e in executions {
        if let Some(tick) = e.scheduled_for {
            *per_tick.entry((e.job_name.to_string(), tick)).or_default() += 1;
        }
    }
    per_tick
}

/// Asserts that no two runs of `job` overlapped (each ended before the next started).
pub fn assert_no_overlap(executions: &[Execution], job: &str) {
    let mut runs: Vec<_> = executions
        .iter()
        .filter(|e| e.job_name.as_str() == job)
        .collect();
    runs.sort_by_key(|e| e.started_at);
    for pair in runs.windows(2) {
        let end = pair[0].completed_at.expect("a finished run");
        assert!(
            end <= pair[1].started_at,
            "overlapping runs of {job}: {pair:?}"
        );
    }
}
