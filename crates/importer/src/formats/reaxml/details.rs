//! The rest of a REAXML listing: address, texts, features and allowances, land and building
//! areas, the listing agent and the property type.

use std::collections::BTreeMap;

use propimport_domain::{Address, Area, AreaUnit, Contact, GeoPoint, LocalizedText};

use super::values::{Failure, Mapped, map_err};
use crate::formats::html;
use crate::formats::xml::tree::Node;

/// Square metres in one Australian "square" (100 square feet).
const SQUARE_M2: f64 = 9.290_304;

/// `yes`, `1`, `true` (any case) or a count above 0.
pub(super) fn truthy(text: &str) -> bool {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "true" | "y" => true,
        t => t.parse::<f64>().is_ok_and(|n| n > 0.0),
    }
}

/// A yes/no flag, from an element's `value` attribute or its text; `None` when absent or
/// neither.
pub(super) fn flag(node: Option<Node<'_>>) -> Option<bool> {
    let text = node.and_then(|n| n.attr("value").or_else(|| n.value()))?;
    match text.to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" | "y" => Some(true),
        "no" | "false" | "0" | "n" => Some(false),
        _ => None,
    }
}

/// The text with each run of whitespace made one space.
pub(super) fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    html::collapse_into(&mut out, text, html::Lines::Joined);
    out
}

/// The address; `display="no"` keeps the suburb, state and postcode only (the agent does not
/// want the street shown).
pub(super) fn address(l: Node<'_>) -> Mapped<Address> {
    let Some(a) = l.child("address") else {
        return Ok(Address::default());
    };
    let text = |name: &str| a.value_of(name).map(collapse);
    let suburb = a.child("suburb").and_then(Node::value).map(collapse);
    let shown = super::price::displayed(a);
    let (unit, street_number, street) = if shown {
        let number = match (text("lotnumber"), text("streetnumber")) {
            (_, Some(number)) => Some(number),
            (Some(lot), None) => Some(format!("Lot {lot}")),
            (None, None) => None,
        };
        (text("subnumber"), number, text("street"))
    } else {
        (None, None, None)
    };
    let province = text("state").map(|s| s.to_uppercase());
    let postal_code = text("postcode");
    let mut line = String::new();
    if let Some(unit) = &unit {
        line.push_str(unit);
        line.push('/');
    }
    for part in [&street_number, &street].into_iter().flatten() {
        line.push_str(part);
        line.push(' ');
    }
    let line = line.trim().trim_end_matches('/').to_owned();
    let place: Vec<&str> = [&suburb, &province, &postal_code]
        .into_iter()
        .filter_map(Option::as_deref)
        .collect();
    let place = place.join(" ");
    let display = match (line.is_empty(), place.is_empty()) {
        (true, true) => None,
        (true, false) => Some(place),
        (false, true) => Some(line),
        (false, false) => Some(format!("{line}, {place}")),
    };
    Ok(Address {
        display,
        street_number,
        street,
        unit,
        locality: suburb.clone(),
        town: suburb,
        province,
        postal_code,
        country: Some(text("country").map_or_else(|| "AU".to_owned(), |c| country(&c))),
        location: location(l, a)?,
        ..Address::default()
    })
}

/// An ISO code for the country names feeds use; anything else as given.
fn country(text: &str) -> String {
    match text.to_ascii_uppercase().as_str() {
        "AU" | "AUS" | "AUSTRALIA" => "AU".to_owned(),
        "NZ" | "NZL" | "NEW ZEALAND" => "NZ".to_owned(),
        _ => text.to_owned(),
    }
}

