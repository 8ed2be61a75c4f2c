//! The bodies of operator control: pausing and resuming a job, cancelling a run.

use propimport_domain::{CancelRequest, Execution, JobName, JobPause};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::millis;

/// The optional body of `POST /jobs/{jobName}/pause`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PauseRequest {
    /// Why the job is paused (shown with the job and in the audit log).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// A job's pause state: the answer of pause and resume.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobPauseView {
    /// The job.
    pub job_name: String,
    /// Whether its scheduled ticks are skipped (it can still be triggered by hand).
    pub paused: bool,
    /// Who paused it (`token:admin`, `jwt:<subject>`, `cli:<user>`), while paused.
    pub paused_by: Option<String>,
    /// When it was paused, while paused.
    #[schema(format = DateTime)]
    pub paused_at: Option<String>,
    /// Why, when the operator said.
    pub pause_reason: Option<String>,
}

impl JobPauseView {
    /// The state of `job`, paused by `pause` or not paused.
    pub fn of(job: &JobName, pause: Option<&JobPause>) -> Self {
        Self {
            job_name: job.to_string(),
            paused: pause.is_some(),
            paused_by: pause.map(|p| p.paused_by.clone()),
            paused_at: pause.map(|p| millis(&p.paused_at)),
            pause_reason: pause.and_then(|p| p.reason.clone()),
        }
    }
}

/// The answer of an accepted `POST /{executionId}/cancel`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelAccepted {
    /// Always `true`.
    pub success: bool,
    /// "Cancel requested".
    pub message: String,
    /// When the run stops and how it is recorded.
    pub note: String,
    /// The execution asked to cancel.
    #[schema(format = Uuid)]
    pub execution_id: String,
    /// Its job.
    pub job_name: String,
    /// Who asked first (a later request changes nothing).
    pub cancel_requested_by: String,
    /// When the first request was recorded.
    #[schema(format = DateTime)]
    pub cancel_requested_at: String,
}

impl CancelAccepted {
    /// The answer for `execution`, carrying `request` (its first cancel request).
    pub fn of(execution: &Execution, request: &CancelRequest) -> Self {
        Self {
            success: true,
            message: "Cancel requested".to_owned(),
            note: format!(
                "The instance running it stops the run within one heartbeat (IMPORT_HEARTBEAT_INTERVAL) and records it FAILED \"{}\". Follow it with /api/v1/admin/import-jobs/{}.",
                request.last_error(),
                execution.id
            ),
            execution_id: execution.id.to_string(),
            job_name: execution.job_name.to_string(),
            cancel_requested_by: request.by.clone(),
            cancel_requested_at: millis(&request.at),
        }
    }
}
