//! Maps one Kyero v3 `<property>` to the canonical [`Listing`].
//!
//! Required (present and not empty, else the record fails at `map` naming every missing
//! field): `id`, `date`, `ref`, `price`, `price_freq`, `type`, `town` and `province`. A
//! property without a description or without images is still a listing a site can show.
//! Optional elements that are empty count as absent. A value that cannot be read as its type fails at `map`; a value
//! the domain rejects (invalid id, negative price, coordinates off Earth, bad language code)
//! fails at `validate`. `notes` is private to the agent and is never read.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use propimport_domain::{
    Address, Currency, EnergyRating, ExternalId, GeoPoint, Image, LanguageCode, Listing,
    LocalizedText, Money, Price, Tenure, Transaction,
};

use crate::formats::xml::tree::Node;
use crate::formats::{RecordError, Stage, html};

/// Kyero's limit of images per property; more are dropped.
const MAX_IMAGES: usize = 50;

const REQUIRED: &[&str] = &[
    "id",
    "date",
    "ref",
    "price",
    "price_freq",
    "type",
    "town",
    "province",
];

/// Why a property failed, before it is tied to its id and number.
struct Failure {
    stage: Stage,
    message: String,
}

type Mapped<T> = Result<T, Failure>;

fn map_err(message: String) -> Failure {
    Failure {
        stage: Stage::Map,
        message,
    }
}

fn rejected(error: &propimport_domain::Error) -> Failure {
    Failure {
        stage: Stage::Validate,
        message: error.to_string(),
    }
}

/// Maps the `number`th property (1-based).
pub(super) fn map(property: Node<'_>, number: u64) -> Result<Listing, RecordError> {
    listing(property).map_err(|f| RecordError {
        external_id: property.value_of("id").map(str::to_owned),
        stage: f.stage,
        message: format!("property {number}: {}", f.message),
    })
}

fn listing(p: Node<'_>) -> Mapped<Listing> {
    let texts = texts(p)?;
    let images = images(p)?;
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|&name| p.value_of(name).is_none())
        .collect();
    if !missing.is_empty() {
        let s = if missing.len() == 1 { "" } else { "s" };
        return Err(map_err(format!(
            "missing required field{s} {}",
            missing.join(", ")
        )));
    }
    let text = |name: &str| p.value_of(name).map(collapse);
    let external_id =
        ExternalId::parse(p.value_of("id").unwrap_or_default()).map_err(|e| rejected(&e))?;
    let currency = match p.value_of("currency") {
        Some(code) => Currency::parse(code).map_err(|e| rejected(&e))?,
        None => Currency::EUR,
    };
    let transaction = transaction(p.value_of("price_freq").unwrap_or_default())?;
    let price = price(p.value_of("price").unwrap_or_default(), currency)?;
    Ok(Listing {
        reference: text("ref"),
        property_type: text("type").map(|t| t.to_lowercase()),
        bedrooms: number(p, &["beds"])?,
        bathrooms: number(p, &["baths"])?,
        built_area_m2: number(p, &["surface_area", "built"])?,
        plot_area_m2: number(p, &["surface_area", "plot"])?,
        address: Address {
            country: text("country"),
            province: text("province"),
            town: text("town"),
            locality: text("location_detail"),
            location: location(p)?,
            ..Address::default()
        },
        texts,
        features: p
            .child("features")
            .map(|f| {
                f.all("feature")
                    .filter_map(Node::value)
                    .map(collapse)
                    .collect()
            })
            .unwrap_or_default(),
        images,
        tenure: flag(p, "leasehold")?.map(|leasehold| {
            if leasehold {
                Tenure::Leasehold
            } else {
                Tenure::Freehold
            }
        }),
        shared_ownership: flag(p, "part_ownership")?,
        urls: urls(p)?,
        pool: flag(p, "pool")?,
        new_build: flag(p, "new_build")?,
        energy_rating: energy_rating(p),
        source_modified_at: Some(date(p.value_of("date").unwrap_or_default())?),
        ..Listing::new(external_id, transaction, price)
    })
}

/// The text with each run of whitespace made one space.
fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    html::collapse_into(&mut out, text, html::Lines::Joined);
    out
}

fn transaction(freq: &str) -> Mapped<Transaction> {
    match freq.to_ascii_lowercase().as_str() {
        "sale" => Ok(Transaction::Sale),
        "month" => Ok(Transaction::RentMonthly),
        "week" => Ok(Transaction::RentWeekly),
        _ => Err(map_err(format!(
            "price_freq: {freq:?} is not sale, month or week"
        ))),
    }
}

fn price(text: &str, currency: Currency) -> Mapped<Price> {
    if text.eq_ignore_ascii_case("x") {
        return Ok(Price::OnRequest);
    }
    let amount = Money::parse_major(text, currency).map_err(|e| rejected(&e))?;
    Ok(Price::Amount { amount })
}