/// `<geocode><latitude/><longitude/></geocode>`, in the listing or its address.
fn location(l: Node<'_>, a: Node<'_>) -> Mapped<Option<GeoPoint>> {
    let Some(geo) = l.child("geocode").or_else(|| a.child("geocode")) else {
        return Ok(None);
    };
    let coordinate = |name: &str| -> Mapped<Option<f64>> {
        geo.value_of(name)
            .map(|t| {
                t.parse::<f64>()
                    .map_err(|_| map_err(format!("geocode/{name}: {t:?} is not a number")))
            })
            .transpose()
    };
    match (coordinate("latitude")?, coordinate("longitude")?) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon)) => GeoPoint::new(lat, lon)
            .map(Some)
            .map_err(|e| Failure::rejected(&e)),
        _ => Err(map_err(
            "geocode: latitude and longitude must be given together".into(),
        )),
    }
}

/// The headline and description, in English (the description's paragraphs kept).
pub(super) fn text(l: Node<'_>) -> Option<LocalizedText> {
    let title = l.value_of("headline").map(collapse);
    let description = l
        .child("description")
        .map(|d| html::plain_text(d.raw_text()))
        .filter(|d| !d.is_empty());
    (title.is_some() || description.is_some()).then_some(LocalizedText { title, description })
}

/// A whole count at `features/<name>`; a value that is not one fails at `map`.
pub(super) fn count(features: Option<Node<'_>>, name: &str, path: &str) -> Mapped<Option<u16>> {
    let Some(text) = features.and_then(|f| f.value_of(name)) else {
        return Ok(None);
    };
    if let Ok(n) = text.parse::<u16>() {
        return Ok(Some(n));
    }
    // A studio has no bedroom; `2.0` is 2.
    if name == "bedrooms" && text.eq_ignore_ascii_case("studio") {
        return Ok(Some(0));
    }
    match text.parse::<f64>() {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked to be a whole number within u16 first"
        )]
        Ok(n) if n.fract() == 0.0 && (0.0..=f64::from(u16::MAX)).contains(&n) => Ok(Some(n as u16)),
        _ => Err(map_err(format!(
            "{path}: {text:?} is not a whole number in range"
        ))),
    }
}

/// The names of the features and allowances that are present (`airConditioning` becomes
/// `air conditioning`), the free-text `otherFeatures` split at commas, and the heating and
/// hot water types as amenities.
pub(super) fn features(l: Node<'_>) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    const COUNTED: &[&str] = &[
        "bedrooms",
        "bathrooms",
        "toilets",
        "garages",
        "carports",
        "openspaces",
        "livingareas",
        "otherfeatures",
        "heating",
        "hotwaterservice",
    ];
    let mut features = Vec::new();
    let mut amenities: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for group in ["features", "allowances"] {
        let Some(container) = l.child(group) else {
            continue;
        };
        for f in container.children() {
            if COUNTED.contains(&f.name()) {
                continue;
            }
            let on = f.attr("value").or_else(|| f.value()).is_some_and(truthy);
            if on {
                features.push(words(f.name()));
            }
        }
        if let Some(other) = container.value_of("otherfeatures") {
            features.extend(
                other
                    .split([',', ';', '\n'])
                    .map(collapse)
                    .filter(|f| !f.is_empty()),
            );
        }
        for (name, label) in [("heating", "heating"), ("hotwaterservice", "hot water")] {
            if let Some(kind) = container.child(name).and_then(|h| h.attr("type")) {
                amenities.entry(label.into()).or_default().push(kind.into());
            }
        }
    }
    (features, amenities)
}

