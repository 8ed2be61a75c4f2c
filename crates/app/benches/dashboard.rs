//! Dashboard first load with 1,000 executions: bytes transferred and time to first render in
//! headless Chromium (`e2e/dashboard/measure.mjs`), against the release binary on SQLite.
//!
//! `just bench-dashboard` (needs Debian's chromium and `npm ci` in `e2e/dashboard`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)] // A measurement program: fail loudly.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use propimport_persistence::{Database, DatabaseUrl, PoolOptions, SqlExecutionStore};

const TOKEN: &str = "bench-dashboard-token-0123456789";

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("dashboard.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = Database::connect(&DatabaseUrl::parse(&url).unwrap(), PoolOptions::default())
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let store = SqlExecutionStore::new(db.clone());
        propimport_http_api::testing::seed(
            &store,
            &["demo-costa-blanca", "demo-north-macedonia"],
            1000,
        )
        .await;
        db.close();
    });
    let mut child = Command::new(env!("CARGO_BIN_EXE_propimport"))
        .current_dir(&root)
        .env("DATABASE_URL", &url)
        .env("PORT", "0")
        .env("ADMIN_API_TOKEN", TOKEN)
        .env("IMPORT_TEST_SKIP_IMAGES", "true")
        .env("RUST_LOG", "warn")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let base = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.split("is serving on ").nth(1).map(str::to_owned))
        .expect("banner");
    std::thread::sleep(Duration::from_millis(500));
    let out = Command::new("node")
        .arg("measure.mjs")
        .current_dir(root.join("e2e/dashboard"))
        .env("BASE_URL", &base)
        .env("ADMIN_TOKEN", TOKEN)
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    println!(
        "dashboard first load with 1,000 executions: {}",
        line.trim()
    );
}
