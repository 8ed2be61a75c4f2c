//! Imports a local feed file into a SQLite database, as a service embedding the importer would:
//!
//! ```sh
//! cargo run -p propimport-importer --example import_file -- examples/feeds/costa-blanca.kyero.xml data/example.db
//! ```
//!
//! The format follows the file name (`.xml` is Kyero, anything else propimport JSON). Run it
//! twice: the second run reports every listing unchanged.

use std::sync::Arc;

use propimport_domain::{CancelToken, JobName, ListingStore, ProgressHandle};
use propimport_importer::{FeedFormat, Importer, Location, SourceConfig};
use propimport_persistence::{Database, DatabaseUrl, PoolOptions, SqlListingStore};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let feed = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/feeds/costa-blanca.kyero.xml"
        )
        .into()
    });
    let database = args.next().unwrap_or_else(|| "data/example.db".into());
    let format = if feed.ends_with(".xml") {
        FeedFormat::KYERO
    } else {
        FeedFormat::JSON
    };

    let db = Database::connect(
        &DatabaseUrl::parse(&format!("sqlite://{database}"))?,
        PoolOptions::default(),
    )
    .await?;
    db.migrate().await?;
    let listings: Arc<dyn ListingStore> = Arc::new(SqlListingStore::new(db.clone()));

    let source = SourceConfig::new(JobName::parse("example")?, format, Location::parse(&feed)?);
    let importer = Importer::builder(source, listings.clone()).build()?;
    let report = importer
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await?;
    println!(
        "{feed} → {database}: {} records, {} new, {} changed, {} unchanged, {} failed, {} withdrawn",
        report.total,
        report.inserted,
        report.updated,
        report.unchanged,
        report.failed,
        report.withdrawn
    );
    for error in report.errors.items.iter().take(5) {
        let id = error.external_id.as_deref().unwrap_or("-");
        println!("  {id} [{}] {}", error.stage, error.message);
    }
    println!(
        "{} active listings of source \"example\"",
        listings.count_active(&JobName::parse("example")?).await?
    );
    db.close();
    Ok(())
}