/// A lower-case camelCase element name as words; the names the tree keeps are already lower
/// case, so the known compound names are split from a list, others kept whole.
fn words(name: &str) -> String {
    const SPLIT: &[(&str, &str)] = &[
        ("airconditioning", "air conditioning"),
        ("alarmsystem", "alarm system"),
        ("vacuumsystem", "vacuum system"),
        ("poolinground", "pool (in ground)"),
        ("poolaboveground", "pool (above ground)"),
        ("tenniscourt", "tennis court"),
        ("outdoorent", "outdoor entertaining"),
        ("fullyfenced", "fully fenced"),
        ("openfireplace", "open fireplace"),
        ("insidespa", "inside spa"),
        ("outsidespa", "outside spa"),
        ("builtinrobes", "built-in robes"),
        ("ductedcooling", "ducted cooling"),
        ("ductedheating", "ducted heating"),
        ("evaporativecooling", "evaporative cooling"),
        ("gasheating", "gas heating"),
        ("hydronicheating", "hydronic heating"),
        ("paytv", "pay TV"),
        ("reversecycleaircon", "reverse cycle air conditioning"),
        ("rumpusroom", "rumpus room"),
        ("splitsystemaircon", "split system air conditioning"),
        ("splitsystemheating", "split system heating"),
        ("remotegarage", "remote garage"),
        ("secureparking", "secure parking"),
        ("petfriendly", "pet friendly"),
        ("solarpanels", "solar panels"),
        ("solarhotwater", "solar hot water"),
        ("watertank", "water tank"),
    ];
    SPLIT
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_owned(), |(_, words)| (*words).to_owned())
}

/// An area with its `unit` (`squareMeter` when absent); Australian squares are converted to
/// square metres.
pub(super) fn area(node: Option<Node<'_>>, path: &str) -> Mapped<Option<Area>> {
    let Some(node) = node else { return Ok(None) };
    let Some(text) = node.value() else {
        return Ok(None);
    };
    let value: f64 = text
        .replace(',', "")
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| map_err(format!("{path}: {text:?} is not an area")))?;
    let unit = node.attr("unit").map(str::to_ascii_lowercase);
    let (value, unit) = match unit.as_deref() {
        None | Some("squaremeter" | "squaremetre" | "sqm" | "m2") => {
            (value, AreaUnit::SquareMetres)
        }
        Some("square" | "squares") => (value * SQUARE_M2, AreaUnit::SquareMetres),
        Some("acre" | "acres") => (value, AreaUnit::Acres),
        Some("hectare" | "hectares") => (value, AreaUnit::Hectares),
        Some("squarefeet" | "squarefoot" | "sqft") => (value, AreaUnit::SquareFeet),
        Some(other) => {
            return Err(map_err(format!(
                "{path}: the unit {other:?} is not squareMeter, square, acre, hectare or squareFeet"
            )));
        }
    };
    Ok(Some(Area { value, unit }))
}

/// The first listing agent (the one with the lowest `id`): name, a telephone (mobile
/// preferred), e-mail.
pub(super) fn agent(l: Node<'_>) -> Option<Contact> {
    let agent = l.all("listingagent").min_by_key(|a| {
        a.attr("id")
            .and_then(|id| id.parse::<u32>().ok())
            .unwrap_or(u32::MAX)
    })?;
    let phones = || agent.all("telephone").filter(|t| t.value().is_some());
    let phone = phones()
        .find(|t| {
            t.attr("type")
                .is_some_and(|k| k.eq_ignore_ascii_case("mobile"))
        })
        .or_else(|| phones().next())
        .and_then(Node::value)
        .map(collapse);
    let contact = Contact {
        id: None,
        name: agent.value_of("name").map(collapse),
        email: agent.value_of("email").map(collapse),
        phone,
    };
    (!contact.is_empty()).then_some(contact)
}

/// The category's name (`<category name="House">`, `<landCategory>`, `<commercialCategory>`,
/// `<ruralCategory>`, `<businessCategory><name>`), lower case; for a listing without one, its
/// kind when that says it (`land`).
pub(super) fn property_type(l: Node<'_>, kind: &str) -> Option<String> {
    let named = [
        "category",
        "landcategory",
        "commercialcategory",
        "ruralcategory",
        "businesscategory",
    ]
    .iter()
    .filter_map(|name| l.child(name))
    .find_map(|c| {
        c.attr("name")
            .or_else(|| c.value_of("name"))
            .or_else(|| c.value())
    });
    named
        .map(|n| collapse(n).to_lowercase())
        .or_else(|| match kind {
            "land" | "commercialland" => Some("land".to_owned()),
            _ => None,
        })
}
