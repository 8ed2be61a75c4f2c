//! What the API benchmark reports: a row per endpoint, the verdicts of the targets, and the table.

use std::fmt::Write as _;

use serde::Serialize;

use crate::config::Config;
use crate::load::Measured;
use crate::{Case, P99_TARGET_MS, THROUGHPUT_TARGET, seed};

/// One line of the results.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub endpoint: &'static str,
    pub url: String,
    #[serde(flatten)]
    pub measured: Measured,
    /// The size of one response body, bytes.
    pub body_bytes: usize,
}

/// A target of the issue and whether this run met it.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub target: String,
    pub measured: String,
    pub met: bool,
}

pub fn verdicts(rows: &[(Case, Row)]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for (case, row) in rows.iter().filter(|(c, _)| c.admin) {
        out.push(Verdict {
            target: format!("{}: p99 ≤ {P99_TARGET_MS} ms", case.name),
            measured: format!("{:.2} ms", row.measured.p99_ms),
            met: row.measured.p99_ms <= P99_TARGET_MS && clean(&row.measured),
        });
    }
    let reference = rows
        .iter()
        .find(|(c, _)| !c.admin)
        .map(|(_, r)| r.measured.requests_per_s);
    for name in ["/last", "/status"] {
        if let (Some(reference), Some((_, row))) =
            (reference, rows.iter().find(|(c, _)| c.name == name))
        {
            let share = row.measured.requests_per_s / reference;
            out.push(Verdict {
                target: format!(
                    "{name}: ≥ {:.0}% of /healthz's requests/s",
                    THROUGHPUT_TARGET * 100.0
                ),
                measured: format!(
                    "{:.0} of {:.0} req/s = {:.0}%",
                    row.measured.requests_per_s,
                    reference,
                    share * 100.0
                ),
                met: share >= THROUGHPUT_TARGET && clean(&row.measured),
            });
        }
    }
    out
}

/// Every response was a success.
pub fn clean(m: &Measured) -> bool {
    m.non_2xx == 0 && m.socket_errors == 0
}

pub fn table(
    config: &Config,
    seeded: &seed::Seeded,
    rows: &[(Case, Row)],
    verdicts: &[Verdict],
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nadmin API on PostgreSQL, {} executions of {} jobs; wrk -t{} -c{} -d{}s, {} cores\n",
        seeded.executions,
        seeded.jobs,
        config.load.threads,
        config.load.connections,
        config.load.seconds,
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    let _ = writeln!(
        out,
        "| endpoint | p50 ms | p99 ms | requests/s | body bytes | failed responses |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: |");
    for (_, r) in rows {
        let _ = writeln!(
            out,
            "| `{}` | {:.2} | {:.2} | {:.0} | {} | {} |",
            r.endpoint,
            r.measured.p50_ms,
            r.measured.p99_ms,
            r.measured.requests_per_s,
            r.body_bytes,
            r.measured.non_2xx + r.measured.socket_errors
        );
    }
    let _ = writeln!(out, "\n| target | measured | met |");
    let _ = writeln!(out, "| --- | --- | --- |");
    for v in verdicts {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            v.target,
            v.measured,
            if v.met { "yes" } else { "**no**" }
        );
    }
    out
}
