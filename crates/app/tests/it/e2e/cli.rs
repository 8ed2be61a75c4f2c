//! The command line as a person meets it: errors as one `error: …` line with exit code 2 for
//! a bad flag, an unknown job or an id start naming nothing; read-only commands print their
//! answer and no log lines; `executions list` in words with a failed run's reason; a unique
//! start of an id for `executions show`; `schedule next` in words, from any instant, marking
//! a fire time a DST gap moved.

use std::process::Output;

use super::support::command;

struct Cli {
    dir: tempfile::TempDir,
    url: String,
}

impl Cli {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("cli.db").display());
        Self { dir, url }
    }

    /// Runs `propimport args…` with `env`, the default log levels (no `RUST_LOG`).
    fn run(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        command(self.dir.path(), &self.url, env)
            .env_remove("RUST_LOG")
            .args(args)
            .output()
            .unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts `output` exited with `code` and said exactly one line, `error: …` containing
/// `expected`, on stderr.
fn one_error_line(output: &Output, code: i32, expected: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("error: ") && lines[0].contains(expected),
        "one line `error: …{expected}…`, got: {stderr}"
    );
}

#[test]
fn usage_errors_are_one_line_and_exit_2() {
    let cli = Cli::new();
    one_error_line(
        &cli.run(&[], &["executions", "list", "--limit", "500"]),
        2,
        "--limit",
    );
    one_error_line(
        &cli.run(&[], &["executions", "list", "--status", "DONE"]),
        2,
        "--status",
    );
    one_error_line(
        &cli.run(&[], &["executions", "list", "--job", "nope"]),
        2,
        "--job: no job named \"nope\" (configured: demo-costa-blanca, demo-north-macedonia)",
    );
    one_error_line(&cli.run(&[], &["executions", "show", "zz"]), 2, "\"zz\"");
    one_error_line(
        &cli.run(&[], &["executions", "show", "0190f5c2"]),
        2,
        "no execution's id starts with 0190f5c2",
    );
    one_error_line(
        &cli.run(&[], &["schedule", "next", "61 * * * *"]),
        2,
        "minute: 61 is out of range 0-59",
    );
    one_error_line(
        &cli.run(&[], &["schedule", "next", "--from", "soon"]),
        2,
        "--from: \"soon\" is not a time",
    );
    let clap = cli.run(&[], &["executions", "list", "--bogus"]);
    assert_eq!(clap.status.code(), Some(2), "{}", text(&clap.stderr));
}

#[test]
fn read_only_commands_answer_without_log_lines() {
    let cli = Cli::new();
    for args in [
        &["executions", "list"][..],
        &["jobs", "list"][..],
        &["schedule", "next"][..],
    ] {
        let output = cli.run(&[], args);
        assert!(output.status.success(), "{args:?}");
        assert_eq!(text(&output.stderr), "", "{args:?} logs nothing");
    }
    let listed = text(&cli.run(&[], &["executions", "list"]).stdout);
    assert!(listed.contains("0 of 0 executions"), "{listed}");
    let jobs = text(&cli.run(&[], &["jobs", "list"]).stdout);
    assert!(
        jobs.contains("at 00:00 every day, Europe/Skopje"),
        "each job's schedule in words: {jobs}"
    );
}

