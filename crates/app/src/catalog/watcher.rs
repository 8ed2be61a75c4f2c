//! Keeps the scheduler's jobs in step with the catalog: every second (and at once after a
//! change made by this process) it reads the catalog's revision, one row; when it moved, it
//! reads the sources, builds the jobs of the new and changed ones (a source whose version did
//! not change keeps its job, so its tick loop goes on) and hands the list to the scheduler.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use propimport_domain::JobName;
use propimport_scheduler::{RunRetryPolicy, ScheduledJob, SchedulerHandle};

use super::{Catalog, RunnableSource};
use crate::import_job::JobFactory;

/// How often the catalog's revision is read.
pub const POLL: Duration = Duration::from_secs(1);

/// The jobs built from the catalog, by source, with the version they were built from.
#[derive(Default)]
pub struct JobBook {
    built: HashMap<JobName, (i64, ScheduledJob)>,
}

/// The jobs of the catalog's runnable sources and their own retry policies.
pub struct CatalogJobs {
    /// The jobs, in the catalog's order.
    pub jobs: Vec<ScheduledJob>,
    /// The retry policies of the sources that set one.
    pub retries: HashMap<JobName, RunRetryPolicy>,
}

impl JobBook {
    /// The jobs of `sources`: the ones built before for the same version, new ones for the
    /// others (a source whose job cannot be built is logged and left out).
    pub fn jobs(&mut self, factory: &JobFactory, sources: &[RunnableSource]) -> CatalogJobs {
        let mut built = HashMap::with_capacity(sources.len());
        let mut jobs = Vec::with_capacity(sources.len());
        let mut retries = HashMap::new();
        for runnable in sources {
            let name = runnable.source.config.name.clone();
            let job = match self.built.remove(&name) {
                Some((version, job)) if version == runnable.version => job,
                _ => match factory.job(&runnable.source) {
                    Ok(job) => job,
                    Err(e) => {
                        tracing::error!(job_name = %name, error = %e, "source not scheduled: its job cannot be built");
                        continue;
                    }
                },
            };
            if let Some(policy) = factory.retry_policy(&runnable.source) {
                retries.insert(name.clone(), policy);
            }
            jobs.push(job.clone());
            built.insert(name, (runnable.version, job));
        }
        self.built = built;
        CatalogJobs { jobs, retries }
    }
}

/// What else follows the jobs when they change (metrics, the API's periods).
pub type OnJobs = Box<dyn Fn(&[ScheduledJob]) + Send + Sync>;

/// Follows the catalog until the task is aborted, from `revision` (the one the scheduler's
/// jobs were built from).
pub async fn follow(
    catalog: Arc<Catalog>,
    factory: JobFactory,
    mut book: JobBook,
    scheduler: Arc<SchedulerHandle>,
    on_jobs: OnJobs,
    mut revision: Option<i64>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            () = catalog.changed.notified() => {}
        }
        let now = match catalog.store().catalog_revision().await {
            Ok(now) => now,
            Err(e) => {
                tracing::debug!(error = %e, "cannot read the source catalog's revision");
                continue;
            }
        };
        if now == revision {
            continue;
        }
        let sources = match catalog.runnable().await {
            Ok(sources) => sources,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the source catalog; its change is picked up later");
                continue;
            }
        };
        let CatalogJobs { jobs, retries } = book.jobs(&factory, &sources);
        on_jobs(&jobs);
        let changes = scheduler.set_jobs(jobs, retries);
        tracing::info!(
            revision = now.unwrap_or(0),
            added = changes.added,
            changed = changes.changed,
            removed = changes.removed,
            "sources changed: the scheduler follows"
        );
        revision = now;
    }
}
