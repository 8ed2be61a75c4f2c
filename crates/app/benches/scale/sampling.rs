//! The scale benchmark's samples, one a second until the window's end: the runs in progress,
//! each replica's resident memory and threads, the database connections in use and the time
//! of one `/status`.

use std::time::{Duration, Instant};

use anyhow::bail;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::feeds::FeedServer;
use crate::service;
use crate::{DATABASE, TOKEN};

/// One second's sample.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub second: f64,
    pub running: i64,
    pub rss_mb: [f64; 2],
    pub threads: [u64; 2],
    pub connections: i64,
    pub status_ms: f64,
}

/// Samples every second until `end`; the samples and the `/status` times (ms) taken from
/// `first` on.
pub async fn sample_until(
    a: &mut service::Service,
    b: &mut service::Service,
    db: &tokio_postgres::Client,
    server: &FeedServer,
    first: DateTime<Utc>,
    end: DateTime<Utc>,
) -> anyhow::Result<(Vec<Sample>, Vec<f64>)> {
    let client = reqwest::Client::builder().no_proxy().build()?;
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut status_ms = Vec::new();
    let mut second = 0u64;
    while Utc::now() < end {
        tokio::time::sleep(Duration::from_secs(1)).await;
        second += 1;
        if !a.is_running() || !b.is_running() {
            bail!("a replica exited:\n{}\n{}", a.log_tail(), b.log_tail());
        }
        let running: i64 = db
            .query_one(
                "SELECT count(*) FROM import_job_executions WHERE status = 'RUNNING'",
                &[],
            )
            .await?
            .get(0);
        let connections: i64 = db
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                &[&DATABASE],
            )
            .await?
            .get(0);
        let base = if second.is_multiple_of(2) {
            &a.base
        } else {
            &b.base
        };
        let asked = Instant::now();
        let answer = client
            .get(format!("{base}/api/v1/admin/import-jobs/status"))
            .bearer_auth(TOKEN)
            .send()
            .await?;
        let ok = answer.status().is_success();
        let _ = answer.bytes().await?;
        let took = asked.elapsed().as_secs_f64() * 1000.0;
        if !ok {
            bail!("/status answered an error");
        }
        let rss = |s: &service::Service| s.memory().map_or(0.0, |m| m.rss_kib as f64 / 1024.0);
        let threads = |s: &service::Service| s.memory().map_or(0, |m| m.threads);
        let sample = Sample {
            second: started.elapsed().as_secs_f64(),
            running,
            rss_mb: [rss(a), rss(b)],
            threads: [threads(a), threads(b)],
            connections,
            status_ms: took,
        };
        if Utc::now() >= first {
            status_ms.push(took);
            samples.push(sample.clone());
        }
        if second.is_multiple_of(30) {
            eprintln!(
                "  {:>4} s: {running:>3} running, RSS {:.0} / {:.0} MB, {connections} connections, /status {took:.1} ms, {} feeds served",
                second,
                sample.rss_mb[0],
                sample.rss_mb[1],
                server.served.load(std::sync::atomic::Ordering::Relaxed)
            );
        }
    }
    Ok((samples, status_ms))
}
