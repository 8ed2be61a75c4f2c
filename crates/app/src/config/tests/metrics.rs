//! `METRICS_JOB_SERIES`: how many jobs have series of their own in `/metrics`.

use propimport_http_api::JobSeries;

use super::config;

#[test]
fn reads_and_checks_how_many_jobs_have_their_own_metrics() {
    assert_eq!(config(&[]).unwrap().http.metrics_job_series, JobSeries(100));
    let c = config(&[("METRICS_JOB_SERIES", "2000")]).unwrap();
    assert_eq!(c.http.metrics_job_series, JobSeries(2000));
    assert_eq!(
        config(&[("METRICS_JOB_SERIES", "0")])
            .unwrap()
            .http
            .metrics_job_series,
        JobSeries(0)
    );
    for bad in ["-1", "many", "100001"] {
        let problems = config(&[("METRICS_JOB_SERIES", bad)]).unwrap_err();
        assert!(
            problems.iter().any(|p| p.starts_with(&format!(
                "METRICS_JOB_SERIES={bad:?}: expected a whole number from 0 to 100000"
            ))),
            "{problems:?}"
        );
    }
}
