//! Rightmove BLM v3 feeds, written as an agency's export writes them: `^` and `~` marks, the
//! whole record on one line, HTML descriptions, image URLs with captions.

use std::fmt::Write as _;
use std::path::Path;

use propimport_domain::{Listing, Price, Transaction};

use super::write_records;

/// The fields of the generated feeds, in record order.
const FIELDS: &[&str] = &[
    "AGENT_REF",
    "BRANCH_ID",
    "STATUS_ID",
    "CREATE_DATE",
    "UPDATE_DATE",
    "DISPLAY_ADDRESS",
    "PUBLISHED_FLAG",
    "TRANS_TYPE_ID",
    "LET_RENT_FREQUENCY",
    "PRICE",
    "PRICE_QUALIFIER",
    "CURRENCY",
    "ADDRESS_1",
    "ADDRESS_2",
    "TOWN",
    "POSTCODE1",
    "POSTCODE2",
    "LATITUDE",
    "LONGITUDE",
    "BEDROOMS",
    "BATHROOMS",
    "PROP_SUB_ID",
    "NEW_HOME_FLAG",
    "TENURE_TYPE_ID",
    "SUMMARY",
    "DESCRIPTION",
];

/// Images per record the definition has room for.
const IMAGES: usize = 10;
/// Features per record the definition has room for.
const FEATURES: usize = 10;

/// Writes a Rightmove BLM feed of `count` listings to `path`; returns its size in bytes.
pub fn write_blm(path: &Path, count: u64) -> anyhow::Result<u64> {
    let mut head = format!(
        "#HEADER#\nVersion : 3\nEOF : '^'\nEOR : '~'\nProperty Count : {count}\nGenerated Date : 01-Jan-2026 08:00\n\n#DEFINITION#\n"
    );
    for name in FIELDS {
        let _ = write!(head, "{name}^");
    }
    for k in 1..=FEATURES {
        let _ = write!(head, "FEATURE{k}^");
    }
    for k in 0..IMAGES {
        let _ = write!(head, "MEDIA_IMAGE_{k:02}^MEDIA_IMAGE_TEXT_{k:02}^");
    }
    head.push_str("~\n\n#DATA#\n");
    write_records(path, count, (head.as_bytes(), b"#END#\n"), |buf, l, _| {
        blm_record(buf, l);
    })
}

/// The Rightmove `PROP_SUB_ID` of a generated kind.
fn prop_sub_id(kind: Option<&str>) -> u16 {
    match kind {
        Some("apartment") => 28,
        Some("villa") => 27,
        Some("penthouse") => 29,
        Some("townhouse") => 22,
        Some("bungalow") => 12,
        Some("finca") => 30,
        Some("studio") => 9,
        Some("duplex") => 56,
        _ => 0,
    }
}

/// One record, every field followed by `^` and the record by `~` and a line feed.
fn blm_record(out: &mut String, l: &Listing) {
    // The marks cannot appear in a value: exports drop them.
    let clean = |s: &str| s.replace(['^', '~', '\n', '\r'], " ");
    let mut field = |value: &str| {
        out.push_str(&clean(value));
        out.push('^');
    };
    let id = l.external_id.as_str();
    field(id);
    field("1001");
    field("0");
    let at = l
        .source_modified_at
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string());
    field(at.as_deref().unwrap_or_default());
    field(at.as_deref().unwrap_or_default());
    let a = &l.address;
    let town = a.town.as_deref().unwrap_or_default();
    field(&format!(
        "{}, {town}",
        a.province.as_deref().unwrap_or_default()
    ));
    field("1");
    let (trans, frequency) = match l.transaction {
        Transaction::Sale => ("1", ""),
        Transaction::RentMonthly => ("2", "1"),
        Transaction::RentWeekly => ("2", "0"),
    };
    field(trans);
    field(frequency);
    match l.price {
        Price::Amount { amount } => {
            let minor = amount.minor();
            field(&format!("{}.{:02}", minor / 100, minor % 100));
            field("0");
            field(amount.currency().as_str());
        }
        Price::OnRequest => {
            field("");
            field("1");
            field("");
        }
    }
    // A house number, and the province where a street would be (listings have none).
    field(&format!("{}", l.bedrooms.unwrap_or_default() * 7 + 1));
    field(a.province.as_deref().unwrap_or_default());
    field(town);
    let postal = a.postal_code.as_deref().unwrap_or_default();
    field(postal.get(..2).unwrap_or_default());
    field(postal.get(2..).unwrap_or_default());
    let (lat, lon) = a
        .location
        .map(|p| {
            (
                format!("{:.5}", p.latitude()),
                format!("{:.5}", p.longitude()),
            )
        })
        .unwrap_or_default();
    field(&lat);
    field(&lon);
    field(&l.bedrooms.map(|b| b.to_string()).unwrap_or_default());
    field(&l.bathrooms.map(|b| b.to_string()).unwrap_or_default());
    field(&prop_sub_id(l.property_type.as_deref()).to_string());
    field(if l.new_build == Some(true) { "Y" } else { "N" });
    field("1");
    let text = l.texts.values().next();
    field(text.and_then(|t| t.title.as_deref()).unwrap_or_default());
    let mut html = String::new();
    for sentence in text
        .and_then(|t| t.description.as_deref())
        .unwrap_or_default()
        .split_inclusive(". ")
    {
        let _ = write!(html, "<p>{}</p>", sentence.trim_end().replace('&', "&amp;"));
    }
    field(&html);
    for k in 0..FEATURES {
        field(l.features.get(k).map(String::as_str).unwrap_or_default());
    }
    for k in 0..IMAGES {
        let image = l.images.get(k);
        field(image.map(|i| i.url.as_str()).unwrap_or_default());
        field(if image.is_some() { "Photo" } else { "" });
    }
    out.push_str("~\n");
}
