//! The admin API's endpoint suite through real HTTP requests on the SQL execution store, on
//! SQLite and on PostgreSQL.

use std::sync::Arc;

use propimport_domain::ExecutionStore;
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
