//! The import benchmark's targets, each judged from rows measured in the same run, and the
//! table that shows rows and verdicts.
//!
//! Every target whose backend and format were asked for gets a verdict: a case that timed out,
//! failed or could not run (PostgreSQL unreachable) is a miss that says so, never a silent
//! gap. `--strict` makes the benchmark exit non-zero on any miss.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Backend, Config, Format, Row};
use crate::cases::REIMPORT_AUTO;

/// PostgreSQL (JSON): first import and re-import, listings/s.
const PG_FIRST_IMPORT_TARGET: f64 = 20_000.0;
const PG_REIMPORT_TARGET: f64 = 50_000.0;
/// Kyero: parse + map + hash alone, listings/s.
const KYERO_READ_TARGET: f64 = 60_000.0;
/// Kyero first import on PostgreSQL, as a share of the `COPY` reference.
const KYERO_PG_VS_COPY: f64 = 0.70;
/// Every other format's reader, parse + map + hash, listings per second.
const OTHER_READ_TARGET: f64 = 20_000.0;
/// The JSON first import on PostgreSQL against `COPY`: 88 % before listings kept their source
/// records, which may cost at most 15 % of it.
const JSON_PG_VS_COPY: f64 = 0.88 * 0.85;
/// A re-import against the first import of the same feed (Kyero on PostgreSQL).
const REIMPORT_VS_FIRST: f64 = 2.0;
/// SQLite (JSON), listings/s.
const SQLITE_FIRST_IMPORT_TARGET: f64 = 25_000.0;
const SQLITE_REIMPORT_TARGET: f64 = 60_000.0;
/// The first import at the largest size on PostgreSQL (JSON), as a share of a `COPY` of as
/// many rows.
const PG_LARGE_VS_COPY: f64 = 0.75;
/// Peak RSS of every import, and its growth from the smallest to the largest size.
const RSS_TARGET_MB: f64 = 150.0;
const RSS_FLAT_RATIO: f64 = 1.2;

/// A target and whether this run met it.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub target: String,
    pub measured: String,
    pub met: bool,
}

impl Verdict {
    fn new(target: String, measured: Option<(String, bool)>, missing: String) -> Self {
        let (measured, met) = measured.unwrap_or((format!("not measured: {missing}"), false));
        Self {
            target,
            measured,
            met,
        }
    }
}

pub fn find<'a>(
    rows: &'a [Row],
    case: &str,
    backend: &str,
    format: &str,
    n: u64,
) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.case == case && r.backend == backend && r.format == format && r.listings == n)
}

/// Why a row has no rate: its note, or that it was not run.
fn why_missing(rows: &[Row], case: &str, backend: &str, format: &str, n: u64) -> String {
    match find(rows, case, backend, format, n) {
        Some(r) => r.note.clone().unwrap_or_else(|| "no figure".into()),
        None if backend == "postgres" => "PostgreSQL was not available".into(),
        None => "the case did not run".into(),
    }
}

fn rate(rows: &[Row], case: &str, backend: &str, format: &str, n: u64) -> Option<f64> {
    find(rows, case, backend, format, n).and_then(|r| r.listings_per_s)
}

/// An import's rate against the `COPY` reference's, met at `target` (a share).
fn share_of_copy(import: Option<f64>, copy: Option<f64>, target: f64) -> Option<(String, bool)> {
    import.zip(copy).map(|(f, c)| {
        let share = f / c;
        (
            format!(
                "{f:.0} listings/s, {:.0}% of COPY ({c:.0} rows/s)",
                share * 100.0
            ),
            share >= target,
        )
    })
}

