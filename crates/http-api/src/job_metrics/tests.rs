//! The per-job gauges: values from the overview and the outcomes, the text, and the jobs
//! beyond the limit summed up in one series.

use chrono::TimeZone;
use propimport_domain::ExecutionStatus;

use super::*;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, hour, 0, 0).unwrap()
}

fn flags(name: &str) -> JobFlags {
    JobFlags {
        job_name: JobName::parse(name).unwrap(),
        is_scheduled: true,
        running: false,
        late: false,
        paused: false,
        next_run: Some(at(23)),
        period: Some(Duration::from_secs(3_600)),
    }
}

fn outcome(name: &str, failures: i32, success: Option<DateTime<Utc>>) -> JobOutcome {
    JobOutcome {
        job_name: JobName::parse(name).unwrap(),
        last_status: ExecutionStatus::Failed,
        last_finished: Some(ExecutionStatus::Failed),
        consecutive_failures: failures,
        last_success_at: success,
    }
}

fn line(text: &str, metric: &str, job: &str) -> Option<String> {
    let start = format!("{metric}{{job_name=\"{job}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&start).map(str::to_owned))
}

#[test]
fn each_job_has_its_series_with_help_and_type() {
    let mut a = flags("feed-a");
    a.running = true;
    let mut b = flags("feed-b");
    b.next_run = None;
    b.period = None;
    let g = gauges(
        &[a, b],
        &[outcome("feed-a", 2, Some(at(10)))],
        JobSeries::DEFAULT,
        at(12),
    );
    let text = render(&g);
    for metric in [
        RUNNING,
        LAST_SUCCESS,
        CONSECUTIVE_FAILURES,
        LATE,
        PAUSED,
        NEXT_RUN,
        PERIOD,
    ] {
        assert_eq!(
            text.matches(&format!("# HELP {metric} ")).count(),
            1,
            "{metric}: {text}"
        );
        assert!(text.contains(&format!("# TYPE {metric} gauge\n")), "{text}");
    }
    assert_eq!(line(&text, RUNNING, "feed-a").as_deref(), Some("1"));
    assert_eq!(
        line(&text, CONSECUTIVE_FAILURES, "feed-a").as_deref(),
        Some("2")
    );
    assert_eq!(
        line(&text, LAST_SUCCESS, "feed-a"),
        Some(unix_seconds(at(10)).to_string())
    );
    assert_eq!(line(&text, PERIOD, "feed-a").as_deref(), Some("3600"));
    // A job that never ran: 0 failures, never succeeded; unscheduled: no next run or period.
    assert_eq!(
        line(&text, CONSECUTIVE_FAILURES, "feed-b").as_deref(),
        Some("0")
    );
    assert_eq!(line(&text, LAST_SUCCESS, "feed-b").as_deref(), Some("0"));
    assert_eq!(line(&text, NEXT_RUN, "feed-b"), None);
    assert_eq!(line(&text, PERIOD, "feed-b"), None);
    assert!(!text.contains(OTHER_JOBS));
}

#[test]
fn jobs_beyond_the_limit_are_summed_up_as_their_worst() {
    let mut jobs: Vec<JobFlags> = (0..6).map(|i| flags(&format!("feed-{i}"))).collect();
    jobs[2].paused = true;
    jobs[3].late = true;
    jobs[3].next_run = Some(at(13));
    jobs[4].period = Some(Duration::from_secs(86_400));
    let outcomes = [
        // Paused: its old success does not count as overdue.
        outcome("feed-2", 7, Some(at(0))),
        // 4 h since its success, hourly: 4 periods overdue, the most.
        outcome("feed-3", 1, Some(at(8))),
        // 6 h since its success, daily: a quarter of a period.
        outcome("feed-4", 0, Some(at(6))),
        outcome("feed-5", 3, None),
    ];
    let g = gauges(&jobs, &outcomes, JobSeries(2), at(12));
    let text = render(&g);
    let names: Vec<&str> = g.iter().map(|g| g.job_name.as_str()).collect();
    assert_eq!(names, ["feed-0", "feed-1", OTHER_JOBS]);
    assert_eq!(line(&text, RUNNING, OTHER_JOBS).as_deref(), Some("0"));
    assert_eq!(
        line(&text, LATE, OTHER_JOBS).as_deref(),
        Some("1"),
        "any is late"
    );
    assert_eq!(
        line(&text, PAUSED, OTHER_JOBS).as_deref(),
        Some("0"),
        "not all are paused"
    );
    assert_eq!(
        line(&text, CONSECUTIVE_FAILURES, OTHER_JOBS).as_deref(),
        Some("7"),
        "the most failures in a row"
    );
    assert_eq!(
        line(&text, NEXT_RUN, OTHER_JOBS),
        Some(unix_seconds(at(13)).to_string())
    );
    assert_eq!(
        line(&text, LAST_SUCCESS, OTHER_JOBS),
        Some(unix_seconds(at(8)).to_string()),
        "the most overdue job's"
    );
    assert_eq!(line(&text, PERIOD, OTHER_JOBS).as_deref(), Some("3600"));
    assert_eq!(text.matches(OTHER_JOBS).count(), 7, "one line per gauge");

    // No limit beyond the jobs: no summed-up series; a limit of 0: only the summed-up one.
    assert_eq!(gauges(&jobs, &outcomes, JobSeries(6), at(12)).len(), 6);
    let none = gauges(&jobs, &outcomes, JobSeries(0), at(12));
    assert_eq!(none.len(), 1);
    assert_eq!(none[0].job_name, OTHER_JOBS);
    assert_eq!(JobSeries(1).label(&jobs[1].job_name, 1), OTHER_JOBS);
    assert_eq!(JobSeries(2).label(&jobs[1].job_name, 1), "feed-1");
}
