//! The endpoint suite over the in-memory store, and the answers when the store is down.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod status;

use std::sync::Arc;

use propimport_domain::ExecutionStore;
use propimport_domain::testing::InMemoryExecutionStore;

fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

async fn memory() -> Option<(Arc<dyn ExecutionStore>, ())> {
    Some((
        Arc::new(InMemoryExecutionStore::new()) as Arc<dyn ExecutionStore>,
        (),
    ))
}

mod in_memory {
    use super::*;
    propimport_http_api::admin_api_suite!(run = super::run, store = memory());
}

mod in_memory_alerts {
    use propimport_domain::AlertStore;
    use propimport_domain::testing::InMemoryAlertStore;

    use super::*;

    async fn stores() -> Option<(Arc<dyn ExecutionStore>, Arc<dyn AlertStore>, ())> {
        Some((
            Arc::new(InMemoryExecutionStore::new()) as Arc<dyn ExecutionStore>,
            Arc::new(InMemoryAlertStore::new()) as Arc<dyn AlertStore>,
            (),
        ))
    }

    propimport_http_api::admin_api_alerts_suite!(run = super::run, stores = stores());
}

mod store_down {
    use async_trait::async_trait;
    use chrono::{DateTime, Duration, Utc};
    use propimport_domain::{
        AuditEntry, AuditPage, AuditQuery, CancelRequest, Error, Execution, ExecutionId,
        FinishExecution, FinishedRun, HistoryPage, HistoryQuery, JobName, JobPause, NewAuditEntry,
        NewExecution, Progress, PurgeReport, Result, RetentionPolicy, Statistics, StatisticsQuery,
    };
    use propimport_http_api::testing::{TestServer, call};
    use reqwest::{Method, StatusCode};

    use super::*;

    /// A store whose database cannot be reached.
    struct Down;

    fn down<T>() -> Result<T> {
        Err(Error::unavailable("connection refused"))
    }

    #[async_trait]
    impl ExecutionStore for Down {
        async fn create_running(&self, _: NewExecution) -> Result<Execution> {
            down()
        }
        async fn heartbeat(
            &self,
            _: &ExecutionId,
            _: &Progress,
            _: DateTime<Utc>,
        ) -> Result<Option<CancelRequest>> {
            down()
        }
        async fn request_cancel(&self, _: &ExecutionId, _: &CancelRequest) -> Result<Execution> {
            down()
        }
        async fn pause_job(&self, _: &JobPause) -> Result<JobPause> {
            down()
        }
        async fn resume_job(&self, _: &JobName) -> Result<Option<JobPause>> {
            down()
        }
        async fn paused_jobs(&self) -> Result<Vec<JobPause>> {
            down()
        }
        async fn finish(&self, _: &ExecutionId, _: FinishExecution) -> Result<FinishedRun> {
            down()
        }
        async fn get(&self, _: &ExecutionId) -> Result<Option<Execution>> {
            down()
        }
        async fn last(&self, _: Option<&JobName>) -> Result<Option<Execution>> {
            down()
        }
        async fn running(&self, _: Option<&JobName>) -> Result<Vec<Execution>> {
            down()
        }
        async fn history(&self, _: &HistoryQuery) -> Result<HistoryPage> {
            down()
        }
        async fn statistics(&self, _: &StatisticsQuery) -> Result<Statistics> {
            down()
        }
        async fn tick_claimed(&self, _: &JobName, _: DateTime<Utc>) -> Result<bool> {
            down()
        }
        async fn recover_stale(
            &self,
            _: DateTime<Utc>,
            _: Duration,
            _: &[ExecutionId],
        ) -> Result<Vec<Execution>> {
            down()
        }
        async fn purge(&self, _: &RetentionPolicy, _: DateTime<Utc>) -> Result<PurgeReport> {
            down()
        }
        async fn record_audit(&self, _: NewAuditEntry) -> Result<AuditEntry> {
            down()
        }
        async fn audit_log(&self, _: &AuditQuery) -> Result<AuditPage> {
            down()
        }
        async fn ping(&self) -> Result<()> {
            down()
        }
    }

    #[test]
    fn control_answers_503_and_the_attempt_is_still_answered_at_once() {
        run(async {
            let server = TestServer::start(Arc::new(Down), &["only-job"], true).await;
            for path in [
                "/api/v1/admin/import-jobs/jobs/only-job/pause",
                "/api/v1/admin/import-jobs/jobs/only-job/resume",
                "/api/v1/admin/import-jobs/0190f5c2-7b7e-7cc0-8f3a-2d1c9e0b6a41/cancel",
            ] {
                let (status, body) = call(&server, Method::POST, path, None).await;
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {body}");
                assert_eq!(body["error"]["code"], "UNAVAILABLE");
            }
            server.stop().await;
        });
    }

    #[test]
    fn reads_and_triggers_answer_503_and_readyz_is_not_ready() {
        run(async {
            let server = TestServer::start(Arc::new(Down), &["only-job"], true).await;
            for path in [
                "/api/v1/admin/import-jobs/history",
                "/api/v1/admin/import-jobs/statistics",
                "/api/v1/admin/import-jobs/last",
                "/api/v1/admin/import-jobs/status",
                "/api/v1/admin/import-jobs/0190f5c2-7b7e-7cc0-8f3a-2d1c9e0b6a41",
                "/api/v1/admin/audit-log",
            ] {
                let (status, body) = call(&server, Method::GET, path, None).await;
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {body}");
                assert_eq!(body["error"]["code"], "UNAVAILABLE");
            }
            // A trigger that could not start takes nothing from the caller's allowance.
            for _ in 0..2 {
                let (status, body) = call(
                    &server,
                    Method::POST,
                    "/api/v1/admin/import-jobs/trigger",
                    None,
                )
                .await;
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
                assert_eq!(body["error"]["code"], "UNAVAILABLE");
            }
            let (status, body) = call(&server, Method::GET, "/readyz", None).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(body["checks"]["database"]["status"], "failed");
            server.stop().await;
        });
    }
}

mod shutting_down {
    use propimport_http_api::testing::{TestServer, call};
    use reqwest::{Method, StatusCode};

    use super::*;

    /// A trigger once the scheduler's shutdown has begun: 503 `UNAVAILABLE` saying the service
    /// is shutting down (not that the database is unavailable), for one job and for all.
    #[test]
    fn a_trigger_during_shutdown_is_answered_503_shutting_down() {
        run(async {
            let store = Arc::new(InMemoryExecutionStore::new());
            let server = TestServer::start(store, &["job-a", "job-b"], true).await;
            server.control.stop();
            for query in ["?jobName=job-a", ""] {
                let path = format!("/api/v1/admin/import-jobs/trigger{query}");
                let (status, body) = call(&server, Method::POST, &path, None).await;
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {body}");
                assert_eq!(body["success"], false, "{body}");
                assert_eq!(body["error"]["code"], "UNAVAILABLE", "{body}");
                assert_eq!(
                    body["error"]["message"], "the service is shutting down; no new runs start",
                    "{body}"
                );
            }
            server.stop().await;
        });
    }
}
