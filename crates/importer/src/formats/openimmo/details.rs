//! The descriptive parts of an `<immobilie>`: where it is (`geo`), its areas and rooms
//! (`flaechen`), equipment (`ausstattung`), condition (`zustand_angaben`), kind
//! (`objektkategorie/objektart`), availability (`verwaltung_objekt`) and attachments
//! (`anhaenge`).

use propimport_domain::{Area, AreaUnit, EnergyRating, GeoPoint, Image, LanguageCode, Listing};

use super::values::{Mapped, bad, collapse, decimal, image, is_true, rejected};
use crate::formats::ReadOptions;
use crate::formats::xml::tree::Node;

/// Images kept per listing; more are dropped.
const MAX_IMAGES: usize = 100;

/// Fills the listing from the record's descriptive elements.
pub(super) fn fill(p: Node<'_>, listing: &mut Listing) -> Mapped<()> {
    geo(p, listing)?;
    let area = |name: &str| whole(p, &format!("flaechen/{name}"));
    listing.built_area_m2 = area("wohnflaeche")?;
    let plot = p.value_at("flaechen/grundstuecksflaeche");
    listing.plot_area_m2 = area("grundstuecksflaeche")?;
    if let (Some(text), Some(_)) = (plot, listing.plot_area_m2) {
        listing.lot_size = decimal(text).map(|value| Area {
            value,
            unit: AreaUnit::SquareMetres,
        });
    }
    listing.rooms = count(p, "flaechen/anzahl_zimmer")?;
    listing.bedrooms = count(p, "flaechen/anzahl_schlafzimmer")?;
    listing.bathrooms = count(p, "flaechen/anzahl_badezimmer")?;
    listing.parking_spaces = match count(p, "flaechen/anzahl_stellplaetze")? {
        Some(n) => Some(n),
        None => count(p, "flaechen/stellplatzanzahl")?,
    };
    equipment(p, listing);
    condition(p, listing)?;
    if let Some(kind) = p
        .at("objektkategorie/objektart")
        .and_then(|o| o.children().next())
    {
        listing.property_type = Some(kind.name().to_owned());
        // The sub-type is the one attribute of the kind's element (`haustyp`, `wohnungtyp`…).
        let subtypes: Vec<String> = kind.attrs().map(|(_, v)| v.to_owned()).collect();
        if !subtypes.is_empty() {
            listing.amenities.insert("objektart".into(), subtypes);
        }
    }
    if let Some(from) = p.value_at("verwaltung_objekt/verfuegbar_ab") {
        listing
            .amenities
            .insert("verfuegbar_ab".into(), vec![collapse(from)]);
    }
    Ok(())
}

fn geo(p: Node<'_>, listing: &mut Listing) -> Mapped<()> {
    let Some(g) = p.child("geo") else {
        return Ok(());
    };
    let text = |name: &str| g.value_at(name).map(collapse);
    let address = &mut listing.address;
    address.postal_code = text("plz");
    address.town = text("ort");
    address.street = text("strasse");
    address.street_number = text("hausnummer");
    address.province = text("bundesland");
    address.locality = text("regionaler_zusatz");
    address.unit = text("wohnungsnr");
    address.country = g
        .child("land")
        .and_then(|l| l.attr("iso_land"))
        .map(country);
    if let Some(point) = g.child("geokoordinaten") {
        let coordinate = |name: &str| -> Mapped<Option<f64>> {
            point
                .attr(name)
                .map(|t| {
                    decimal(t).ok_or_else(|| {
                        bad(
                            &format!("geo/geokoordinaten/@{name}"),
                            format!("{t:?} is not a number"),
                        )
                    })
                })
                .transpose()
        };
        address.location = match (coordinate("breitengrad")?, coordinate("laengengrad")?) {
            (None, None) => None,
            (Some(lat), Some(lon)) => {
                Some(GeoPoint::new(lat, lon).map_err(|e| rejected("geo/geokoordinaten", &e))?)
            }
            _ => {
                return Err(bad(
                    "geo/geokoordinaten",
                    "breitengrad and laengengrad must be given together",
                ));
            }
        };
    }
    Ok(())
}

/// A country as ISO 3166 alpha-2 when OpenImmo's alpha-3 code is one of the common ones, else
/// as written.
fn country(code: &str) -> String {
    let two = match code.to_ascii_uppercase().as_str() {
        "DEU" => "DE",
        "AUT" => "AT",
        "CHE" => "CH",
        "LIE" => "LI",
        "LUX" => "LU",
        "ITA" => "IT",
        "FRA" => "FR",
        "ESP" => "ES",
        "NLD" => "NL",
        "BEL" => "BE",
        "POL" => "PL",
        "CZE" => "CZ",
        "DNK" => "DK",
        "PRT" => "PT",
        "HRV" => "HR",
        "GBR" => "GB",
        "USA" => "US",
        other => return other.to_owned(),
    };
    two.to_owned()
}

/// An area or count written as a decimal, rounded to a whole number.
fn whole<T: TryFrom<u64>>(p: Node<'_>, path: &str) -> Mapped<Option<T>> {
    let Some(text) = p.value_at(path) else {
        return Ok(None);
    };
    let value = decimal(text)
        .filter(|v| *v >= 0.0 && *v < 4e9)
        .ok_or_else(|| bad(path, format!("{text:?} is not a number in range")))?;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked range"
    )]
    let rounded = value.round() as u64;
    T::try_from(rounded)
        .map(Some)
        .map_err(|_| bad(path, format!("{text:?} is out of range")))
}

