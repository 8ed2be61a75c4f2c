//! The history totals rebuilt from the executions give what the store kept as runs finished,
//! on SQLite and on PostgreSQL.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use propimport_domain::{
    ErrorLog, ExecutionId, ExecutionStatus, ExecutionStore, FinishExecution, HistoryQuery, JobName,
    NewExecution, PageLimit, RunCounts, StatisticsQuery, TimeRange, TriggeredBy, WindowDays,
};
use propimport_persistence::testing::TestDatabase;

fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

/// Runs over three years, two jobs, every finished status and two triggers, and one RUNNING.
async fn seed(store: &dyn ExecutionStore) {
    let statuses = [
        ExecutionStatus::Success,
        ExecutionStatus::Failed,
        ExecutionStatus::Partial,
    ];
    let mut started = at(2023, 11, 30, 22);
    for i in 0..60_i64 {
        let job = JobName::parse(if i % 2 == 0 { "feed-a" } else { "feed-b" }).unwrap();
        let new = NewExecution {
            id: ExecutionId::new(),
            job_name: job,
            triggered_by: if i % 5 == 0 {
                TriggeredBy::Api
            } else {
                TriggeredBy::Cron
            },
            started_at: started,
            scheduled_for: None,
            attempt: 1,
            instance_id: None,
        };
        let created = store.create_running(new).await.unwrap();
        store
            .finish(
                &created.id,
                FinishExecution {
                    status: statuses[usize::try_from(i % 3).unwrap()],
                    completed_at: started + Duration::seconds(i + 1),
                    counts: RunCounts {
                        total_properties: 10 + i,
                        success_count: i,
                        failed_count: i % 3,
                        skipped_count: 10 - i % 3,
                    },
                    errors: ErrorLog::default(),
                    last_error: None,
                    details: None,
                },
            )
            .await
            .unwrap();
        started += Duration::hours(13 * 24 + 5);
    }
    store
        .create_running(NewExecution {
            id: ExecutionId::new(),
            job_name: JobName::parse("feed-a").unwrap(),
            triggered_by: TriggeredBy::Cron,
            started_at: started,
            scheduled_for: None,
            attempt: 1,
            instance_id: None,
        })
        .await
        .unwrap();
}

/// What the history and statistics views show for a few windows and filters.
async fn views(store: &dyn ExecutionStore) -> Vec<String> {
    let mut out = Vec::new();
    let ranges = [
        (None, None),
        (Some(at(2024, 1, 1, 0)), Some(at(2025, 6, 15, 12))),
        (Some(at(2024, 3, 10, 7)), None),
    ];
    for (from, to) in ranges {
        for (status, job) in [
            (None, None),
            (Some(ExecutionStatus::Failed), None),
            (None, Some("feed-b")),
        ] {
            let page = store
                .history(&HistoryQuery {
                    limit: PageLimit::new(1).unwrap(),
                    status,
                    job_name: job.map(|j| JobName::parse(j).unwrap()),
                    range: TimeRange::new(from, to).unwrap(),
                    ..Default::default()
                })
                .await
                .unwrap();
            out.push(format!("{:?} {:?}", page.pagination, page.statistics));
        }
    }
    let stats = store
        .statistics(&StatisticsQuery {
            days: WindowDays::new(365).unwrap(),
            job_name: None,
            now: at(2025, 2, 3, 4),
        })
        .await
        .unwrap();
    out.push(format!("{stats:?}"));
    out
}

async fn rebuild_restores_the_totals(fixture: TestDatabase) {
    let store = fixture.executions();
    seed(store).await;
    let kept = views(store).await;
    fixture
        .execute_sql("DELETE FROM import_job_execution_totals WHERE period <> 'year'")
        .await;
    fixture
        .execute_sql("UPDATE import_job_execution_totals SET executions = executions + 7")
        .await;
    assert_ne!(views(store).await, kept, "the damage shows");
    let written = store.rebuild_totals().await.expect("rebuild");
    assert!(written > 0);
    assert_eq!(views(store).await, kept);
}

#[test]
fn sqlite_rebuild_restores_the_totals() {
    run(async { rebuild_restores_the_totals(TestDatabase::sqlite().await).await });
}

#[test]
fn postgres_rebuild_restores_the_totals() {
    run(async {
        if let Some(fixture) = TestDatabase::postgres().await {
            rebuild_restores_the_totals(fixture).await;
        }
    });
}