#[test]
fn the_history_says_new_updated_unchanged_and_why_a_run_failed() {
    let cli = Cli::new();
    let imported = cli.run(&[], &["import", "--source", "demo-costa-blanca"]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    // Read from the configuration: the catalog was seeded with the demo feeds by the first
    // command.
    let broken = [
        ("IMPORT_SOURCE_URL", "/nonexistent/partner/feed.xml"),
        ("IMPORT_SOURCE_NAME", "broken-partner"),
        ("IMPORT_SOURCES_MODE", "config"),
    ];
    let failed = cli.run(&broken, &["import"]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stderr));

    let list = cli.run(&broken, &["executions", "list"]);
    let stdout = text(&list.stdout);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let header = stdout.lines().next().unwrap();
    for word in [
        "NEW",
        "UPDATED",
        "UNCHANGED",
        "FAILED",
        "WITHDRAWN",
        "REASON",
    ] {
        assert!(header.contains(word), "{header}");
    }
    assert!(
        !header.contains("SUCCESS") && !header.contains("SKIPPED"),
        "{header}"
    );
    let failed_line = stdout
        .lines()
        .find(|l| l.contains("broken-partner"))
        .unwrap();
    assert!(
        failed_line.contains("FAILED")
            && failed_line.contains("cannot open")
            && failed_line.ends_with('…'),
        "the reason on the run's line, shortened: {failed_line}"
    );
    let wide = [broken[0], broken[1], ("COLUMNS", "400")];
    let wide = text(&cli.run(&wide, &["executions", "list"]).stdout);
    let failed_line = wide.lines().find(|l| l.contains("broken-partner")).unwrap();
    assert!(
        failed_line.contains("/nonexistent/partner/feed.xml") && !failed_line.ends_with('…'),
        "the whole reason on a wide terminal: {failed_line}"
    );
    let ok_line = stdout
        .lines()
        .find(|l| l.contains("demo-costa-blanca"))
        .unwrap();
    let cells: Vec<&str> = ok_line.split_whitespace().collect();
    assert_eq!(cells[2], "SUCCESS", "{ok_line}");
    assert_eq!(
        &cells[6..11],
        ["30", "0", "0", "0", "0"],
        "30 new: {ok_line}"
    );
    assert!(stdout.contains("2 of 2 executions"), "{stdout}");

    // The start of an id names the run.
    let id = ok_line.split_whitespace().next().unwrap();
    let show = cli.run(&[], &["executions", "show", &id[..13]]);
    let shown = text(&show.stdout);
    assert!(show.status.success(), "{}", text(&show.stderr));
    assert!(shown.contains(&format!("execution  {id}")), "{shown}");
    assert!(
        shown.contains("30 new, 0 updated, 0 unchanged, 0 failed, 0 withdrawn"),
        "{shown}"
    );
    let json = cli.run(&[], &["executions", "list", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["pagination"]["total"], 2, "the API's history document");
    assert_eq!(doc["executions"][1]["successCount"], 30, "the API's fields");
}

#[test]
fn schedule_next_previews_from_any_instant_and_marks_dst_moves() {
    let cli = Cli::new();
    let output = cli.run(
        &[],
        &[
            "schedule",
            "next",
            "30 2 * * *",
            "--tz",
            "Europe/Skopje",
            "--from",
            "2026-03-27 12:00",
            "-n",
            "3",
        ],
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "30 2 * * * (Europe/Skopje): at 02:30 every day, Europe/Skopje"
    );
    assert!(lines[2].contains("Sat 2026-03-28 02:30:00 CET"), "{stdout}");
    assert!(
        lines[3].contains("Sun 2026-03-29 03:00:00 CEST")
            && lines[3].ends_with("moved: 02:30 does not exist on 2026-03-29"),
        "{stdout}"
    );
    let fold = cli.run(
        &[],
        &[
            "schedule",
            "next",
            "30 * * * *",
            "--tz",
            "Europe/Skopje",
            "--from",
            "2026-10-25T00:00:00Z",
            "-n",
            "2",
            "--json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&fold.stdout).unwrap();
    assert_eq!(doc["description"], "every hour at :30, Europe/Skopje");
    assert_eq!(doc["nextRuns"][0]["dst"], "first of the repeated hour");
    assert_eq!(doc["nextRuns"][1]["dst"], "second of the repeated hour");
}

/// `remap` maps the stored listings again from their kept records: after an import nothing
/// changes, `--json` reports it per source, and an unknown source name is refused.
#[test]
fn remap_maps_stored_listings_again_from_their_kept_records() {
    let cli = Cli::new();
    let imported = cli.run(&[], &["import", "--source", "demo-costa-blanca"]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let remapped = cli.run(&[], &["remap", "--source", "demo-costa-blanca", "--json"]);
    assert!(remapped.status.success(), "{}", text(&remapped.stderr));
    let reports: serde_json::Value = serde_json::from_slice(&remapped.stdout).unwrap();
    let report = &reports[0];
    assert_eq!(report["source"], "demo-costa-blanca");
    let read = report["read"].as_u64().unwrap();
    assert!(read > 0, "{report}");
    assert_eq!(report["unchanged"].as_u64(), Some(read), "{report}");
    assert_eq!(report["failed"].as_u64(), Some(0), "{report}");
    let words = text(&cli.run(&[], &["remap"]).stdout);
    assert!(
        words.contains("demo-costa-blanca: ") && words.contains("demo-north-macedonia: "),
        "every configured source: {words}"
    );
    one_error_line(
        &cli.run(&[], &["remap", "--source", "a b"]),
        2,
        "--source \"a b\"",
    );
}
