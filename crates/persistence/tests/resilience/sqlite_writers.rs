//! Several processes writing one SQLite file: each `Database` below has a pool of its own,
//! as two processes would, and their writes interleave. Write transactions take the write
//! lock up front (`BEGIN IMMEDIATE`), so a writer waits on the busy timeout for the other
//! instead of failing with "database is locked".

use chrono::Utc;
use propimport_domain::testing::listing_conformance::listing;
use propimport_domain::{
    ExecutionId, ExecutionStore as _, JobName, ListingRecord, ListingStore as _, NewExecution,
    TriggeredBy,
};
use propimport_persistence::testing::TestDatabase;
use propimport_persistence::{Database, PoolOptions, SqlExecutionStore, SqlListingStore};

const TASKS: usize = 6;
const ROUNDS: usize = 12;
const LISTINGS: usize = 100;

/// One writer task: execution inserts, chunk upserts (a transaction each, reading before it
/// writes) and a withdrawal, round after round.
async fn writer(db: Database, name: String) -> Result<(), String> {
    let executions = SqlExecutionStore::new(db.clone());
    let listings = SqlListingStore::new(db);
    let source = JobName::parse(&name).unwrap();
    for round in 0..ROUNDS {
        let new = NewExecution {
            id: ExecutionId::new(),
            job_name: JobName::parse(&format!("{name}-{round}")).unwrap(),
            triggered_by: TriggeredBy::Manual,
            started_at: Utc::now(),
            scheduled_for: None,
            attempt: 1,
            instance_id: None,
        };
        executions
            .create_running(new)
            .await
            .map_err(|e| format!("{name} create {round}: {e}"))?;
        let batch: Vec<ListingRecord> = (0..LISTINGS)
            .map(|i| {
                let price = (i + round) as i64;
                ListingRecord::new(listing(&format!("L{i}"), price), move |_| {
                    format!("h-{i}-{price}")
                })
            })
            .collect();
        listings
            .upsert_batch(&source, &batch, Utc::now())
            .await
            .map_err(|e| format!("{name} upsert {round}: {e}"))?;
        listings
            .count_active(&source)
            .await
            .map_err(|e| format!("{name} count {round}: {e}"))?;
    }
    listings
        .withdraw_unseen(&source, Utc::now(), 1.0, Utc::now())
        .await
        .map_err(|e| format!("{name} withdraw: {e}"))?;
    Ok(())
}

#[test]
fn two_processes_write_one_sqlite_file_without_locking_errors() {
    super::run(async {
        let test_db = TestDatabase::sqlite().await;
        let first = test_db.database().clone();
        let second = Database::connect(first.url(), PoolOptions::default())
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for (h, db) in [first, second.clone()].into_iter().enumerate() {
            for t in 0..TASKS {
                tasks.push(tokio::spawn(writer(db.clone(), format!("p{h}-w{t}"))));
            }
        }
        let mut failures = Vec::new();
        for task in tasks {
            if let Err(e) = task.await.unwrap() {
                failures.push(e);
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        let listings = SqlListingStore::new(second.clone());
        let source = JobName::parse("p1-w0").unwrap();
        assert_eq!(
            listings.count_active(&source).await.unwrap(),
            0,
            "withdrawn"
        );
        second.close();
    });
}
