//! The `COPY` reference case of one feed size: the rows the JSON import stores, `COPY`'d into
//! a fresh PostgreSQL database and timed as a row of the results.

use std::time::Instant;

use crate::cases::{Bench, Row};
use crate::config::Backend;
use crate::reference;

impl Bench<'_> {
    /// `COPY` of the rows the JSON import stores into a fresh `properties` table.
    pub fn copy_reference(&mut self, size: u64) -> anyhow::Result<()> {
        self.fastest_of_repeats(|cases| Ok(vec![cases.copy_once(size)?]))
    }

    /// One `COPY` into a fresh database; its row.
    fn copy_once(&mut self, size: u64) -> anyhow::Result<Row> {
        let rows_file = self.dir.join(format!("copy-{size}.tsv"));
        let started = Instant::now();
        let bytes = reference::write_copy_rows(&rows_file, size, "bench-json")?;
        eprintln!(
            "prepared {size} COPY rows, {:.0} MB in {:.1} s",
            bytes as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
        let db = self.create_db(Backend::Postgres)?;
        let copied = self
            .runtime
            .block_on(reference::copy_rows(&db.url(), &rows_file));
        let _ = std::fs::remove_file(&rows_file);
        self.drop_db(db)?;
        let (rows, seconds) = copied?;
        let note = (rows != size).then(|| format!("unexpected counts: {rows} rows copied"));
        let row = Row {
            case: "COPY reference",
            backend: Backend::Postgres.name(),
            format: "rows".into(),
            listings: size,
            seconds: Some(seconds),
            listings_per_s: Some(size as f64 / seconds),
            peak_rss_mb: None,
            cpu_seconds: None,
            note,
            counts: None,
        };
        self.report(&row);
        Ok(row)
    }
}
