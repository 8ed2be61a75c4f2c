//! Query parameters: read by name from the query string, unknown ones ignored, bad values
//! answered with 400 naming the parameter.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use propimport_domain::{
    AlertEventQuery, AlertKind, AuditQuery, ExecutionStatus, HistoryQuery, JobFilter, JobName,
    JobPageLimit, JobQuery, JobSearch, PageLimit, StatisticsQuery, TimeRange, TriggeredBy,
    WindowDays,
};

use crate::ApiError;

/// The query string of a request, by parameter name (the last value wins).
pub type Params = HashMap<String, String>;

/// The value of `name`, trimmed; `None` when absent, a 400 when given empty (`?days=`).
fn get<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, ApiError> {
    match params.get(name).map(|v| v.trim()) {
        Some("") => Err(ApiError::invalid(format!(
            "{name} must not be empty; leave it out for the default"
        ))),
        value => Ok(value),
    }
}

fn integer(params: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    get(params, name)?
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| ApiError::invalid(format!("{name} must be an integer, got {v:?}")))
        })
        .transpose()
}

fn time(params: &Params, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    get(params, name)?
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    ApiError::invalid(format!(
                        "{name} must be an RFC 3339 time such as 2025-12-24T00:00:00Z, got {v:?} ({e})"
                    ))
                })
        })
        .transpose()
}

/// The optional `jobName` parameter.
pub fn job_name(params: &Params) -> Result<Option<JobName>, ApiError> {
    get(params, "jobName")?
        .map(JobName::parse)
        .transpose()
        .map_err(ApiError::from)
}

fn page(params: &Params) -> Result<(PageLimit, u64), ApiError> {
    let limit = integer(params, "limit")?
        .map(PageLimit::new)
        .transpose()?
        .unwrap_or_default();
    Ok((limit, offset(params)?))
}

fn offset(params: &Params) -> Result<u64, ApiError> {
    match integer(params, "offset")? {
        None => Ok(0),
        Some(n) => u64::try_from(n)
            .map_err(|_| ApiError::invalid(format!("offset must be 0 or more, got {n}"))),
    }
}

/// A yes-or-no parameter: `true` or `false`, in any case.
fn flag(params: &Params, name: &str) -> Result<Option<bool>, ApiError> {
    get(params, name)?
        .map(|v| match v.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(ApiError::invalid(format!(
                "{name} must be true or false, got {v:?}"
            ))),
        })
        .transpose()
}

fn status(params: &Params) -> Result<Option<ExecutionStatus>, ApiError> {
    get(params, "status")?
        .map(str::parse::<ExecutionStatus>)
        .transpose()
        .map_err(ApiError::from)
}

/// `GET /status`: limit (1 to 500, default 100), offset, q, status, failing, late, paused and
/// running.
pub fn jobs(params: &Params) -> Result<JobQuery, ApiError> {
    let limit = integer(params, "limit")?
        .map(JobPageLimit::new)
        .transpose()?
        .unwrap_or_default();
    let filter = JobFilter {
        search: get(params, "q")?.map(JobSearch::parse).transpose()?,
        last_status: status(params)?,
        failing: flag(params, "failing")?,
        late: flag(params, "late")?,
        paused: flag(params, "paused")?,
        running: flag(params, "running")?,
    };
    Ok(JobQuery {
        filter,
        limit,
        offset: offset(params)?,
    })
}

/// `GET /sources`: q (a part of the name or URL, any case), limit (1 to 500, default 100),
/// offset.
pub fn sources(params: &Params) -> Result<(Option<String>, JobPageLimit, u64), ApiError> {
    let limit = integer(params, "limit")?
        .map(JobPageLimit::new)
        .transpose()?
        .unwrap_or_default();
    let q = get(params, "q")?.map(str::to_lowercase);
    Ok((q, limit, offset(params)?))
}

/// `GET /history`: limit, offset, status, triggeredBy, jobName, from, to.
pub fn history(params: &Params) -> Result<HistoryQuery, ApiError> {
    let (limit, offset) = page(params)?;
    let status = status(params)?;
    let triggered_by = get(params, "triggeredBy")?.map(triggered_by).transpose()?;
    let range = TimeRange::new(time(params, "from")?, time(params, "to")?)?;
    Ok(HistoryQuery {
        limit,
        offset,
        status,
        triggered_by,
        job_name: job_name(params)?,
        range,
    })
}

/// The API's triggers: `cron`, `manual` or `api`, in any case.
fn triggered_by(text: &str) -> Result<TriggeredBy, ApiError> {
    match TriggeredBy::from_text(&text.to_ascii_lowercase()) {
        TriggeredBy::Other(_) => Err(ApiError::invalid(format!(
            "triggeredBy must be cron, manual or api, got {text:?}"
        ))),
        known => Ok(known),
    }
}

/// `GET /statistics`: days (default 30) and jobName.
pub fn statistics(params: &Params, now: DateTime<Utc>) -> Result<StatisticsQuery, ApiError> {
    let days = integer(params, "days")?
        .map(WindowDays::new)
        .transpose()?
        .unwrap_or(WindowDays::DEFAULT);
    Ok(StatisticsQuery {
        days,
        job_name: job_name(params)?,
        now,
    })
}

