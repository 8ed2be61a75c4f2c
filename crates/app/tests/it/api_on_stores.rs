//! The admin API's endpoint suite through real HTTP requests on the SQL execution store, on
//! SQLite and on PostgreSQL.

use std::sync::Arc;

use propimport_domain::{AlertStore, ExecutionStore};
use propimport_persistence::testing::TestDatabase;

fn run<F: std::future::Future>(future: F) -> F::Output {
    super::rt().block_on(future)
}

async fn with_store(
    fixture: Option<TestDatabase>,
) -> Option<(Arc<dyn ExecutionStore>, TestDatabase)> {
    fixture.map(|db| {
        let store: Arc<dyn ExecutionStore> = Arc::new(db.executions().clone());
        (store, db)
    })
}

mod sqlite {
    use super::*;
    propimport_http_api::admin_api_suite!(
        run = super::run,
        store = with_store(TestDatabase::sqlite_some().await)
    );
}

mod postgres {
    use super::*;
    propimport_http_api::admin_api_suite!(
        run = super::run,
        store = with_store(TestDatabase::postgres().await)
    );
}

async fn with_stores(
    fixture: Option<TestDatabase>,
) -> Option<(Arc<dyn ExecutionStore>, Arc<dyn AlertStore>, TestDatabase)> {
    fixture.map(|db| {
        let store: Arc<dyn ExecutionStore> = Arc::new(db.executions().clone());
        let alerts: Arc<dyn AlertStore> = Arc::new(db.alert_store().clone());
        (store, alerts, db)
    })
}

mod sqlite_alerts {
    use super::*;
    propimport_http_api::admin_api_alerts_suite!(
        run = super::run,
        stores = with_stores(TestDatabase::sqlite_some().await)
    );
}

mod postgres_alerts {
    use super::*;
    propimport_http_api::admin_api_alerts_suite!(
        run = super::run,
        stores = with_stores(TestDatabase::postgres().await)
    );
}