/// A count; half rooms (`2.5`, common in German-speaking markets) are rounded down.
fn count(p: Node<'_>, path: &str) -> Mapped<Option<u16>> {
    let Some(text) = p.value_at(path) else {
        return Ok(None);
    };
    let value = decimal(text)
        .filter(|v| *v >= 0.0 && *v <= f64::from(u16::MAX))
        .ok_or_else(|| bad(path, format!("{text:?} is not a count")))?;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked range"
    )]
    Ok(Some(value.floor() as u16))
}

/// `ausstattung`: an element whose text is true is a feature (its name); an element with
/// true attributes is an amenity group (element name -> attribute names); an element with
/// other text is an amenity group with that text.
fn equipment(p: Node<'_>, listing: &mut Listing) {
    let Some(a) = p.child("ausstattung") else {
        return;
    };
    for item in a.children() {
        let name = item.name();
        let flags: Vec<String> = item
            .attrs()
            .filter(|(_, v)| is_true(v))
            .map(|(k, _)| k.to_ascii_uppercase())
            .collect();
        match item.value() {
            Some(v) if is_true(v) => listing.features.push(name.to_owned()),
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => {}
            Some(v) => {
                listing
                    .amenities
                    .entry(name.to_owned())
                    .or_default()
                    .push(collapse(v));
            }
            None if !flags.is_empty() => {
                listing
                    .amenities
                    .entry(name.to_owned())
                    .or_default()
                    .extend(flags);
            }
            None => {}
        }
        if name == "swimmingpool" {
            listing.pool = Some(item.value().is_some_and(is_true));
        }
    }
}

fn condition(p: Node<'_>, listing: &mut Listing) -> Mapped<()> {
    let Some(z) = p.child("zustand_angaben") else {
        return Ok(());
    };
    if let Some(text) = z.value_at("baujahr") {
        // Some exports write `ca. 1900` or `1900/1901`: the first four-digit year is taken.
        let year = text
            .split(|c: char| !c.is_ascii_digit())
            .find(|d| d.len() == 4)
            .and_then(|d| d.parse::<u16>().ok())
            .ok_or_else(|| bad("zustand_angaben/baujahr", format!("{text:?} is not a year")))?;
        listing.year_built = Some(year);
    }
    let state = z.child("zustand").and_then(|s| s.attr("zustand_art"));
    let age = z.child("alter").and_then(|s| s.attr("alter_attr"));
    if state.is_some_and(|s| s.eq_ignore_ascii_case("ERSTBEZUG"))
        || age.is_some_and(|a| a.eq_ignore_ascii_case("NEUBAU"))
    {
        listing.new_build = Some(true);
    } else if age.is_some_and(|a| a.eq_ignore_ascii_case("ALTBAU")) {
        listing.new_build = Some(false);
    }
    if let Some(pass) = z.child("energiepass") {
        listing.energy_rating = energy(pass);
    }
    Ok(())
}

/// The energy certificate: its class, then the value it states, then its kind
/// (`B, 120 kWh/(m²a), BEDARF`); emissions from `co2wert`.
fn energy(pass: Node<'_>) -> Option<EnergyRating> {
    let value = [
        "endenergiebedarf",
        "energieverbrauchkennwert",
        "primaerenergiebedarf",
    ]
    .iter()
    .find_map(|n| pass.value_at(n))
    .map(|v| format!("{} kWh/(m²a)", collapse(v)));
    let parts: Vec<String> = [
        pass.value_at("wertklasse").map(collapse),
        value,
        pass.value_at("epart").map(collapse),
    ]
    .into_iter()
    .flatten()
    .collect();
    let consumption = (!parts.is_empty()).then(|| parts.join(", "));
    let emissions = pass
        .value_at("co2wert")
        .map(|v| format!("{} kg/(m²a)", collapse(v)));
    (consumption.is_some() || emissions.is_some()).then_some(EnergyRating {
        consumption,
        emissions,
    })
}

/// `anhaenge/anhang`: `TITELBILD` first, then pictures (`BILD`, `AUSSENANSICHTEN`,
/// `INNENANSICHTEN`, `PANORAMA`) in document order as images; `GRUNDRISS` as floor plans.
/// `daten/pfad` is a URL, or a file of the delivery resolved through `options.attachments`;
/// a file the delivery does not hold is dropped. Documents, logos and maps are not kept.
pub(super) fn attachments(
    p: Node<'_>,
    language: Option<&LanguageCode>,
    options: &ReadOptions,
) -> (Vec<Image>, Vec<Image>) {
    let mut title = Vec::new();
    let mut images = Vec::new();
    let mut plans = Vec::new();
    let Some(list) = p.child("anhaenge") else {
        return (images, plans);
    };
    for a in list.all("anhang") {
        let group = a.attr("gruppe").unwrap_or("BILD").to_ascii_uppercase();
        let target = match group.as_str() {
            "TITELBILD" => &mut title,
            "BILD" | "AUSSENANSICHTEN" | "INNENANSICHTEN" | "PANORAMA" => &mut images,
            "GRUNDRISS" => &mut plans,
            _ => continue,
        };
        let Some(path) = a.value_at("daten/pfad") else {
            continue;
        };
        let url = if is_url(path) {
            Some(path.to_owned())
        } else {
            options
                .attachments
                .as_ref()
                .and_then(|files| files.resolve(path))
        };
        let Some(url) = url else {
            tracing::debug!(file = path, "an OpenImmo attachment is not in the delivery");
            continue;
        };
        target.push(image(url, a.value_at("anhangtitel"), language));
    }
    title.append(&mut images);
    title.truncate(MAX_IMAGES);
    plans.truncate(MAX_IMAGES);
    (title, plans)
}

/// Whether `path` is an absolute http(s) URL rather than a file name.
fn is_url(path: &str) -> bool {
    let lower = path.get(..8).unwrap_or(path).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}
