//! The dashboard's first render in the scale benchmark, timed in headless Chromium by
//! `e2e/dashboard/measure.mjs`.

use std::path::Path;

use anyhow::{Context as _, bail};

use crate::TOKEN;

/// The dashboard's first render with every job (ms, the median of three), measured by
/// `e2e/dashboard/measure.mjs` in headless Chromium.
pub fn dashboard_render(base: &str) -> anyhow::Result<f64> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e/dashboard");
    if !script.join("node_modules/playwright-core").exists() {
        bail!("playwright-core is not installed (npm ci in e2e/dashboard)");
    }
    let out = std::process::Command::new("node")
        .arg("measure.mjs")
        .current_dir(&script)
        .env("BASE_URL", base)
        .env("ADMIN_TOKEN", TOKEN)
        .env("RUNS", "3")
        .output()
        .context("node")?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr));
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    report["firstRenderMs"]["median"]
        .as_f64()
        .context("no firstRenderMs in the measure's answer")
}