/// Accepts `2024-05-01 12:30:00`, the same with `T`, RFC 3339, or a bare date; a time without
/// a zone is taken as UTC (Kyero does not say).
fn date(text: &str) -> Mapped<DateTime<Utc>> {
    if let Some(at) = plain_date_time(text) {
        return Ok(at);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|at| at.and_utc())
        .ok_or_else(|| {
            map_err(format!(
                "date: {text:?} is not a date (expected YYYY-MM-DD HH:MM:SS)"
            ))
        })
}

/// `YYYY-MM-DD HH:MM:SS` exactly, as most exports write it, read without a format string;
/// `None` for anything else (which [`date`] then reads the slow way).
fn plain_date_time(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let digits = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(digits(0, 4)?).ok()?;
    let day = NaiveDate::from_ymd_opt(year, digits(5, 7)?, digits(8, 10)?)?;
    let at = day.and_hms_opt(digits(11, 13)?, digits(14, 16)?, digits(17, 19)?)?;
    Some(at.and_utc())
}

/// The number at `path` (e.g. `surface_area/built`), absent when missing or empty.
fn number<T: std::str::FromStr>(p: Node<'_>, path: &[&str]) -> Mapped<Option<T>> {
    let mut node = Some(p);
    for name in path {
        node = node.and_then(|n| n.child(name));
    }
    let Some(text) = node.and_then(Node::value) else {
        return Ok(None);
    };
    text.parse().map(Some).map_err(|_| {
        map_err(format!(
            "{}: {text:?} is not a whole number in range",
            path.join("/")
        ))
    })
}

fn flag(p: Node<'_>, name: &str) -> Mapped<Option<bool>> {
    let Some(text) = p.value_of(name) else {
        return Ok(None);
    };
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(Some(true)),
        "0" | "false" | "no" => Ok(Some(false)),
        _ => Err(map_err(format!("{name}: {text:?} is not 1 or 0"))),
    }
}

fn location(p: Node<'_>) -> Mapped<Option<GeoPoint>> {
    let Some(loc) = p.child("location") else {
        return Ok(None);
    };
    let coordinate = |name: &str| -> Mapped<Option<f64>> {
        loc.value_of(name)
            .map(|t| {
                t.parse::<f64>()
                    .map_err(|_| map_err(format!("location/{name}: {t:?} is not a number")))
            })
            .transpose()
    };
    match (coordinate("latitude")?, coordinate("longitude")?) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon)) => GeoPoint::new(lat, lon).map(Some).map_err(|e| rejected(&e)),
        _ => Err(map_err(
            "location: latitude and longitude must be given together".into(),
        )),
    }
}

/// The children of `container` as (language, trimmed text) pairs, the first of each language.
fn by_language(container: Option<Node<'_>>) -> Mapped<BTreeMap<LanguageCode, &str>> {
    let mut out = BTreeMap::new();
    let Some(container) = container else {
        return Ok(out);
    };
    for child in container.children() {
        let Some(text) = child.value() else { continue };
        let lang = LanguageCode::parse(child.name()).map_err(|_| Failure {
            stage: Stage::Validate,
            message: format!("{}/{}: not a language code", container.name(), child.name()),
        })?;
        out.entry(lang).or_insert(text);
    }
    Ok(out)
}

fn texts(p: Node<'_>) -> Mapped<BTreeMap<LanguageCode, LocalizedText>> {
    let mut texts = BTreeMap::new();
    for (lang, html) in by_language(p.child("desc"))? {
        let description = html::plain_text(html);
        if !description.is_empty() {
            let text = LocalizedText {
                title: None,
                description: Some(description),
            };
            texts.insert(lang, text);
        }
    }
    Ok(texts)
}

fn urls(p: Node<'_>) -> Mapped<BTreeMap<LanguageCode, String>> {
    Ok(by_language(p.child("url"))?
        .into_iter()
        .map(|(lang, url)| (lang, url.to_owned()))
        .collect())
}

/// Images ordered by their numeric `id` attribute (images without one last), then by
/// document order, with their titles by language as captions; at most [`MAX_IMAGES`].
fn images(p: Node<'_>) -> Mapped<Vec<Image>> {
    let mut found: Vec<(Option<u64>, Image)> = Vec::new();
    let Some(images) = p.child("images") else {
        return Ok(Vec::new());
    };
    for image in images.all("image") {
        let Some(url) = image.value_of("url").or_else(|| image.value()) else {
            continue;
        };
        let order = image.attr("id").and_then(|id| id.parse().ok());
        let captions = by_language(image.child("title"))?
            .into_iter()
            .map(|(lang, title)| (lang, collapse(title)))
            .collect();
        let image = Image {
            url: url.to_owned(),
            captions,
        };
        found.push((order, image));
    }
    found.sort_by_key(|(order, _)| (order.is_none(), *order));
    found.truncate(MAX_IMAGES);
    Ok(found.into_iter().map(|(_, image)| image).collect())
}

fn energy_rating(p: Node<'_>) -> Option<EnergyRating> {
    let rating = p.child("energy_rating")?;
    let consumption = rating.value_of("consumption").map(collapse);
    let emissions = rating.value_of("emissions").map(collapse);
    (consumption.is_some() || emissions.is_some()).then_some(EnergyRating {
        consumption,
        emissions,
    })
}
