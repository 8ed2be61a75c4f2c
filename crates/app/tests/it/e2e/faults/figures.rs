//! The figures the fault tests measure, in a stable form the README can quote: one line per
//! scenario on stderr (also when the test passes and its output is captured),
//!
//! ```text
//! fault-figure: kill_9.sqlite recovery_after_kill_ms=5210 bound_ms=6000
//! ```
//!
//! and the same in `fault-figures.json` in the target directory (`CARGO_TARGET_DIR` when
//! set, else the workspace's `target/`), one object per scenario, merged with the figures of
//! earlier runs of other scenarios:
//!
//! ```json
//! {"kill_9.sqlite": {"recovery_after_kill_ms": 5210, "bound_ms": 6000, "measured_at": "…"}}
//! ```

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{Map, Value};

/// Serializes the read-modify-write of the file between the tests of this process.
static FILE: Mutex<()> = Mutex::new(());

/// Where the figures are written.
pub fn path() -> PathBuf {
    let root = super::super::support::workspace_root();
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    };
    target.join("fault-figures.json")
}

/// Prints and stores the figures of `scenario` (names ending in `_ms` are milliseconds).
pub fn record(scenario: &str, figures: &[(&str, u64)]) {
    let line = figures
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ");
    // Straight to the process's stderr: the test harness captures `eprintln!` of passing
    // tests, and the figures are wanted from every run.
    let _ = writeln!(std::io::stderr(), "fault-figure: {scenario} {line}");
    let mut entry: Map<String, Value> = figures
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    entry.insert(
        "measured_at".to_owned(),
        Value::from(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    );
    let _guard = FILE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = path();
    let mut all: Map<String, Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    all.insert(scenario.to_owned(), Value::Object(entry));
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| {
            let partial = path.with_extension(format!("json.{}", std::process::id()));
            let text = serde_json::to_string_pretty(&Value::Object(all)).unwrap_or_default();
            std::fs::write(&partial, text + "\n")?;
            std::fs::rename(&partial, &path)
        });
    if let Err(e) = written {
        eprintln!("warning: cannot write {}: {e}", path.display());
    }
}
