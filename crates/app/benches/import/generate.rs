//! Deterministic, varied listings and the feeds made of them: propimport JSON (an array or
//! NDJSON), Kyero v3 XML and Rightmove BLM, written record by record so that a feed of a
//! million listings never sits in memory.
//!
//! Listing `i` is always the same (its own seeded generator), so the COPY reference can
//! rebuild exactly the rows the JSON import stores.

#[path = "generate/blm.rs"]
mod blm;
#[path = "generate/json.rs"]
mod json;
#[path = "generate/kyero.rs"]
mod kyero;
#[path = "generate/openimmo.rs"]
mod openimmo;
#[path = "generate/reaxml.rs"]
mod reaxml;
#[path = "generate/regions.rs"]
mod regions;
#[path = "generate/words.rs"]
mod words;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write as _};

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use propimport_domain::{
    Address, Currency, EnergyRating, ExternalId, GeoPoint, Image, LanguageCode, Listing,
    LocalizedText, Money, Price, Transaction,
};

pub use blm::write_blm;
pub use json::{JsonForm, write_json};
pub use kyero::write_kyero;
pub use openimmo::write_openimmo;
pub use reaxml::write_reaxml;
use regions::REGIONS;
use words::{FEATURES, KINDS, RATINGS, kind_name, sentences, title};

/// A fixed seed, so every run benchmarks the same feeds.
const SEED: u64 = 0x7072_6f70_696d_706f;

/// The `i`th listing (0-based) of every generated feed.
pub fn listing(i: u64) -> anyhow::Result<Listing> {
    let mut rng = fastrand::Rng::with_seed(SEED ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let region = &REGIONS[rng.usize(..REGIONS.len())];
    let kind = rng.usize(..KINDS.len());
    let (kind_name_en, with_plot) = KINDS[kind];
    let bedrooms: u16 = if kind_name_en == "studio" {
        0
    } else {
        rng.u16(1..=6)
    };
    let bathrooms = rng.u16(1..=bedrooms.clamp(1, 4));
    let transaction = match rng.u8(..100) {
        0..85 => Transaction::Sale,
        85..97 => Transaction::RentMonthly,
        _ => Transaction::RentWeekly,
    };
    let price = if rng.u8(..100) < 3 {
        Price::OnRequest
    } else {
        let major: i64 = match transaction {
            Transaction::Sale => rng.i64(60..2_500) * 1_000,
            Transaction::RentMonthly => rng.i64(45..600) * 10,
            Transaction::RentWeekly => rng.i64(30..400) * 10,
        };
        Price::Amount {
            amount: Money::from_minor(major * 100, Currency::EUR)?,
        }
    };
    let location = GeoPoint::new(
        round5(region.latitude + (rng.f64() - 0.5) * 0.08),
        round5(region.longitude + (rng.f64() - 0.5) * 0.08),
    )?;
    let mut languages = vec!["en", region.languages[0]];
    if rng.bool() {
        languages.push(region.languages[1]);
    }
    let mut texts = BTreeMap::new();
    let mut urls = BTreeMap::new();
    let external_id = format!("{}-{:07}", region.id_prefix, i);
    for code in &languages {
        let pool = sentences(code);
        let count = rng.usize(3..=pool.len().min(6));
        let start = rng.usize(..pool.len());
        let mut description = String::new();
        for k in 0..count {
            if k > 0 {
                description.push(' ');
            }
            description.push_str(pool[(start + k) % pool.len()]);
        }
        let _ = write!(description, " Ref. {external_id}.");
        texts.insert(
            LanguageCode::parse(code)?,
            LocalizedText {
                title: Some(title(code, kind_name(code, kind), bedrooms, region.town)),
                description: Some(description),
            },
        );
        urls.insert(
            LanguageCode::parse(code)?,
            format!("https://agency.propimport.invalid/{code}/listing/{external_id}"),
        );
    }
    let mut features: Vec<String> = Vec::new();
    for _ in 0..rng.usize(2..=8) {
        let feature = FEATURES[rng.usize(..FEATURES.len())];
        if !features.iter().any(|f| f == feature) {
            features.push(feature.to_owned());
        }
    }
    let images = (1..=rng.usize(3..=10))
        .map(|k| {
            Image::new(format!(
                "https://images.propimport.invalid/{external_id}/{k:02}.jpg"
            ))
        })
        .collect();
    let built: u32 = rng.u32(35..=450);
    let modified = base_time() + Duration::minutes(rng.i64(0..300 * 24 * 60));
    Ok(Listing {
        reference: Some(format!("REF{:06}", rng.u32(..1_000_000))),
        property_type: Some(kind_name_en.to_owned()),
        bedrooms: Some(bedrooms),
        bathrooms: Some(bathrooms),
        built_area_m2: Some(built),
        plot_area_m2: with_plot.then(|| built * rng.u32(2..=12)),
        address: Address {
            country: Some(region.country.to_owned()),
            province: Some(region.province.to_owned()),
            town: Some(region.town.to_owned()),
            postal_code: Some(format!("{:05}", rng.u32(1_000..99_999))),
            location: Some(location),
            ..Address::default()
        },
        texts,
        features,
        images,
        urls,
        pool: Some(rng.u8(..100) < 40),
        new_build: Some(rng.u8(..100) < 15),
        energy_rating: Some(EnergyRating {
            consumption: Some(RATINGS[rng.usize(..RATINGS.len())].to_owned()),
            emissions: Some(RATINGS[rng.usize(..RATINGS.len())].to_owned()),
        }),
        source_modified_at: Some(modified),
        ..Listing::new(ExternalId::parse(&external_id)?, transaction, price)
    })
}

fn round5(v: f64) -> f64 {
    (v * 1e5).round() / 1e5
}

fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// Writes a feed of `count` generated listings to `path`: `head`, then each listing as
/// `record` writes it (the listing and its number), then `tail`; returns the file's size.
fn write_records(
    path: &std::path::Path,
    count: u64,
    (head, tail): (&[u8], &[u8]),
    mut record: impl FnMut(&mut String, &Listing, u64),
) -> anyhow::Result<u64> {
    use anyhow::Context as _;
    let file = File::create(path).with_context(|| format!("create {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    out.write_all(head)?;
    let mut buf = String::with_capacity(8 * 1024);
    for i in 0..count {
        buf.clear();
        record(&mut buf, &listing(i)?, i);
        out.write_all(buf.as_bytes())?;
    }
    out.write_all(tail)?;
    finish(out)
}

/// `s` escaped for XML text and attribute values.
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn finish(mut out: BufWriter<File>) -> anyhow::Result<u64> {
    out.flush()?;
    let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    Ok(file.metadata()?.len())
}
