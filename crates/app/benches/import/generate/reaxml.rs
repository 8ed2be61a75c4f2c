//! REAXML feeds, written as an Australian agent's CRM writes them.

use std::fmt::Write as _;
use std::path::Path;

use propimport_domain::{Listing, Price, Transaction};

use super::{write_records, xml_escape};

/// The document's start, before the first listing.
const HEAD: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<!DOCTYPE propertyList SYSTEM \"http://reaxml.realestate.com.au/propertyList.dtd\">\n<propertyList date=\"2024-05-01-12:00:00\" username=\"bench\" password=\"bench\">\n";

/// Writes a REAXML feed of `count` listings to `path`; returns its size in bytes.
pub fn write_reaxml(path: &Path, count: u64) -> anyhow::Result<u64> {
    write_records(path, count, (HEAD, b"</propertyList>\n"), reaxml_listing)
}

/// One listing element: `<residential>` for a sale, `<rental>` for a rent, with the usual
/// children of a CRM export (agent, price and price view, address, features, land and
/// building areas, photos with their `modTime`).
fn reaxml_listing(out: &mut String, l: &Listing, i: u64) {
    let kind = match l.transaction {
        Transaction::Sale => "residential",
        Transaction::RentMonthly | Transaction::RentWeekly => "rental",
    };
    let time = l
        .source_modified_at
        .map(|at| at.format("%Y-%m-%d-%H:%M:%S").to_string())
        .unwrap_or_else(|| "2024-05-01-12:00:00".to_owned());
    let _ = writeln!(out, "  <{kind} modTime=\"{time}\" status=\"current\">");
    let _ = writeln!(out, "    <agentID>AG{:03}</agentID>", i % 50);
    let _ = writeln!(
        out,
        "    <uniqueID>{}</uniqueID>",
        xml_escape(l.external_id.as_str())
    );
    let _ = writeln!(out, "    <authority value=\"exclusive\"/>");
    let _ = writeln!(out, "    <underOffer value=\"no\"/>");
    let _ = writeln!(
        out,
        "    <listingAgent id=\"1\">\n      <name>Agent {}</name>\n      <telephone type=\"BH\">03 9000 {:04}</telephone>\n      <telephone type=\"mobile\">0400 000 {:03}</telephone>\n      <email>agent{}@agency.example</email>\n    </listingAgent>",
        i % 50,
        i % 10_000,
        i % 1000,
        i % 50
    );
    let (display, amount) = match l.price {
        Price::Amount { amount } => ("yes", amount.minor() / 100),
        Price::OnRequest => ("no", 500_000),
    };
    match l.transaction {
        Transaction::Sale => {
            let _ = writeln!(out, "    <price display=\"{display}\">{amount}</price>");
            let _ = writeln!(out, "    <priceView>Offers over ${amount}</priceView>");
        }
        Transaction::RentMonthly => {
            let _ = writeln!(
                out,
                "    <rent period=\"month\" display=\"{display}\">{amount}</rent>"
            );
            let _ = writeln!(out, "    <bond>{}</bond>", amount);
        }
        Transaction::RentWeekly => {
            let _ = writeln!(
                out,
                "    <rent period=\"week\" display=\"{display}\">{amount}</rent>"
            );
            let _ = writeln!(out, "    <bond>{}</bond>", amount * 4);
        }
    }
    let a = &l.address;
    out.push_str("    <address display=\"yes\">\n");
    let _ = writeln!(out, "      <streetNumber>{}</streetNumber>", 1 + i % 300);
    let _ = writeln!(out, "      <street>Main Road</street>");
    if let Some(town) = &a.town {
        let _ = writeln!(
            out,
            "      <suburb display=\"yes\">{}</suburb>",
            xml_escape(town)
        );
    }
    if let Some(province) = &a.province {
        let _ = writeln!(out, "      <state>{}</state>", xml_escape(province));
    }
    let _ = writeln!(out, "      <postcode>{}</postcode>", 2000 + i % 1000);
    out.push_str("      <country>AUS</country>\n    </address>\n");
    if let Some(kind) = &l.property_type {
        let _ = writeln!(out, "    <category name=\"{}\"/>", xml_escape(kind));
    }
    for text in l.texts.values().take(1) {
        if let Some(title) = &text.title {
            let _ = writeln!(out, "    <headline>{}</headline>", xml_escape(title));
        }
        if let Some(description) = &text.description {
            let _ = writeln!(
                out,
                "    <description>{}</description>",
                xml_escape(description)
            );
        }
    }
    out.push_str("    <features>\n");
    if let Some(beds) = l.bedrooms {
        let _ = writeln!(out, "      <bedrooms>{beds}</bedrooms>");
    }
    if let Some(baths) = l.bathrooms {
        let _ = writeln!(out, "      <bathrooms>{baths}</bathrooms>");
    }
    let _ = writeln!(
        out,
        "      <garages>{}</garages>\n      <carports>{}</carports>\n      <airConditioning>{}</airConditioning>\n      <poolInGround>{}</poolInGround>",
        i % 3,
        i % 2,
        if i.is_multiple_of(2) { "yes" } else { "no" },
        u8::from(l.pool.unwrap_or(false))
    );
    if !l.features.is_empty() {
        let _ = writeln!(
            out,
            "      <otherFeatures>{}</otherFeatures>",
            xml_escape(&l.features.join(", "))
        );
    }
    out.push_str("    </features>\n");
    if let Some(plot) = l.plot_area_m2 {
        let _ = writeln!(
            out,
            "    <landDetails>\n      <area unit=\"squareMeter\">{plot}</area>\n    </landDetails>"
        );
    }
    if let Some(built) = l.built_area_m2 {
        let _ = writeln!(
            out,
            "    <buildingDetails>\n      <area unit=\"squareMeter\">{built}</area>\n    </buildingDetails>"
        );
    }
    if let Some(url) = l.urls.values().next() {
        let _ = writeln!(out, "    <externalLink href=\"{}\"/>", xml_escape(url));
    }
    out.push_str("    <objects>\n");
    for (k, image) in l.images.iter().take(27).enumerate() {
        let id = match k {
            0 => 'm',
            k => char::from(b'a' + u8::try_from(k - 1).unwrap_or(0)),
        };
        let _ = writeln!(
            out,
            "      <img id=\"{id}\" modTime=\"{time}\" url=\"{}\" format=\"jpg\"/>",
            xml_escape(&image.url)
        );
    }
    let _ = writeln!(out, "    </objects>\n  </{kind}>");
}
