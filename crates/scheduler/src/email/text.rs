//! The email of an alert: a subject that says it all, and a plain-text body with the job, the
//! execution, the last error, the time and a link to the dashboard.

use propimport_domain::{Alert, AlertNotice, format_utc_millis};

/// The subject and body of `notice`'s email.
pub fn render(notice: &AlertNotice) -> (String, String) {
    let alert = &notice.alert;
    let subject = if notice.repeated {
        format!("[propimport] {} (still on)", alert.title())
    } else {
        format!("[propimport] {}", alert.title())
    };
    let mut lines: Vec<(&str, String)> = vec![("Job", alert.job_name().to_string())];
    let (what, advice) = match alert {
        Alert::FailureThreshold {
            consecutive_failures,
            threshold,
            last_error,
            ..
        } => {
            lines.push((
                "Alert",
                format!(
                    "{consecutive_failures} failed runs in a row (alert threshold {threshold})"
                ),
            ));
            lines.push((
                "Last error",
                last_error.clone().unwrap_or_else(|| "unknown".into()),
            ));
            (
                "keeps failing",
                "While the job keeps failing this alert is repeated at most once per cooldown \
                 (IMPORT_ALERT_COOLDOWN); a notice follows when a run succeeds again.",
            )
        }
        Alert::Late {
            tick,
            grace_seconds,
            ..
        } => {
            lines.push(("Due at", format_utc_millis(tick)));
            lines.push((
                "Alert",
                format!("no run has started {grace_seconds} s after the scheduled time"),
            ));
            (
                "is late",
                "Check that an instance is running and can reach the database.",
            )
        }
        Alert::Overlong {
            started_at,
            max_seconds,
            cancelled,
            ..
        } => {
            lines.push(("Started", format_utc_millis(started_at)));
            let cancel = if *cancelled {
                "; it is being cancelled"
            } else {
                ""
            };
            lines.push((
                "Alert",
                format!("running longer than the maximum of {max_seconds} s{cancel}"),
            ));
            (
                "runs too long",
                "Check the feed's server and the run's progress on the dashboard.",
            )
        }
        Alert::Recovered { after_failures, .. } => {
            lines.push((
                "Alert",
                format!("succeeded again after {after_failures} failed runs"),
            ));
            ("recovered", "No action is needed.")
        }
    };
    if let Some(id) = alert.execution_id() {
        lines.push(("Execution", id.to_string()));
    }
    lines.push(("When", format_utc_millis(&notice.at)));
    if let Some(link) = &notice.link {
        lines.push(("Dashboard", link.clone()));
    }
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 3;
    let mut body = format!("propimport: job {} {what}.\n\n", alert.job_name());
    for (key, value) in &lines {
        body.push_str(&format!("{:<width$}{value}\n", format!("{key}:")));
    }
    body.push('\n');
    body.push_str(advice);
    body.push_str("\n\n-- \nSent by propimport.\n");
    (subject, body)
}
