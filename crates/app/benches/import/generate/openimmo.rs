//! OpenImmo 1.2.7 XML feeds (a full transfer, `umfang="VOLL"`), written as a German CRM's
//! export writes them: one `<anbieter>`, one `<immobilie>` per listing.

use std::fmt::Write as _;
use std::path::Path;

use propimport_domain::{Listing, Price, Transaction};

use super::{write_records, xml_escape};

/// The document's start, before the first listing.
const HEAD: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<openimmo>\n  <uebertragung art=\"ONLINE\" umfang=\"VOLL\" modus=\"CHANGE\" version=\"1.2.7\" sendersoftware=\"bench\" senderversion=\"1\"/>\n  <anbieter>\n    <anbieternr>BENCH-1</anbieternr>\n    <firma>Bench Immobilien GmbH</firma>\n    <openimmo_anid>BENCHANID</openimmo_anid>\n";

/// Writes an OpenImmo feed of `count` listings to `path`; returns its size in bytes.
pub fn write_openimmo(path: &Path, count: u64) -> anyhow::Result<u64> {
    write_records(
        path,
        count,
        (HEAD, b"  </anbieter>\n</openimmo>\n"),
        |buf, l, _| immobilie(buf, l),
    )
}

/// One `<immobilie>`: prices as decimals, texts in `freitexte` (the first language), pictures
/// as remote attachments.
fn immobilie(out: &mut String, l: &Listing) {
    let sale = l.transaction == Transaction::Sale;
    out.push_str("    <immobilie>\n      <objektkategorie>\n");
    let _ = writeln!(
        out,
        "        <nutzungsart WOHNEN=\"true\" GEWERBE=\"false\"/>\n        <vermarktungsart KAUF=\"{sale}\" MIETE_PACHT=\"{}\"/>",
        !sale
    );
    let kind = if l.plot_area_m2.is_some() {
        "haus"
    } else {
        "wohnung"
    };
    let _ = writeln!(
        out,
        "        <objektart><{kind}/></objektart>\n      </objektkategorie>"
    );
    let a = &l.address;
    out.push_str("      <geo>\n");
    if let Some(town) = &a.town {
        let _ = writeln!(out, "        <ort>{}</ort>", xml_escape(town));
    }
    if let Some(p) = a.location {
        let _ = writeln!(
            out,
            "        <geokoordinaten breitengrad=\"{:.5}\" laengengrad=\"{:.5}\"/>",
            p.latitude(),
            p.longitude()
        );
    }
    if let Some(province) = &a.province {
        let _ = writeln!(
            out,
            "        <bundesland>{}</bundesland>",
            xml_escape(province)
        );
    }
    out.push_str("      </geo>\n      <kontaktperson><name>Berger</name><vorname>Anna</vorname><email_direkt>anna@bench.invalid</email_direkt></kontaktperson>\n      <preise>\n");
    match (l.price, sale) {
        (Price::Amount { amount }, true) => {
            let _ = writeln!(
                out,
                "        <kaufpreis>{}.{:02}</kaufpreis>",
                amount.minor() / 100,
                amount.minor() % 100
            );
        }
        (Price::Amount { amount }, false) => {
            let _ = writeln!(
                out,
                "        <kaltmiete>{}.{:02}</kaltmiete>",
                amount.minor() / 100,
                amount.minor() % 100
            );
            out.push_str("        <nebenkosten>150.00</nebenkosten>\n");
        }
        (Price::OnRequest, _) => out.push_str("        <kaufpreis auf_anfrage=\"true\"/>\n"),
    }
    out.push_str("        <waehrung iso_waehrung=\"EUR\"/>\n      </preise>\n      <flaechen>\n");
    if let Some(built) = l.built_area_m2 {
        let _ = writeln!(out, "        <wohnflaeche>{built}.00</wohnflaeche>");
    }
    if let Some(plot) = l.plot_area_m2 {
        let _ = writeln!(
            out,
            "        <grundstuecksflaeche>{plot}</grundstuecksflaeche>"
        );
    }
    if let Some(beds) = l.bedrooms {
        let _ = writeln!(
            out,
            "        <anzahl_zimmer>{}</anzahl_zimmer>\n        <anzahl_schlafzimmer>{beds}</anzahl_schlafzimmer>",
            beds + 1
        );
    }
    if let Some(baths) = l.bathrooms {
        let _ = writeln!(
            out,
            "        <anzahl_badezimmer>{baths}</anzahl_badezimmer>"
        );
    }
    out.push_str("      </flaechen>\n      <ausstattung>\n");
    for feature in &l.features {
        let name: String = feature
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let _ = writeln!(out, "        <{name}>true</{name}>");
    }
    out.push_str("        <heizungsart ZENTRAL=\"true\"/>\n      </ausstattung>\n");
    if let Some(rating) = &l.energy_rating {
        let _ = writeln!(
            out,
            "      <zustand_angaben><baujahr>1999</baujahr><energiepass><epart>BEDARF</epart><wertklasse>{}</wertklasse></energiepass></zustand_angaben>",
            xml_escape(rating.consumption.as_deref().unwrap_or("C"))
        );
    }
    if let Some(text) = l.texts.values().next() {
        out.push_str("      <freitexte>\n");
        if let Some(title) = &text.title {
            let _ = writeln!(
                out,
                "        <objekttitel>{}</objekttitel>",
                xml_escape(title)
            );
        }
        if let Some(description) = &text.description {
            let _ = writeln!(
                out,
                "        <objektbeschreibung><![CDATA[<p>{description}</p>]]></objektbeschreibung>"
            );
        }
        out.push_str("      </freitexte>\n");
    }
    out.push_str("      <anhaenge>\n");
    for (k, image) in l.images.iter().enumerate() {
        let group = if k == 0 { "TITELBILD" } else { "BILD" };
        let _ = writeln!(
            out,
            "        <anhang location=\"REMOTE\" gruppe=\"{group}\"><anhangtitel>Bild {}</anhangtitel><format>image/jpeg</format><daten><pfad>{}</pfad></daten></anhang>",
            k + 1,
            xml_escape(&image.url)
        );
    }
    out.push_str("      </anhaenge>\n      <verwaltung_techn>\n");
    if let Some(reference) = &l.reference {
        let _ = writeln!(
            out,
            "        <objektnr_intern>{}</objektnr_intern>",
            xml_escape(reference)
        );
    }
    let _ = writeln!(
        out,
        "        <objektnr_extern>{}</objektnr_extern>\n        <aktion aktionart=\"CHANGE\"/>",
        xml_escape(l.external_id.as_str())
    );
    if let Some(at) = l.source_modified_at {
        let _ = writeln!(
            out,
            "        <stand_vom>{}</stand_vom>",
            at.format("%Y-%m-%d")
        );
    }
    out.push_str("      </verwaltung_techn>\n    </immobilie>\n");
}
