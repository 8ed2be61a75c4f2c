//! Saying that a test did not run, where the person running the tests sees it.

/// Says, where the person running the tests sees it, that the current test did not run and
/// why: one `SKIPPED <test>: <reason>` line, which `.ci/run` counts in its closing summary (the
/// harness itself can only report such a test `ok`). Written to a duplicate of the process's
/// stderr descriptor, never through the print macros or `io::stderr()`, so no output capture
/// of the test harness (present or future) can swallow it.
pub fn report_skipped(reason: &str) {
    use std::io::Write as _;
    use std::os::fd::AsFd as _;
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let line = format!("SKIPPED {test}: {reason}\n");
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => {
            let _ = std::fs::File::from(fd).write_all(line.as_bytes());
        }
        Err(_) => {
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
    }
}
