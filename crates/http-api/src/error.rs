//! The JSON error answer of every endpoint: `{"success": false, "error": {"code", "message"}}`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use propimport_domain::{ControlRefusal, Error, ExecutionId, TriggerRefusal};
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer: its status, machine-readable code and human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    execution_id: Option<ExecutionId>,
    retry_after_secs: Option<u64>,
}

/// The body of an error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The `error` object of an error answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// A stable code: `INVALID_PARAMETER`, `UNAUTHORIZED`, `FORBIDDEN`, `NOT_FOUND`,
    /// `METHOD_NOT_ALLOWED`, `ALREADY_RUNNING`, `NOT_RUNNING`, `CONFLICT`,
    /// `PRECONDITION_FAILED`, `PAYLOAD_TOO_LARGE`,
    /// `RATE_LIMITED`, `UNAVAILABLE`, `INTERNAL` (and `INVALID_REQUEST` for another refusal of
    /// a request).
    pub code: String,
    /// A sentence saying what was wrong.
    pub message: String,
    /// The execution concerned (the running one for `ALREADY_RUNNING`, the one that has ended
    /// for `NOT_RUNNING`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub execution_id: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            execution_id: None,
            retry_after_secs: None,
        }
    }

    /// 400 `INVALID_PARAMETER`: `message` says which parameter and why.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_PARAMETER", message)
    }

    /// 401 `UNAUTHORIZED`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    /// 403 `FORBIDDEN`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }

    /// 404 `NOT_FOUND`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    /// 405 `METHOD_NOT_ALLOWED` (the answer also carries `Allow`).
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            message,
        )
    }

    /// 409 `ALREADY_RUNNING` naming the running execution.
    pub fn already_running(message: impl Into<String>, execution_id: ExecutionId) -> Self {
        Self {
            execution_id: Some(execution_id),
            ..Self::new(StatusCode::CONFLICT, "ALREADY_RUNNING", message)
        }
    }

    /// 409 `NOT_RUNNING`: the execution has ended (it cannot be cancelled).
    pub fn not_running(message: impl Into<String>, execution_id: ExecutionId) -> Self {
        Self {
            execution_id: Some(execution_id),
            ..Self::new(StatusCode::CONFLICT, "NOT_RUNNING", message)
        }
    }

    /// 409 `CONFLICT`: the request clashes with the stored state (a name taken, a read-only
    /// catalog).
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "CONFLICT", message)
    }

    /// 412 `PRECONDITION_FAILED`: the `If-Match` version is not the stored one.
    pub fn precondition_failed(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "PRECONDITION_FAILED",
            message,
        )
    }

    /// 429 `RATE_LIMITED` with a `Retry-After` of `secs` seconds.
    pub fn rate_limited(secs: u64) -> Self {
        Self {
            retry_after_secs: Some(secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                format!("too many manual triggers; retry in {secs} s"),
            )
        }
    }

    /// 413 `PAYLOAD_TOO_LARGE`.
    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", message)
    }

    /// 503 `UNAVAILABLE`.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", message)
    }

    /// 500 `INTERNAL`: a fault of the service, never of the request.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", message)
    }

    /// The answer for a refusal that no handler wrote (the framework's own 4xx and 5xx):
    /// its status with the code the API uses for it.
    pub(crate) fn for_status(status: StatusCode, message: impl Into<String>) -> Self {
        let code = match status.as_u16() {
            400 => "INVALID_PARAMETER",
            401 => "UNAUTHORIZED",
            403 => "FORBIDDEN",
            404 => "NOT_FOUND",
            405 => "METHOD_NOT_ALLOWED",
            413 => "PAYLOAD_TOO_LARGE",
            429 => "RATE_LIMITED",
            503 => "UNAVAILABLE",
            s if s >= 500 => "INTERNAL",
            _ => "INVALID_REQUEST",
        };
        Self::new(status, code, message)
    }

    /// The same answer with another message.
    pub(crate) fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// The execution named (the running one for `ALREADY_RUNNING`).
    pub(crate) fn execution_id(&self) -> Option<ExecutionId> {
        self.execution_id
    }

    /// The seconds of `Retry-After` (for `RATE_LIMITED`).
    pub(crate) fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after_secs
    }

    /// The human message.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The body this error is answered with.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            success: false,
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.clone(),
                execution_id: self.execution_id.as_ref().map(ToString::to_string),
            },
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"propimport-admin\""),
            ));
        }
        response.json(self.body())
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidParameter { parameter, message } => {
                if message.starts_with(&parameter) {
                    Self::invalid(message)
                } else {
                    Self::invalid(format!("{parameter}: {message}"))
                }
            }
            Error::NotFound(_) | Error::SourceNotFound(_) => Self::not_found(e.to_string()),
            Error::SourceExists(_) => Self::conflict(e.to_string()),
            Error::SourceVersionMismatch { .. } => Self::precondition_failed(e.to_string()),
            Error::AlreadyRunning {
                ref execution_id, ..
            } => {
                let id = *execution_id;
                Self::already_running(e.to_string(), id)
            }
            Error::NotRunning { execution_id, .. } => {
                Self::not_running(e.to_string(), execution_id)
            }
            Error::Unavailable { .. } => {
                tracing::warn!(error = %e, "answering 503: the database is unavailable");
                Self::unavailable("the database is unavailable; retry shortly")
            }
            other => {
                tracing::error!(error = %other, "answering 500");
                Self::internal("the service failed to answer; see its log")
            }
        }
    }
}

