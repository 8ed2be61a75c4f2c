//! `/metrics` as Prometheus reads it, on the real binary: a `# HELP` and `# TYPE` for every
//! metric, every configured job's series from the start, clean route labels, lower-case
//! label values, the last success after a run, each family and series once in every scrape
//! (which `promtool check metrics` accepts); and `propimport health` against it.

use std::process::Output;
use std::time::Duration;

use super::support::{Service, command, request};

const JOBS: [&str; 2] = ["demo-costa-blanca", "demo-north-macedonia"];

/// A scrape of `/metrics`, checked: each family and series once, and accepted by `promtool`.
pub(super) async fn metrics(service: &Service) -> String {
    let (status, body) = request(
        reqwest::Method::GET,
        &format!("{}/metrics", service.base),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let text = body.as_str().unwrap_or_default().to_owned();
    assert_each_once(&text);
    assert_promtool_accepts(&text);
    text
}

/// The value of the sample `series` (name and labels exactly as rendered).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Asserts that `text` has each metric family once (one `# TYPE` line) and each series once:
/// the exposition format allows a family once (`promtool` and Prometheus' client parsers
/// refuse a second), and Prometheus drops a series given twice.
fn assert_each_once(text: &str) {
    let mut families = std::collections::HashSet::new();
    let mut series = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(typed) = line.strip_prefix("# TYPE ") {
            let name = typed.split_whitespace().next().unwrap_or_default();
            assert!(
                families.insert(name),
                "{name} has two # TYPE lines:\n{text}"
            );
        } else if !line.starts_with('#') && !line.is_empty() {
            let (name_and_labels, _) = line.rsplit_once(' ').unwrap_or((line, ""));
            assert!(
                series.insert(name_and_labels),
                "{name_and_labels} is given twice:\n{text}"
            );
        }
    }
}

/// Lints `text` with `promtool check metrics` (Debian's `prometheus` package, which CI
/// installs): the exposition format, and Prometheus' naming and HELP conventions.
fn assert_promtool_accepts(text: &str) {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let spawned = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            propimport_persistence::testing::report_skipped(
                "promtool check metrics not run: promtool is not installed",
            );
            return;
        }
        Err(e) => panic!("promtool: {e}"),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // promtool may stop reading early; its own message says why.
        let _ = stdin.write_all(text.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `propimport health ARGS` (PORT names a port nothing listens on: `--url` decides).
fn health(dir: &std::path::Path, args: &[&str]) -> Output {
    command(dir, "sqlite://unused.db", &[("PORT", "1")])
        .arg("health")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn metrics_are_described_and_every_job_is_there_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("metrics.db").display());
    let mut service = Service::start(dir.path(), &url, &[]);
    let rt = super::super::rt();
    rt.block_on(async {
        service.wait_ready().await;
        let text = metrics(&service).await;

        // Every metric has its HELP and TYPE lines.
        let typed: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert!(typed.len() >= 10, "{text}");
        for name in typed {
            assert!(
                text.contains(&format!("# HELP {name} ")),
                "no HELP for {name}:\n{text}"
            );
        }
        assert!(text.contains("propimport_build_info{version=\""), "{text}");

        // Before any run, each job's series are there with their starting values.
        for job in JOBS {
            let l = format!("{{job_name=\"{job}\"}}");
            for status in ["success", "failed", "partial"] {
                let series =
                    format!("propimport_runs_total{{job_name=\"{job}\",status=\"{status}\"}}");
                assert_eq!(sample(&text, &series), Some(0.0), "{series}:\n{text}");
            }
            for (name, value) in [
                ("propimport_job_running", 0.0),
                ("propimport_job_late", 0.0),
                ("propimport_job_paused", 0.0),
                ("propimport_consecutive_failures", 0.0),
                ("propimport_job_last_success_timestamp_seconds", 0.0),
                ("propimport_job_period_seconds", 86_400.0),
                ("propimport_skipped_ticks_total", 0.0),
                ("propimport_missed_ticks_total", 0.0),
            ] {
                assert_eq!(
                    sample(&text, &format!("{name}{l}")),
                    Some(value),
                    "{name}{l}:\n{text}"
                );
            }
            assert!(
                sample(
                    &text,
                    &format!("propimport_job_next_run_timestamp_seconds{l}")
                )
                .is_some_and(|t| t > 1.7e9),
                "{text}"
            );
        }

        // Route labels are patterns without regexes; an unknown path is one label.
        let (status, _) = service.get("/docs/").await;
        assert_eq!(status, 200);
        let (status, _) = service.get("/no/such/path/42").await;
        assert_eq!(status, 404);
        let text = metrics(&service).await;
        assert!(text.contains("route=\"/docs/*\""), "{text}");
        assert!(text.contains("route=\"unmatched\""), "{text}");
        assert!(!text.contains("{_:"), "{text}");
        assert!(!text.contains("/no/such/path"), "{text}");

        // A run sets the last success to its end and counts in lower case.
        let id = service.trigger(JOBS[0]).await;
        let run = service.wait_finished(&id, Duration::from_secs(60)).await;
        assert_eq!(run["status"], "SUCCESS", "{run}");
        let ended = chrono::DateTime::parse_from_rfc3339(run["completedAt"].as_str().unwrap())
            .unwrap()
            .timestamp_millis() as f64
            / 1000.0;
        let text = metrics(&service).await;
        let l = format!("{{job_name=\"{}\"}}", JOBS[0]);
        let last = sample(
            &text,
            &format!("propimport_job_last_success_timestamp_seconds{l}"),
        );
        assert!(
            last.is_some_and(|t| (t - ended).abs() < 0.002),
            "last success {last:?}, run ended {ended}:\n{text}"
        );
        let series = format!(
            "propimport_runs_total{{job_name=\"{}\",status=\"success\"}}",
            JOBS[0]
        );
        assert_eq!(sample(&text, &series), Some(1.0), "{text}");
        assert!(!text.contains("status=\"SUCCESS\""), "{text}");

        // `propimport health` asks the service on --url (or PORT) and says so in one line.
        let ok = health(dir.path(), &["--url", &service.base]);
        let out = String::from_utf8_lossy(&ok.stdout);
        assert!(ok.status.success(), "{ok:?}");
        assert_eq!(
            out.trim(),
            format!("ok: {}/readyz answered ready", service.base)
        );
        let port = service.base.rsplit(':').next().unwrap().to_owned();
        let live = command(dir.path(), &url, &[("PORT", &port)])
            .args(["health", "--live"])
            .output()
            .unwrap();
        assert!(live.status.success(), "{live:?}");
        assert!(String::from_utf8_lossy(&live.stdout).contains("/healthz answered ok"));
    });
    let (status, _) = service.terminate(Duration::from_secs(20));
    assert!(status.success(), "{}", service.stderr());

    // With the service gone: exit 1 and one line saying why.
    let down = health(dir.path(), &["--url", &service.base, "--timeout", "2s"]);
    assert_eq!(down.status.code(), Some(1), "{down:?}");
    let err = String::from_utf8_lossy(&down.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("error: {}/readyz: no answer", service.base)),
        "{err}"
    );
}

