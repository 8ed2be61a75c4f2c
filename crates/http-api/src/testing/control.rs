//! The operator control of [`StoreControl`]: pauses and cancel requests go to its store.

use chrono::Utc;
use propimport_domain::{CancelRequest, Execution, ExecutionId, JobName, JobPause};

use super::StoreControl;
use propimport_domain::ControlRefusal;

impl StoreControl {
    /// The configured job names, comma-separated.
    pub(super) fn configured(&self) -> String {
        let names: Vec<String> = self.jobs.iter().map(ToString::to_string).collect();
        names.join(", ")
    }

    /// `job` if it is configured, else the refusal naming the configured ones.
    fn known(&self, job: &JobName) -> Result<JobName, ControlRefusal> {
        if self.jobs.contains(job) {
            return Ok(job.clone());
        }
        Err(ControlRefusal::UnknownJob {
            name: job.to_string(),
            configured: self.configured(),
        })
    }

    pub(super) async fn pause_in_store(
        &self,
        job: &JobName,
        actor: &str,
        reason: Option<&str>,
    ) -> Result<JobPause, ControlRefusal> {
        let pause = JobPause::new(self.known(job)?, actor, Utc::now(), reason);
        Ok(self.store.pause_job(&pause).await?)
    }

    pub(super) async fn resume_in_store(
        &self,
        job: &JobName,
    ) -> Result<Option<JobPause>, ControlRefusal> {
        Ok(self.store.resume_job(&self.known(job)?).await?)
    }

    pub(super) async fn cancel_in_store(
        &self,
        id: &ExecutionId,
        actor: &str,
    ) -> Result<Execution, ControlRefusal> {
        let request = CancelRequest::new(actor, Utc::now());
        Ok(self.store.request_cancel(id, &request).await?)
    }
}
