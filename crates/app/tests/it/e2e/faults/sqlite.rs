//! Two processes on one SQLite file. A second `serve` is refused at start-up (replicas need
//! PostgreSQL) with one error line naming the file, and leaves the first serving; the CLI's
//! `propimport import` next to a live `serve` that ticks every second succeeds, and both
//! record their runs (SQLite writers wait for each other: `BEGIN IMMEDIATE`, busy timeout).

use std::io::Read as _;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::super::support::{Service, command};
use super::{Env, demo_feed, figures, ms, quiet_schedule, sources_file};

const TICKING: &str = "ticking-feed";
const MANUAL: &str = "manual-feed";

/// The sources: one ticking every second in `serve`, one only ever imported by the CLI.
fn env(dir: &std::path::Path) -> Env {
    let demo = demo_feed();
    let quiet = quiet_schedule();
    let sources = sources_file(
        dir,
        &[(TICKING, &demo, "* * * * * *"), (MANUAL, &demo, &quiet)],
    );
    Env::base().set("IMPORT_SOURCES_FILE", &sources)
}

/// Waits up to `within` for `child` to exit; kills it otherwise. Its exit (if it exited by
/// itself), stdout, stderr and how long it ran.
fn finish(mut child: Child, within: Duration) -> (Option<ExitStatus>, String, String, Duration) {
    let started = Instant::now();
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > within {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    (exit, out, err, took)
}

#[test]
fn sqlite_second_serve_on_one_file_is_refused() {
    let rt = super::super::super::rt();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("single.db");
    let url = format!("sqlite://{}", path.display());
    let env = env(dir.path());
    let first = Service::start(dir.path(), &url, &env.pairs());
    rt.block_on(first.wait_ready());
    let second = command(dir.path(), &url, &env.pairs())
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (exit, out, err, took) = finish(second, Duration::from_secs(15));
    let exit = exit.unwrap_or_else(|| {
        panic!(
            "a second serve on {} was not refused: still running after {took:?}\nstdout:\n{out}\nstderr:\n{err}",
            path.display()
        )
    });
    assert!(
        !exit.success(),
        "refused with a non-zero exit: {exit:?}\n{err}"
    );
    let errors: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("ERROR") || l.to_lowercase().starts_with("error"))
        .collect();
    assert_eq!(errors.len(), 1, "one error line: {err}");
    let line = errors[0];
    eprintln!("the second serve: {line}");
    assert!(
        line.contains(&path.display().to_string()),
        "the line names the file: {line}"
    );
    assert!(
        line.contains("PostgreSQL") && line.to_lowercase().contains("replica"),
        "the line says replicas need PostgreSQL: {line}"
    );
    assert!(
        !out.contains("is serving on"),
        "the second never served: {out}"
    );
    figures::record("sqlite_second_serve", &[("refused_after_ms", ms(took))]);
    rt.block_on(async {
        let (status, body) = first.get("/readyz").await;
        assert_eq!(status, 200, "the first still serves: {body}");
        let (status, body) = first.get("/api/v1/admin/import-jobs/status").await;
        assert_eq!(status, 200, "{body}");
    });
}

#[test]
fn sqlite_cli_import_next_to_a_live_serve() {
    let rt = super::super::super::rt();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("shared.db").display());
    let env = env(dir.path());
    let service = Service::start(dir.path(), &url, &env.pairs());
    let ticked_before = rt.block_on(async {
        service.wait_ready().await;
        ticked(&service, 2).await
    });
    let cli = command(dir.path(), &url, &env.pairs())
        .args(["import", "--source", MANUAL])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (exit, out, err, took) = finish(cli, Duration::from_secs(60));
    figures::record(
        "sqlite_cli_import_next_to_serve",
        &[("import_ms", ms(took))],
    );
    let exit = exit.unwrap_or_else(|| panic!("the CLI import hung: {took:?}\n{out}\n{err}"));
    assert!(
        exit.success(),
        "the CLI import next to a live serve: {exit:?}\nstdout:\n{out}\nstderr:\n{err}\nserve:\n{}",
        service.stderr()
    );
    assert!(out.contains(&format!("{MANUAL}  SUCCESS")), "{out}");
    let id = out
        .split("execution ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no execution id: {out}"))
        .to_owned();
    rt.block_on(async {
        let (status, body) = service
            .get(&format!("/api/v1/admin/import-jobs/{id}"))
            .await;
        assert_eq!(status, 200, "the CLI's run is recorded: {body}");
        let run = &body["data"];
        assert_eq!(run["status"], "SUCCESS", "{run}");
        assert_eq!(run["jobName"], MANUAL, "{run}");
        assert_eq!(run["triggeredBy"], "manual", "{run}");
        assert_eq!(run["totalProperties"], 20, "{run}");
        let ticked_after = ticked(&service, ticked_before + 2).await;
        let (_, history) = service
            .get(&format!(
                "/api/v1/admin/import-jobs/history?jobName={TICKING}&limit=100"
            ))
            .await;
        let runs = history["data"]["executions"].as_array().unwrap();
        let failed: Vec<_> = runs.iter().filter(|r| r["status"] == "FAILED").collect();
        assert!(
            failed.is_empty(),
            "serve's ticks next to the CLI all succeed ({ticked_after} ran): {failed:#?}"
        );
    });
    let log = service.stderr();
    assert!(
        !log.contains("database is locked"),
        "no writer of serve was refused a lock: {log}"
    );
}

/// Waits until at least `n` runs of the ticking job have finished; gives how many.
async fn ticked(service: &Service, n: usize) -> usize {
    let started = Instant::now();
    loop {
        let (_, body) = service
            .get(&format!(
                "/api/v1/admin/import-jobs/history?jobName={TICKING}&limit=100"
            ))
            .await;
        let done = body["data"]["executions"].as_array().map_or(0, |runs| {
            runs.iter().filter(|r| r["status"] != "RUNNING").count()
        });
        if done >= n {
            return done;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "serve does not tick: {body}\n{}",
            service.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