/// With `METRICS_JOB_SERIES=1` the second job has no series of its own: its counters and
/// gauges are those of `job_name="(other)"`, and a run of it counts there.
#[test]
fn jobs_beyond_the_per_job_limit_are_summed_up() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("metrics.db").display());
    let mut service = Service::start(dir.path(), &url, &[("METRICS_JOB_SERIES", "1")]);
    let rt = super::super::rt();
    rt.block_on(async {
        service.wait_ready().await;
        let text = metrics(&service).await;
        let own = format!("{{job_name=\"{}\"}}", JOBS[0]);
        let other = "{job_name=\"(other)\"}";
        for name in ["propimport_job_running", "propimport_consecutive_failures"] {
            assert_eq!(sample(&text, &format!("{name}{own}")), Some(0.0), "{text}");
            assert_eq!(
                sample(&text, &format!("{name}{other}")),
                Some(0.0),
                "{text}"
            );
        }
        assert!(!text.contains(JOBS[1]), "{text}");
        let runs = "propimport_runs_total{job_name=\"(other)\",status=\"success\"}";
        assert_eq!(sample(&text, runs), Some(0.0), "{text}");

        let id = service.trigger(JOBS[1]).await;
        let run = service.wait_finished(&id, Duration::from_secs(60)).await;
        assert_eq!(run["status"], "SUCCESS", "{run}");
        let text = metrics(&service).await;
        assert_eq!(sample(&text, runs), Some(1.0), "{text}");
        assert!(
            sample(
                &text,
                "propimport_job_last_success_timestamp_seconds{job_name=\"(other)\"}"
            )
            .is_some_and(|t| t > 1.7e9),
            "{text}"
        );
        assert_eq!(
            sample(&text, &format!("propimport_job_period_seconds{other}")),
            Some(86_400.0),
            "the period of the job most overdue: {text}"
        );
        assert!(!text.contains(JOBS[1]), "{text}");
    });
    let (status, _) = service.terminate(Duration::from_secs(20));
    assert!(status.success(), "{}", service.stderr());
}
