//! Bad configuration: every invalid variable gives its one-line error, all at once, and a
//! non-zero exit before anything starts.

use super::support::command;

#[test]
fn each_invalid_variable_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("never.db").display());
    let cases = [
        ("PORT", "http", "PORT=\"http\""),
        ("HOST", "my-laptop", "HOST=\"my-laptop\""),
        ("TZ", "Mars/Olympus", "TZ"),
        ("IMPORT_CRON_SCHEDULE", "every day", "IMPORT_CRON_SCHEDULE"),
        ("IMPORT_ALERT_THRESHOLD", "-1", "IMPORT_ALERT_THRESHOLD"),
        ("ADMIN_API_TOKEN", "short", "ADMIN_API_TOKEN"),
        ("ADMIN_JWT_SECRET", "tiny", "ADMIN_JWT_SECRET"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("METRICS_JOB_SERIES", "all", "METRICS_JOB_SERIES=\"all\""),
    ];
    for (name, value, expected) in cases {
        let output = command(dir.path(), &url, &[(name, value)])
            .arg("serve")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(78), "{name}={value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert!(
            lines.len() == 1 && lines[0].contains(expected),
            "{name}={value} gives one line naming it: {stderr}"
        );
    }
    let output = command(
        dir.path(),
        &url,
        &[("PORT", "x"), ("TZ", "Nowhere/Land"), ("LOG_FORMAT", "xml")],
    )
    .arg("serve")
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        3,
        "all at once: {stderr}"
    );
    assert!(!dir.path().join("never.db").exists(), "nothing started");
}