/// The verdicts of every target the configuration covers.
pub fn verdicts(config: &Config, rows: &[Row]) -> Vec<Verdict> {
    let mut out = Vec::new();
    let n = config.listings;
    let pg = config.backends.contains(&Backend::Postgres);
    let sqlite = config.backends.contains(&Backend::Sqlite);
    let json = config.formats.contains(&Format::Json);
    let kyero = config.formats.contains(&Format::Kyero);
    let copy = rate(rows, "COPY reference", "postgres", "rows", n);
    let copy_missing = || why_missing(rows, "COPY reference", "postgres", "rows", n);

    // An absolute rate target: `case` of `format` on `backend` at the throughput size.
    let mut at_least = |case: &str, backend: &str, format: &str, target: f64| {
        let measured = rate(rows, case, backend, format, n).map(|r| {
            let vs_copy = match (backend, copy) {
                ("postgres", Some(c)) => format!(" ({:.0}% of COPY)", r / c * 100.0),
                _ => String::new(),
            };
            (format!("{r:.0} listings/s{vs_copy}"), r >= target)
        });
        out.push(Verdict::new(
            format!("{case} on {backend} ({format}) >= {target:.0} listings/s"),
            measured,
            why_missing(rows, case, backend, format, n),
        ));
    };
    if kyero {
        at_least("read only", "-", "kyero", KYERO_READ_TARGET);
    }
    for format in config.formats.iter().filter(|f| !f.is_main()) {
        at_least("read only", "-", format.name(), OTHER_READ_TARGET);
    }
    if pg && json {
        at_least("first import", "postgres", "json", PG_FIRST_IMPORT_TARGET);
        at_least("re-import", "postgres", "json", PG_REIMPORT_TARGET);
    }
    if sqlite && json {
        at_least("first import", "sqlite", "json", SQLITE_FIRST_IMPORT_TARGET);
        at_least("re-import", "sqlite", "json", SQLITE_REIMPORT_TARGET);
    }
    if pg && json {
        let first = rate(rows, "first import", "postgres", "json", n);
        let measured = share_of_copy(first, copy, JSON_PG_VS_COPY);
        let missing = if first.is_none() {
            why_missing(rows, "first import", "postgres", "json", n)
        } else {
            copy_missing()
        };
        out.push(Verdict::new(
            format!(
                "first import on postgres (json), source records kept, >= {:.0}% of COPY",
                JSON_PG_VS_COPY * 100.0
            ),
            measured,
            missing,
        ));
    }
    if pg && kyero {
        let first = rate(rows, "first import", "postgres", "kyero", n);
        let measured = share_of_copy(first, copy, KYERO_PG_VS_COPY);
        let missing = if first.is_none() {
            why_missing(rows, "first import", "postgres", "kyero", n)
        } else {
            copy_missing()
        };
        out.push(Verdict::new(
            format!(
                "first import on postgres (kyero) >= {:.0}% of COPY",
                KYERO_PG_VS_COPY * 100.0
            ),
            measured,
            missing,
        ));
        // The re-import, by a source that names the format and by one of format `auto` (the
        // default), against the first import.
        for case in ["re-import", REIMPORT_AUTO] {
            let again = rate(rows, case, "postgres", "kyero", n);
            let measured = again.zip(first).map(|(a, f)| {
                (
                    format!("{a:.0} against {f:.0} listings/s ({:.2}x)", a / f),
                    a >= f * REIMPORT_VS_FIRST,
                )
            });
            out.push(Verdict::new(
                format!("{case} on postgres (kyero) >= {REIMPORT_VS_FIRST:.0}x the first import"),
                measured,
                why_missing(rows, case, "postgres", "kyero", n),
            ));
        }
    }
    let largest = config.rss_sizes.iter().copied().max().unwrap_or(n);
    if pg && json && largest > n {
        let first = rate(rows, "first import", "postgres", "json", largest);
        let copy = rate(rows, "COPY reference", "postgres", "rows", largest);
        let measured = share_of_copy(first, copy, PG_LARGE_VS_COPY);
        let missing = if first.is_none() {
            why_missing(rows, "first import", "postgres", "json", largest)
        } else {
            why_missing(rows, "COPY reference", "postgres", "rows", largest)
        };
        out.push(Verdict::new(
            format!(
                "first import of {largest} on postgres (json) >= {:.0}% of COPY of as many rows",
                PG_LARGE_VS_COPY * 100.0
            ),
            measured,
            missing,
        ));
    }
    rss_verdicts(config, rows, &mut out);
    out
}

/// Peak RSS under the ceiling on every import, and flat from the smallest to the largest size
/// for the formats imported at every size.
fn rss_verdicts(config: &Config, rows: &[Row], out: &mut Vec<Verdict>) {
    let worst = rows
        .iter()
        .filter_map(|r| r.peak_rss_mb.map(|m| (m, r)))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    out.push(Verdict::new(
        format!("peak RSS <= {RSS_TARGET_MB:.0} MB (every import)"),
        worst.map(|(mb, r)| {
            (
                format!(
                    "max {mb:.1} MB ({} {} {} {})",
                    r.case, r.backend, r.format, r.listings
                ),
                mb <= RSS_TARGET_MB,
            )
        }),
        "no import ran".into(),
    ));
    let (Some(&small), Some(&large)) =
        (config.rss_sizes.iter().min(), config.rss_sizes.iter().max())
    else {
        return;
    };
    if small == large {
        return;
    }
    // Only the main formats are imported at every size; the others once, at N.
    let formats = config.formats.iter().filter(|f| f.is_main());
    for backend in &config.backends {
        for format in formats.clone() {
            let (b, f) = (backend.name(), format.name());
            let rss = |n| find(rows, "first import", b, f, n).and_then(|r| r.peak_rss_mb);
            let measured = rss(small).zip(rss(large)).map(|(a, z)| {
                (
                    format!("{a:.1} MB -> {z:.1} MB ({:+.1}%)", (z / a - 1.0) * 100.0),
                    z <= a * RSS_FLAT_RATIO,
                )
            });
            let missing = if rss(small).is_none() {
                why_missing(rows, "first import", b, f, small)
            } else {
                why_missing(rows, "first import", b, f, large)
            };
            out.push(Verdict::new(
                format!(
                    "peak RSS flat {small} -> {large} on {b} ({f}): within {:.0}%",
                    (RSS_FLAT_RATIO - 1.0) * 100.0
                ),
                measured,
                missing,
            ));
        }
    }
}

/// The rows and the verdicts as text.
pub fn table(rows: &[Row], verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<15} {:<9} {:<6} {:>9} {:>9} {:>12} {:>13} {:>8}  note",
        "case", "backend", "format", "listings", "seconds", "listings/s", "peak RSS MB", "CPU s"
    );
    let _ = writeln!(out, "{}", "-".repeat(95));
    let opt = |v: Option<f64>, digits: usize| {
        v.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
    };
    for r in rows {
        let _ = writeln!(
            out,
            "{:<15} {:<9} {:<6} {:>9} {:>9} {:>12} {:>13} {:>8}  {}",
            r.case,
            r.backend,
            r.format,
            r.listings,
            opt(r.seconds, 2),
            opt(r.listings_per_s, 0),
            opt(r.peak_rss_mb, 1),
            opt(r.cpu_seconds, 1),
            r.note.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(out, "\ntargets:");
    for v in verdicts {
        let _ = writeln!(
            out,
            "  [{}] {}: {}",
            if v.met { "met " } else { "MISS" },
            v.target,
            v.measured
        );
    }
    out
}
