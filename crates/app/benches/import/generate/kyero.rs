//! Kyero v3 XML feeds, written as a partner's export writes them.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::Path;

use anyhow::Context as _;
use propimport_domain::{Listing, Price, Transaction};

use super::{finish, listing};

/// Writes a Kyero v3 XML feed of `count` listings to `path`; returns its size in bytes.
pub fn write_kyero(path: &Path, count: u64) -> anyhow::Result<u64> {
    let file = File::create(path).with_context(|| format!("create {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    out.write_all(
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<root>\n  <kyero>\n    <feed_version>3</feed_version>\n  </kyero>\n",
    )?;
    let mut buf = String::with_capacity(8 * 1024);
    for i in 0..count {
        buf.clear();
        kyero_property(&mut buf, &listing(i)?);
        out.write_all(buf.as_bytes())?;
    }
    out.write_all(b"</root>\n")?;
    finish(out)
}

/// One `<property>` as a partner's Kyero export writes it: prices in major units, HTML
/// descriptions in CDATA, images with their order in `id`, a private `<notes>`.
fn kyero_property(out: &mut String, l: &Listing) {
    let esc = |s: &str| -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let _ = writeln!(out, "  <property>");
    let _ = writeln!(out, "    <id>{}</id>", esc(l.external_id.as_str()));
    if let Some(at) = l.source_modified_at {
        let _ = writeln!(out, "    <date>{}</date>", at.format("%Y-%m-%d %H:%M:%S"));
    }
    if let Some(reference) = &l.reference {
        let _ = writeln!(out, "    <ref>{}</ref>", esc(reference));
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
        let _ = writeln!(out, "    <type>{}</type>", esc(&capitalized));
    }
    let a = &l.address;
    for (name, value) in [
        ("town", &a.town),
        ("province", &a.province),
        ("country", &a.country),
    ] {
        if let Some(value) = value {
            let _ = writeln!(out, "    <{name}>{}</{name}>", esc(value));
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
        let _ = write!(out, "<{code}>{}</{code}>", esc(url));
    }
    out.push_str("</url>\n    <desc>");
    for (code, text) in &l.texts {
        let code = code.as_str();
        let _ = write!(out, "<{code}><![CDATA[");
        if let Some(title) = &text.title {
            let _ = write!(out, "<h2>{}</h2>", esc(title));
        }
        for sentence in text
            .description
            .as_deref()
            .unwrap_or_default()
            .split_inclusive(". ")
        {
            let _ = write!(out, "<p>{}</p>", esc(sentence.trim_end()));
        }
        let _ = write!(out, "]]></{code}>");
    }
    out.push_str("</desc>\n    <features>");
    for feature in &l.features {
        let _ = write!(out, "<feature>{}</feature>", esc(feature));
    }
    out.push_str("</features>\n");
    out.push_str("    <notes>Keys at the office; owner prefers viewings after 5pm</notes>\n");
    out.push_str("    <images>");
    for (k, url) in l.images.iter().enumerate() {
        let _ = write!(
            out,
            "<image id=\"{}\"><url>{}</url></image>",
            k + 1,
            esc(&url.url)
        );
    }
    out.push_str("</images>\n  </property>\n");
}