/// `GET /audit-log`: limit and offset.
pub fn audit(params: &Params) -> Result<AuditQuery, ApiError> {
    let (limit, offset) = page(params)?;
    Ok(AuditQuery { limit, offset })
}

/// `GET /alerts`: limit, offset, jobName and kind.
pub fn alerts(params: &Params) -> Result<AlertEventQuery, ApiError> {
    let (limit, offset) = page(params)?;
    Ok(AlertEventQuery {
        limit,
        offset,
        job_name: job_name(params)?,
        kind: get(params, "kind")?.map(AlertKind::parse).transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn message(e: ApiError) -> String {
        e.body().error.message
    }

    #[test]
    fn history_defaults_and_filters() {
        let q = history(&params(&[("unknown", "x")])).unwrap();
        assert_eq!(q.limit.get(), 50);
        assert_eq!(q.offset, 0);
        let q = history(&params(&[
            ("status", "failed"),
            ("triggeredBy", "CRON"),
            ("jobName", "demo"),
            ("from", "2025-12-24T00:00:00+01:00"),
            ("limit", "10"),
            ("offset", "20"),
        ]))
        .unwrap();
        assert_eq!(q.status, Some(ExecutionStatus::Failed));
        assert_eq!(q.triggered_by, Some(TriggeredBy::Cron));
        assert_eq!(
            q.range.from().unwrap().to_rfc3339(),
            "2025-12-23T23:00:00+00:00"
        );
        assert_eq!((q.limit.get(), q.offset), (10, 20));
    }

    #[test]
    fn job_lists_page_search_and_filter() {
        let q = jobs(&params(&[])).unwrap();
        assert_eq!((q.limit.get(), q.offset), (100, 0));
        assert_eq!(q.filter, JobFilter::default());
        let q = jobs(&params(&[
            ("limit", "500"),
            ("offset", "1000"),
            ("q", " Kyero "),
            ("status", "failed"),
            ("failing", "TRUE"),
            ("late", "false"),
            ("paused", "False"),
            ("running", "true"),
        ]))
        .unwrap();
        assert_eq!((q.limit.get(), q.offset), (500, 1000));
        assert_eq!(q.filter.search.unwrap().as_str(), "kyero");
        assert_eq!(q.filter.last_status, Some(ExecutionStatus::Failed));
        assert_eq!(
            (
                q.filter.failing,
                q.filter.late,
                q.filter.paused,
                q.filter.running
            ),
            (Some(true), Some(false), Some(false), Some(true))
        );
        for (name, value, says) in [
            ("limit", "0", "limit must be between 1 and 500, got 0"),
            ("limit", "501", "limit must be between 1 and 500, got 501"),
            ("offset", "-1", "offset must be 0 or more, got -1"),
            ("q", "", "q must not be empty; leave it out for the default"),
            ("status", "DONE", "status: must be one of"),
            (
                "failing",
                "yes",
                "failing must be true or false, got \"yes\"",
            ),
            ("late", "1", "late must be true or false"),
            ("paused", "", "paused must not be empty"),
            ("running", "on", "running must be true or false"),
        ] {
            let said = message(jobs(&params(&[(name, value)])).unwrap_err());
            assert!(said.starts_with(says), "{name}={value}: {said}");
        }
        let long = "x".repeat(65);
        assert!(
            message(jobs(&params(&[("q", &long)])).unwrap_err()).starts_with("q must be 1 to 64")
        );
    }

    #[test]
    fn bad_values_name_the_parameter() {
        assert_eq!(
            message(history(&params(&[("limit", "500")])).unwrap_err()),
            "limit must be between 1 and 100, got 500"
        );
        assert!(
            message(history(&params(&[("limit", "ten")])).unwrap_err())
                .starts_with("limit must be an integer")
        );
        assert!(message(history(&params(&[("offset", "-1")])).unwrap_err()).starts_with("offset"));
        assert!(
            message(history(&params(&[("status", "DONE")])).unwrap_err()).starts_with("status")
        );
        assert!(
            message(history(&params(&[("from", "yesterday")])).unwrap_err()).starts_with("from")
        );
        assert!(
            message(history(&params(&[("jobName", "a b")])).unwrap_err()).starts_with("jobName")
        );
        assert!(
            message(
                history(&params(&[
                    ("from", "2025-02-01T00:00:00Z"),
                    ("to", "2025-01-01T00:00:00Z")
                ]))
                .unwrap_err()
            )
            .starts_with("from")
        );
        assert!(
            message(statistics(&params(&[("days", "0")]), Utc::now()).unwrap_err())
                .starts_with("days")
        );
        assert!(
            message(history(&params(&[("triggeredBy", "ops")])).unwrap_err())
                .starts_with("triggeredBy must be cron, manual or api")
        );
        for name in [
            "limit",
            "offset",
            "status",
            "triggeredBy",
            "jobName",
            "from",
            "to",
        ] {
            assert_eq!(
                message(history(&params(&[(name, " ")])).unwrap_err()),
                format!("{name} must not be empty; leave it out for the default")
            );
        }
        assert!(
            message(statistics(&params(&[("days", "")]), Utc::now()).unwrap_err())
                .starts_with("days must not be empty")
        );
        assert!(
            message(audit(&params(&[("limit", "")])).unwrap_err())
                .starts_with("limit must not be empty")
        );
        assert!(job_name(&params(&[("jobName", "")])).is_err());
    }
}
