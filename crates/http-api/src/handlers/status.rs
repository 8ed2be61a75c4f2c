//! `GET /status`: every job's schedule, next runs, running and last executions, rendered
//! again only when what it shows may have changed.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use propimport_domain::{Execution, format_utc_millis};

use crate::ApiError;
use crate::JobState;
use crate::auth::Admin;
use crate::dto::{Envelope, ExecutionSummary, FireTime, JobView, PendingRetryView, StatusView};
use crate::state::SharedState;

fn fire_times(times: &[DateTime<Utc>], zone: Option<&str>) -> Vec<FireTime> {
    let tz = zone.and_then(|z| z.parse::<chrono_tz::Tz>().ok());
    times.iter().map(|t| FireTime::of(*t, tz)).collect()
}

/// Scheduler status: every job's schedule, next runs and running execution with live
/// progress, plus the first job's fields at the top level as the earlier service had them.
///
/// An answer is reused for at most 100 ms, and only while nothing it shows can have changed
/// (no run started, moved or ended, no job was paused or resumed, no fire time passed).
#[utoipa::path(
    get, path = "/api/v1/admin/import-jobs/status", tag = "import-jobs",
    responses(
        (status = 200, description = "Scheduler and job status", body = Envelope<StatusView>),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn status(
    _admin: Admin,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    // Read before rendering: a change after these reads makes the next request render again.
    let running = state.store.running(None).await?;
    let newest = state.store.last(None).await?;
    let alive = state.control.is_running();
    if alive && let Some(body) = state.status_cache.reuse(&running, newest.as_ref()) {
        return Ok(json(body));
    }
    let (view, next_fire) = status_view(&state, &running, alive).await?;
    let body = web::Bytes::from(serde_json::to_vec(&Envelope::new(view)).map_err(|e| {
        ApiError::from(propimport_domain::Error::storage_caused_by(
            "cannot write the status",
            e,
        ))
    })?);
    if alive {
        state
            .status_cache
            .keep(running, newest, next_fire, body.clone());
    }
    Ok(json(body))
}

fn json(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body)
}

/// The status view, and the earliest next fire time in it (when it stops being current).
///
/// `running` are the RUNNING executions of every replica; `isRunning` says whether there is
/// one, and `runningExecution` names one (a job's of this configuration first).
async fn status_view(
    state: &SharedState,
    running: &[Execution],
    scheduler_running: bool,
) -> Result<(StatusView, Option<DateTime<Utc>>), ApiError> {
    let jobs = state.control.status().await?;
    let names: Vec<_> = jobs.iter().map(|j| j.job_name.clone()).collect();
    let latest = state.store.last_of_jobs(&names).await?;
    let next_fire = jobs
        .iter()
        .filter_map(|j| j.next_runs.first())
        .min()
        .copied();
    let mut views = Vec::with_capacity(jobs.len());
    for job in jobs {
        let newest = latest.iter().find(|e| e.job_name == job.job_name);
        let running_execution = job.running.as_ref().map(|e| summary(e, &job));
        let last_execution = newest.map(|e| summary(e, &job));
        views.push(JobView {
            job_name: job.job_name.to_string(),
            is_scheduled: job.is_scheduled,
            next_runs: fire_times(&job.next_runs, job.timezone.as_deref()),
            schedule: job.schedule,
            timezone: job.timezone,
            schedule_text: job.schedule_text.clone(),
            running_execution,
            last_execution,
            late: job.ticks.late_tick.is_some(),
            late_since: job.ticks.late_tick.as_ref().map(format_utc_millis),
            missed_ticks: job.ticks.missed_ticks,
            last_missed_tick: job.ticks.last_missed_tick.as_ref().map(format_utc_millis),
            pending_tick: job.ticks.pending_tick.as_ref().map(format_utc_millis),
            paused: job.pause.is_some(),
            paused_by: job.pause.as_ref().map(|p| p.paused_by.clone()),
            paused_at: job.pause.as_ref().map(|p| format_utc_millis(&p.paused_at)),
            pause_reason: job.pause.as_ref().and_then(|p| p.reason.clone()),
            pending_retry: job.ticks.pending_retry.map(|r| PendingRetryView {
                tick: format_utc_millis(&r.tick),
                attempt: r.attempt,
                last_attempt: r.last_attempt,
                due_at: format_utc_millis(&r.due_at),
            }),
        });
    }
    let first = views.first();
    let running_execution = views
        .iter()
        .find_map(|j| j.running_execution.clone())
        .or_else(|| running.first().map(Into::into));
    let view = StatusView {
        is_running: running_execution.is_some(),
        scheduler_running,
        is_scheduled: first.is_some_and(|j| j.is_scheduled),
        schedule: first.and_then(|j| j.schedule.clone()),
        timezone: first.and_then(|j| j.timezone.clone()),
        next_runs: first.map(|j| j.next_runs.clone()).unwrap_or_default(),
        running_execution,
        alert_threshold: state.alert_threshold,
        jobs: views,
    };
    Ok((view, next_fire))
}

/// An execution as `/status` shows it: a run this instance drives with its live progress
/// (counts from memory, not from its last heartbeat), any other as its record has it.
fn summary(e: &Execution, job: &JobState) -> ExecutionSummary {
    match &job.live_progress {
        Some(live) if job.running.as_ref().is_some_and(|r| r.id == e.id) => {
            ExecutionSummary::live(e, live)
        }
        _ => e.into(),
    }
}
