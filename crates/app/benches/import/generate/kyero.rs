//! Kyero v3 XML feeds, written as a partner's export writes them.

use std::fmt::Write as _;
use std::path::Path;

use propimport_domain::{Listing, Price, Transaction};

use super::{write_records, xml_escape};

/// The document's start, before the first listing.
const HEAD: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<root>\n  <kyero>\n    <feed_version>3</feed_version>\n  </kyero>\n";

/// Writes a Kyero v3 XML feed of `count` listings to `path`; returns its size in bytes.
pub fn write_kyero(path: &Path, count: u64) -> anyhow::Result<u64> {
    write_records(path, count, (HEAD, b"</root>\n"), |buf, l, _| {
        kyero_property(buf, l)
    })
}

/// One `<property>` as a partner's Kyero export writes it: prices in major units, HTML
/// descriptions in CDATA, images with their order in `id`, a private `<notes>`.
fn kyero_property(out: &mut String, l: &Listing) {
    let _ = writeln!(out, "  <property>");
    let _ = writeln!(out, "    <id>{}</id>", xml_escape(l.external_id.as_str()));
    if let Some(at) = l.source_modified_at {
        let _ = writeln!(out, "    <date>{}</date>", at.format("%Y-%m-%d %H:%M:%S"));
    }
    if let Some(reference) = &l.reference {
        let _ = writeln!(out, "    <ref>{}</ref>", xml_escape(reference));
    }
    match l.price {
        Price::Amount { amount } => {
            let _ = writeln!(out, "    <price>{}</price>", amount.minor() / 100);
            let _ = writeln!(out, "    <currency>{}</currency>", amount.currency());
        }
        Price::OnRequest => {
            let _ = writeln!(out, "    <price>x</price>");
        }
    }
    let freq = match l.transaction {
        Transaction::Sale => "sale",
        Transaction::RentMonthly => "month",
        Transaction::RentWeekly => "week",
    };
    let _ = writeln!(out, "    <price_freq>{freq}</price_freq>");
    let flag = |b: Option<bool>| u8::from(b.unwrap_or(false));
    let _ = writeln!(out, "    <new_build>{}</new_build>", flag(l.new_build));
    if let Some(kind) = &l.property_type {
        let mut capitalized = kind.clone();
        if let Some(first) = capitalized.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        let _ = writeln!(out, "    <type>{}</type>", xml_escape(&capitalized));
    }
    let a = &l.address;
    for (name, value) in [
        ("town", &a.town),
        ("province", &a.province),
        ("country", &a.country),
    ] {
        if let Some(value) = value {
            let _ = writeln!(out, "    <{name}>{}</{name}>", xml_escape(value));
        }
    }
    if let Some(p) = a.location {
        let _ = writeln!(
            out,
            "    <location><latitude>{:.5}</latitude><longitude>{:.5}</longitude></location>",
            p.latitude(),
            p.longitude()
        );
    }
    if let Some(beds) = l.bedrooms {
        let _ = writeln!(out, "    <beds>{beds}</beds>");
    }
    if let Some(baths) = l.bathrooms {
        let _ = writeln!(out, "    <baths>{baths}</baths>");
    }
    let _ = writeln!(out, "    <pool>{}</pool>", flag(l.pool));
    out.push_str("    <surface_area>");
    if let Some(built) = l.built_area_m2 {
        let _ = write!(out, "<built>{built}</built>");
    }
    if let Some(plot) = l.plot_area_m2 {
        let _ = write!(out, "<plot>{plot}</plot>");
    }
    out.push_str("</surface_area>\n");
    if let Some(rating) = &l.energy_rating {
        let _ = writeln!(
            out,
            "    <energy_rating><consumption>{}</consumption><emissions>{}</emissions></energy_rating>",
            rating.consumption.as_deref().unwrap_or_default(),
            rating.emissions.as_deref().unwrap_or_default()
        );
    }
    out.push_str("    <url>");
    for (code, url) in &l.urls {
        let code = code.as_str();
        let _ = write!(out, "<{code}>{}</{code}>", xml_escape(url));
    }
    out.push_str("</url>\n    <desc>");
    for (code, text) in &l.texts {
        let code = code.as_str();
        let _ = write!(out, "<{code}><![CDATA[");
        if let Some(title) = &text.title {
            let _ = write!(out, "<h2>{}</h2>", xml_escape(title));
        }
        for sentence in text
            .description
            .as_deref()
            .unwrap_or_default()
            .split_inclusive(". ")
        {
            let _ = write!(out, "<p>{}</p>", xml_escape(sentence.trim_end()));
        }
        let _ = write!(out, "]]></{code}>");
    }
    out.push_str("</desc>\n    <features>");
    for feature in &l.features {
        let _ = write!(out, "<feature>{}</feature>", xml_escape(feature));
    }
    out.push_str("</features>\n");
    out.push_str("    <notes>Keys at the office; owner prefers viewings after 5pm</notes>\n");
    out.push_str("    <images>");
    for (k, url) in l.images.iter().enumerate() {
        let _ = write!(
            out,
            "<image id=\"{}\"><url>{}</url></image>",
            k + 1,
            xml_escape(&url.url)
        );
    }
    out.push_str("</images>\n  </property>\n");
}
