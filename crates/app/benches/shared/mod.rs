//! Helpers every benchmark binary uses: counts in arguments, the machine's load, where the
//! JSON report goes.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// `100000`, `100_000`, `100k` or `1m`.
pub fn parse_count(text: &str) -> anyhow::Result<u64> {
    let t = text.trim().to_ascii_lowercase().replace('_', "");
    let (digits, factor) = match t.strip_suffix('k') {
        Some(d) => (d, 1_000),
        None => match t.strip_suffix('m') {
            Some(d) => (d, 1_000_000),
            None => (t.as_str(), 1),
        },
    };
    let n: u64 = digits
        .parse()
        .with_context(|| format!("{text:?} is not a count"))?;
    if n == 0 {
        bail!("a count must be at least 1");
    }
    Ok(n * factor)
}

/// The 1, 5 and 15 minute load averages (Linux): other work on the machine skews the figures.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `<target>/<file>`, in the target directory the bench binary was built in.
pub fn report_path(file: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // <target>/<profile>/deps/<bench binary>
            let exe = std::env::current_exe().ok()?;
            exe.ancestors().nth(3).map(Path::to_path_buf)
        })
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join(file)
}