/// The one answer to a refused pause, resume or cancel: 404 `NOT_FOUND` for an unknown job
/// or execution, else the store's error's answer (409 for a run that is not running).
impl From<ControlRefusal> for ApiError {
    fn from(refusal: ControlRefusal) -> Self {
        match refusal {
            ControlRefusal::UnknownJob { .. } => Self::not_found(refusal.to_string()),
            ControlRefusal::Store(Error::NotFound(id)) => {
                Self::not_found(format!("execution {id} not found"))
            }
            ControlRefusal::Store(e) => Self::from(e),
            // A refusal this version does not know: a fault of the service.
            other => {
                tracing::error!(error = %other, "answering 500");
                Self::internal("the service failed to answer; see its log")
            }
        }
    }
}

/// The one answer to a refused trigger: 409 `ALREADY_RUNNING` naming the running execution,
/// 400 `INVALID_PARAMETER` for the job's name, 503 `UNAVAILABLE` while shutting down, else the
/// store's error's answer.
impl From<TriggerRefusal> for ApiError {
    fn from(refusal: TriggerRefusal) -> Self {
        match refusal {
            TriggerRefusal::AlreadyRunning { execution_id, .. } => {
                Self::already_running(refusal.to_string(), execution_id)
            }
            TriggerRefusal::UnknownJob { .. } | TriggerRefusal::JobRequired(_) => {
                Self::invalid(format!("jobName: {refusal}"))
            }
            TriggerRefusal::ShuttingDown => Self::unavailable(refusal.to_string()),
            TriggerRefusal::Store(e) => Self::from(e),
            // A refusal this version does not know: a fault of the service.
            other => {
                tracing::error!(error = %other, "answering 500");
                Self::internal("the service failed to answer; see its log")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_refusals_map_to_statuses_and_codes() {
        let job_name = propimport_domain::JobName::parse("feed").expect("a job name");
        let execution_id = ExecutionId::new();
        let running = ApiError::from(TriggerRefusal::AlreadyRunning {
            job_name,
            execution_id,
        });
        assert_eq!(
            (running.status(), running.code(), running.execution_id()),
            (StatusCode::CONFLICT, "ALREADY_RUNNING", Some(execution_id))
        );
        assert_eq!(
            running.message(),
            "a run of job feed is already in progress"
        );
        let unknown = ApiError::from(TriggerRefusal::UnknownJob {
            name: "nope".into(),
            configured: "feed".into(),
        });
        assert_eq!(
            (unknown.status(), unknown.code(), unknown.message()),
            (
                StatusCode::BAD_REQUEST,
                "INVALID_PARAMETER",
                "jobName: unknown job \"nope\"; configured jobs: feed"
            )
        );
        let stopping = ApiError::from(TriggerRefusal::ShuttingDown);
        assert_eq!(
            (stopping.status(), stopping.code(), stopping.message()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "the service is shutting down; no new runs start"
            )
        );
        let down = ApiError::from(TriggerRefusal::Store(Error::unavailable("refused")));
        assert_eq!(
            (down.status(), down.code(), down.message()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "the database is unavailable; retry shortly"
            )
        );
        let failed = ApiError::from(TriggerRefusal::Store(Error::storage("bad row")));
        assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn domain_errors_map_to_statuses() {
        assert_eq!(
            ApiError::from(Error::invalid(
                "limit",
                "must be between 1 and 100, got 500"
            ))
            .status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ApiError::from(Error::unavailable("refused")).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            ApiError::from(Error::storage("bad row")).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(ApiError::rate_limited(7).retry_after_secs, Some(7));
    }
}
