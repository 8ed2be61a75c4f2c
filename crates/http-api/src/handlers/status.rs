//! `GET /status`: a page of the jobs that pass a search and filters, each with its schedule,
//! next runs, running and last executions, and the summary of every job; rendered again only
//! when what it shows may have changed.
//!
//! The work of a request follows the page, not the number of jobs: every job is looked at
//! only through the scheduler's overview and the store's `job_outcomes` (one read for all
//! jobs, cached by the store), and the schedules in words, the next runs and the last
//! executions are read for the jobs of the page alone.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use propimport_domain::{
    Execution, JobFacts, JobFilter, JobName, JobOutcome, JobQuery, JobSummary, format_utc_millis,
};

use crate::ApiError;
use crate::auth::Admin;
use crate::dto::{
    Envelope, ExecutionStatusName, ExecutionSummary, FireTime, JobView, PendingRetryView,
    StatusView,
};
use crate::params::{self, Params};
use crate::state::SharedState;
use crate::{JobFlags, JobState};

fn fire_times(times: &[DateTime<Utc>], zone: Option<&str>) -> Vec<FireTime> {
    let tz = zone.and_then(|z| z.parse::<chrono_tz::Tz>().ok());
    times.iter().map(|t| FireTime::of(*t, tz)).collect()
}

/// Scheduler status: a page of the jobs that pass the search and filters (every job, in
/// configuration order, up to 100 by default), each with its schedule, next runs and running
/// execution with live progress; the summary of every job; and the first configured job's
/// fields at the top level as the earlier service had them.
///
/// An answer is reused for at most 100 ms, and only while nothing it shows can have changed
/// (no run started, moved or ended, no job was paused or resumed, no fire time passed).
#[utoipa::path(
    get, path = "/api/v1/admin/import-jobs/status", tag = "import-jobs",
    params(
        ("limit" = Option<u32>, Query,
            description = "Jobs per page, 1 to 500 (default 100: a service with up to 100 jobs \
                lists them all)",
            minimum = 1, maximum = 500),
        ("offset" = Option<u64>, Query,
            description = "Matching jobs to skip (default 0)", minimum = 0),
        ("q" = Option<String>, Query,
            description = "Only jobs whose name contains this, ignoring case",
            min_length = 1, max_length = 64),
        ("status" = Option<ExecutionStatusName>, Query,
            description = "Only jobs whose most recent execution has this status: RUNNING, \
                SUCCESS, FAILED or PARTIAL (any case)"),
        ("failing" = Option<bool>, Query,
            description = "Only jobs whose latest finished run failed (true) or did not \
                (false)"),
        ("late" = Option<bool>, Query,
            description = "Only late jobs (true: a tick without a run past the lateness grace), \
                or jobs that are not late (false)"),
        ("paused" = Option<bool>, Query, description = "Only paused jobs, or jobs not paused"),
        ("running" = Option<bool>, Query,
            description = "Only jobs with a run in progress on any replica, or without"),
    ),
    responses(
        (status = 200, description = "Scheduler and job status", body = Envelope<StatusView>),
        (status = 400, description = "A parameter is invalid", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the admin role", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn status(
    _admin: Admin,
    query: web::Query<Params>,
    state: web::Data<SharedState>,
) -> Result<HttpResponse, ApiError> {
    let query = params::jobs(&query)?;
    // Read before rendering: a change after these reads makes the next request render again.
    let (running, newest) = futures::join!(state.store.running(None), state.store.last(None));
    let (running, newest) = (running?, newest?);
    let alive = state.control.is_running();
    if alive && let Some(body) = state.status_cache.reuse(&query, &running, newest.as_ref()) {
        return Ok(json(body));
    }
    let (view, next_fire) = status_view(&state, &query, &running, alive).await?;
    let body = web::Bytes::from(serde_json::to_vec(&Envelope::new(view)).map_err(|e| {
        ApiError::from(propimport_domain::Error::storage_caused_by(
            "cannot write the status",
            e,
        ))
    })?);
    if alive {
        state
            .status_cache
            .keep(query, running, newest, next_fire, body.clone());
    }
    Ok(json(body))
}

fn json(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body)
}

/// Every configured job as the filters see it.
fn facts(flags: Vec<JobFlags>, outcomes: Vec<JobOutcome>) -> Vec<JobFacts> {
    let mut outcomes: HashMap<JobName, JobOutcome> = outcomes
        .into_iter()
        .map(|o| (o.job_name.clone(), o))
        .collect();
    flags
        .into_iter()
        .map(|f| JobFacts {
            outcome: outcomes.remove(&f.job_name),
            job_name: f.job_name,
            running: f.running,
            late: f.late,
            paused: f.paused,
        })
        .collect()
}

