//! `propimport remap`: maps every source's stored listings again from the source records kept
//! with them, so a new mapping reaches stored listings without fetching any feed.

use std::process::ExitCode;

use propimport_domain::{ExecutionStore as _, JobName, ListingStore, SourceName};
use propimport_importer::{ReadOptions, RemapReport};
use propimport_persistence::{SqlExecutionStore, SqlListingStore};

use crate::config::Config;
use crate::database::open;
use crate::usage::usage;

/// Kept records mapped per batch.
const BATCH: usize = 500;

/// Maps the named source's stored listings again, or every configured source's; a source
/// with a run in progress is refused (the run writes the same listings). Exit code 0: every
/// record mapped, 2: some failed (their listings are kept as they were).
pub async fn remap(config: Config, source: Option<String>, json: bool) -> anyhow::Result<ExitCode> {
    let names: Vec<SourceName> = match &source {
        Some(name) => {
            let parsed = JobName::parse(name).map_err(|e| usage(format!("--source {name:?}: {e}")));
            vec![parsed?]
        }
        None => config
            .sources
            .iter()
            .map(|s| s.config.name.clone())
            .collect(),
    };
    if names.is_empty() {
        return Err(usage(
            "no import source is configured: name one with --source",
        ));
    }
    let db = open(&config).await?;
    let executions = SqlExecutionStore::new(db.clone());
    let listings = SqlListingStore::new(db);
    let mut any_failed = false;
    let mut reports = Vec::new();
    for name in names {
        if !executions.running(Some(&name)).await?.is_empty() {
            anyhow::bail!("{name} is importing now; run remap when its run has ended");
        }
        let options = read_options(&config, &name);
        let now = chrono::Utc::now();
        let report =
            propimport_importer::remap(&listings as &dyn ListingStore, &name, &options, now, BATCH)
                .await
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        any_failed |= report.failed > 0;
        if !json {
            print_report(&name, &report);
        }
        reports.push((name, report));
    }
    if json {
        let documents: Vec<serde_json::Value> = reports
            .iter()
            .map(|(name, r)| {
                serde_json::json!({
                    "source": name.to_string(),
                    "read": r.read,
                    "updated": r.updated,
                    "unchanged": r.unchanged,
                    "withdrawn": r.withdrawn,
                    "failed": r.failed,
                    "errors": r.errors.iter().map(|e| serde_json::json!({
                        "externalId": e.external_id,
                        "message": e.message,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&documents)?);
    }
    Ok(if any_failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// The reading options of a configured source (its currency, its text limit), or the
/// defaults for a source no longer configured.
fn read_options(config: &Config, name: &SourceName) -> ReadOptions {
    let mut options = ReadOptions::default();
    if let Some(source) = config.sources.iter().find(|s| &s.config.name == name) {
        options.max_text_bytes = source.config.max_text_bytes;
        if let Some(currency) = source.config.reso.currency {
            options.currency = currency;
        }
    }
    options
}

fn print_report(name: &SourceName, r: &RemapReport) {
    println!(
        "{name}: {} kept records read, {} updated, {} unchanged, {} withdrawn, {} failed",
        r.read, r.updated, r.unchanged, r.withdrawn, r.failed
    );
    for error in &r.errors {
        println!(
            "  {}: {}",
            error.external_id.as_deref().unwrap_or("(no id)"),
            error.message
        );
    }
}
