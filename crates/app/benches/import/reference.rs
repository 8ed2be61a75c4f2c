//! The physical reference for the import benchmark: the same rows the JSON import stores,
//! `COPY`'d into the same `properties` table (same columns, constraints and indexes) of a
//! fresh database.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Read as _, Write as _};
use std::path::Path;
use std::pin::pin;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::SinkExt as _;
use propimport_domain::{Listing, Price, Transaction};
use propimport_importer::hash::content_hash;

use crate::generate;
use crate::postgres::connect;

/// The columns the store writes, in `PropertyRow`'s order.
const COLUMNS: &str = "source, external_id, status, content_hash, transaction_type, \
     price_minor, currency, property_type, bedrooms, bathrooms, built_area_m2, plot_area_m2, \
     country, province, town, postal_code, latitude, longitude, data, source_modified_at, \
     first_seen_at, withdrawn_at, created_at, updated_at";

/// Writes, in `COPY … FROM STDIN` text format, the rows that importing the generated JSON
/// feed of `count` listings as `source` stores; returns the file's size.
pub fn write_copy_rows(path: &Path, count: u64, source: &str) -> anyhow::Result<u64> {
    let file = File::create(path).with_context(|| format!("create {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let seen = Utc::now();
    let mut line = String::with_capacity(8 * 1024);
    for i in 0..count {
        let listing = generate::listing(i)?;
        line.clear();
        row(&mut line, source, &listing, seen)?;
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    Ok(out.get_ref().metadata()?.len())
}

fn row(out: &mut String, source: &str, l: &Listing, seen: DateTime<Utc>) -> anyhow::Result<()> {
    let (minor, currency) = match l.price {
        Price::Amount { amount } => (
            Some(amount.minor().to_string()),
            Some(amount.currency().as_str().to_owned()),
        ),
        Price::OnRequest => (None, None),
    };
    let transaction = match l.transaction {
        Transaction::Sale => "sale",
        Transaction::RentMonthly => "rent_monthly",
        Transaction::RentWeekly => "rent_weekly",
    };
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, true);
    let a = &l.address;
    let fields: [Option<String>; 24] = [
        Some(source.to_owned()),
        Some(l.external_id.as_str().to_owned()),
        Some("active".to_owned()),
        Some(content_hash(l)),
        Some(transaction.to_owned()),
        minor,
        currency,
        l.property_type.clone(),
        l.bedrooms.map(|v| v.to_string()),
        l.bathrooms.map(|v| v.to_string()),
        l.built_area_m2.map(|v| v.to_string()),
        l.plot_area_m2.map(|v| v.to_string()),
        a.country.clone(),
        a.province.clone(),
        a.town.clone(),
        a.postal_code.clone(),
        a.location.map(|p| p.latitude().to_string()),
        a.location.map(|p| p.longitude().to_string()),
        Some(serde_json::to_string(l)?),
        l.source_modified_at.map(time),
        Some(time(seen)),
        None,
        Some(time(seen)),
        Some(time(seen)),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        match field {
            None => out.push_str("\\N"),
            Some(text) => escape_into(out, text),
        }
    }
    out.push('\n');
    Ok(())
}

/// COPY text-format escaping (the generated texts have no other control characters).
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// `COPY`s the rows of `rows_file` into `properties` of the database at `url` and gives each
/// its last-seen row (`property_seen`, written by one `INSERT … SELECT`), as an import does;
/// returns the rows copied and the seconds both took.
pub async fn copy_rows(url: &str, rows_file: &Path) -> anyhow::Result<(u64, f64)> {
    let client = connect(url).await?;
    let mut file =
        File::open(rows_file).with_context(|| format!("open {}", rows_file.display()))?;
    let statement = format!("COPY properties ({COLUMNS}) FROM STDIN");
    let started = Instant::now();
    let sink = client
        .copy_in::<str, VecDeque<u8>>(statement.as_str())
        .await
        .context("start COPY")?;
    let mut sink = pin!(sink);
    loop {
        let mut chunk = vec![0u8; 1 << 20];
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        chunk.truncate(n);
        sink.send(VecDeque::from(chunk))
            .await
            .context("COPY data")?;
    }
    let rows = sink.as_mut().finish().await.context("finish COPY")?;
    client
        .execute(
            "INSERT INTO property_seen (property_id, last_seen_at) \
             SELECT id, first_seen_at FROM properties",
            &[],
        )
        .await
        .context("last-seen rows")?;
    Ok((rows, started.elapsed().as_secs_f64()))
}