/// The jobs of `page` and the first configured job (whose schedule heads the answer).
fn with_first(page: &[JobName], first: Option<&JobName>) -> Vec<JobName> {
    let mut wanted = page.to_vec();
    if let Some(first) = first
        && !wanted.contains(first)
    {
        wanted.push(first.clone());
    }
    wanted
}

/// The status view, and the earliest next fire time in it (when it stops being current).
///
/// `running` are the RUNNING executions of every replica; `isRunning` says whether there is
/// one, and `runningExecution` names one (a job's of the page first, then a configured job's).
async fn status_view(
    state: &SharedState,
    query: &JobQuery,
    running: &[Execution],
    scheduler_running: bool,
) -> Result<(StatusView, Option<DateTime<Utc>>), ApiError> {
    // The reads that do not depend on each other go at once: a busy database answers each
    // slowly, and their waits would add up. Without filters the page is the jobs' own order,
    // so its states and latest runs are read with the rest.
    let jobs = state.control.jobs();
    let guessed: Option<(Vec<JobName>, Vec<JobName>)> = (query.filter == JobFilter::default())
        .then(|| {
            let skip = usize::try_from(query.offset).unwrap_or(usize::MAX);
            let page: Vec<JobName> = jobs
                .iter()
                .skip(skip)
                .take(query.limit.get() as usize)
                .cloned()
                .collect();
            let wanted = with_first(&page, jobs.first());
            (page, wanted)
        });
    let page_reads = async {
        match &guessed {
            Some((page, wanted)) => Some(futures::join!(
                state.control.status(wanted),
                state.store.last_of_jobs(page)
            )),
            None => None,
        }
    };
    let (flags, outcomes, prefetched) = futures::join!(
        state.control.overview(),
        state.store.job_outcomes(&jobs),
        page_reads
    );
    let (flags, outcomes) = (flags?, outcomes?);
    let names: Vec<JobName> = flags.iter().map(|f| f.job_name.clone()).collect();
    let first = names.first().cloned();
    let facts = facts(flags, outcomes);
    let summary = JobSummary::of(&facts);
    let (page, pagination) = query.select(&facts);
    let page: Vec<JobName> = page.iter().map(|f| f.job_name.clone()).collect();
    let wanted = with_first(&page, first.as_ref());
    let (states, latest) = match (prefetched, guessed) {
        (Some(read), Some((p, w))) if p == page && w == wanted => read,
        _ => {
            futures::join!(
                state.control.status(&wanted),
                state.store.last_of_jobs(&page)
            )
        }
    };
    let latest = latest?;
    let mut states: HashMap<JobName, JobState> = states?
        .into_iter()
        .map(|j| (j.job_name.clone(), j))
        .collect();
    let next_fire = states
        .values()
        .filter_map(|j| j.next_runs.first())
        .min()
        .copied();
    let head = first.as_ref().and_then(|f| states.get(f)).map(|j| {
        (
            j.is_scheduled,
            j.schedule.clone(),
            j.timezone.clone(),
            fire_times(&j.next_runs, j.timezone.as_deref()),
        )
    });
    let views: Vec<JobView> = page
        .iter()
        .filter_map(|name| states.remove(name))
        .map(|job| {
            let newest = latest.iter().find(|e| e.job_name == job.job_name);
            job_view(job, newest)
        })
        .collect();
    let configured: HashSet<&JobName> = names.iter().collect();
    let running_execution = views
        .iter()
        .find_map(|j| j.running_execution.clone())
        .or_else(|| {
            running
                .iter()
                .find(|e| configured.contains(&e.job_name))
                .or_else(|| running.first())
                .map(Into::into)
        });
    let (is_scheduled, schedule, timezone, next_runs) = head.unwrap_or_default();
    let view = StatusView {
        is_running: running_execution.is_some(),
        scheduler_running,
        is_scheduled,
        schedule,
        timezone,
        next_runs,
        running_execution,
        alert_threshold: state.alert_threshold,
        jobs: views,
        pagination: (&pagination).into(),
        summary: (&summary).into(),
    };
    Ok((view, next_fire))
}

/// One job of the page, with its newest execution.
fn job_view(job: JobState, newest: Option<&Execution>) -> JobView {
    let running_execution = job.running.as_ref().map(|e| summary(e, &job));
    let last_execution = newest.map(|e| summary(e, &job));
    JobView {
        job_name: job.job_name.to_string(),
        is_scheduled: job.is_scheduled,
        next_runs: fire_times(&job.next_runs, job.timezone.as_deref()),
        schedule: job.schedule,
        timezone: job.timezone,
        schedule_text: job.schedule_text,
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
        waiting: job.waiting.map(|w| crate::dto::WaitingView {
            since: format_utc_millis(&w.since),
            ahead: w.ahead as u64,
        }),
    }
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
