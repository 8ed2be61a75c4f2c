//! The load tool: `wrk` on loopback, its `--latency` report parsed into p50, p99 and
//! requests per second.

use std::process::Command;

use anyhow::{Context as _, bail};
use serde::Serialize;

/// How `wrk` is run.
#[derive(Debug, Clone, Serialize)]
pub struct Load {
    /// `-t`: threads.
    pub threads: usize,
    /// `-c`: connections kept open.
    pub connections: usize,
    /// `-d`: seconds measured.
    pub seconds: u64,
    /// Seconds of load before each measurement (not reported).
    pub warmup_seconds: u64,
}

/// What one `wrk` run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
    /// Requests per second.
    pub requests_per_s: f64,
    /// Requests completed.
    pub requests: u64,
    /// Responses that were not 2xx or 3xx.
    pub non_2xx: u64,
    /// Socket errors (connect, read, write, timeout), summed.
    pub socket_errors: u64,
}

/// The `wrk` binary, or why it is missing.
pub fn check() -> anyhow::Result<String> {
    let out = Command::new("wrk").arg("--version").output().context(
        "wrk is not installed (Debian: apt-get install -y wrk; `just bench-api` does it)",
    )?;
    // wrk prints its version and usage, and exits 1.
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Ok(text
        .lines()
        .next()
        .unwrap_or("wrk")
        .split(" [")
        .next()
        .unwrap_or("wrk")
        .trim()
        .to_owned())
}

impl Load {
    /// Runs `wrk` against `url` with the bearer `token` (if any): a warm-up, then the
    /// measurement.
    pub fn run(&self, url: &str, token: Option<&str>) -> anyhow::Result<Measured> {
        if self.warmup_seconds > 0 {
            self.wrk(url, token, self.warmup_seconds)?;
        }
        let text = self.wrk(url, token, self.seconds)?;
        parse(&text).with_context(|| format!("cannot read wrk's report:\n{text}"))
    }

    fn wrk(&self, url: &str, token: Option<&str>, seconds: u64) -> anyhow::Result<String> {
        let mut cmd = Command::new("wrk");
        cmd.arg(format!("-t{}", self.threads))
            .arg(format!("-c{}", self.connections))
            .arg(format!("-d{seconds}s"))
            .arg("--timeout")
            .arg("30s")
            .arg("--latency");
        if let Some(token) = token {
            cmd.arg("-H").arg(format!("Authorization: Bearer {token}"));
        }
        let out = cmd.arg(url).output().context("run wrk")?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            bail!(
                "wrk failed ({}): {}{}",
                out.status,
                text,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(text)
    }
}

/// A duration as wrk prints it (`812.00us`, `1.25ms`, `2.00s`, `1.00m`) in milliseconds.
fn millis(text: &str) -> anyhow::Result<f64> {
    let t = text.trim();
    let (number, factor) = if let Some(n) = t.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3_600_000.0)
    } else {
        bail!("{t:?} is not a duration");
    };
    let n: f64 = number
        .parse()
        .with_context(|| format!("{t:?} is not a duration"))?;
    Ok(n * factor)
}

/// Reads p50, p99, requests/s, the request count and the error counts of a `--latency`
/// report.
pub fn parse(text: &str) -> anyhow::Result<Measured> {
    let mut p50 = None;
    let mut p99 = None;
    let mut rps = None;
    let mut requests = None;
    let mut non_2xx = 0;
    let mut socket_errors = 0;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("50%") {
            p50 = Some(millis(rest)?);
        } else if let Some(rest) = line.strip_prefix("99%") {
            p99 = Some(millis(rest)?);
        } else if let Some(rest) = line.strip_prefix("Requests/sec:") {
            rps = Some(rest.trim().parse::<f64>().context("Requests/sec")?);
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            non_2xx = rest.trim().parse().context("Non-2xx")?;
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            socket_errors = rest
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1))
                .map(|n| n.parse::<u64>().unwrap_or(0))
                .sum();
        } else if line.contains(" requests in ") {
            requests = line
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok());
        }
    }
    match (p50, p99, rps, requests) {
        (Some(p50_ms), Some(p99_ms), Some(requests_per_s), Some(requests)) => Ok(Measured {
            p50_ms,
            p99_ms,
            requests_per_s,
            requests,
            non_2xx,
            socket_errors,
        }),
        _ => bail!("no latency distribution, Requests/sec or request count"),
    }
}
