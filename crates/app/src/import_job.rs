//! The importer adapted into the scheduler's `Job`: one job per source.

use async_trait::async_trait;
use propimport_domain::{Job, JobContext, JobError, JobName, JobReport};
use propimport_importer::Importer;

/// Runs one source's import as a tracked job.
pub struct ImportJob {
    importer: Importer,
}

impl ImportJob {
    /// The job of `importer`'s source.
    pub fn new(importer: Importer) -> Self {
        Self { importer }
    }
}

#[async_trait]
impl Job for ImportJob {
    fn name(&self) -> &JobName {
        &self.importer.source().name
    }

    async fn run(&self, ctx: JobContext) -> Result<JobReport, JobError> {
        match self.importer.run(&ctx.cancel, &ctx.progress).await {
            Ok(report) => Ok(report.into_job_report()),
            Err(e) => Err(JobError::new(e.to_string())),
        }
    }
}
