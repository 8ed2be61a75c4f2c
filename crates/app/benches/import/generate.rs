//! Deterministic, varied listings and the feeds made of them: propimport JSON (an array or
//! NDJSON) and Kyero v3 XML, written record by record so that a feed of a million listings
//! never sits in memory.
//!
//! Listing `i` is always the same (its own seeded generator), so the COPY reference can
//! rebuild exactly the rows the JSON import stores.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::Context as _;
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use propimport_domain::{
    Address, Currency, EnergyRating, ExternalId, GeoPoint, LanguageCode, Listing, LocalizedText,
    Money, Price, Transaction,
};

/// The form of a propimport JSON feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonForm {
    /// One JSON array (read element by element).
    Array,
    /// One listing per line.
    Ndjson,
}

/// A region listings are spread over: where, and in which languages they are described.
struct Region {
    country: &'static str,
    province: &'static str,
    town: &'static str,
    latitude: f64,
    longitude: f64,
    /// The local language after English, then an optional third one.
    languages: [&'static str; 2],
    id_prefix: &'static str,
}

const REGIONS: &[Region] = &[
    region(
        "Spain",
        "Málaga",
        "Marbella",
        36.5101,
        -4.8825,
        ["es", "de"],
        "CS",
    ),
    region(
        "Spain",
        "Málaga",
        "Estepona",
        36.4276,
        -5.1463,
        ["es", "de"],
        "CS",
    ),
    region(
        "Spain",
        "Alicante",
        "Jávea",
        38.7891,
        0.1664,
        ["es", "fr"],
        "CB",
    ),
    region(
        "Spain",
        "Alicante",
        "Benissa",
        38.7149,
        0.0486,
        ["es", "de"],
        "CB",
    ),
    region(
        "Spain",
        "Murcia",
        "Cartagena",
        37.6257,
        -0.9966,
        ["es", "fr"],
        "MU",
    ),
    region(
        "Spain",
        "Baleares",
        "Palma",
        39.5696,
        2.6502,
        ["es", "de"],
        "PM",
    ),
    region(
        "Portugal",
        "Faro",
        "Lagos",
        37.1028,
        -8.6742,
        ["pt", "fr"],
        "AL",
    ),
    region(
        "Portugal",
        "Faro",
        "Tavira",
        37.1276,
        -7.6506,
        ["pt", "de"],
        "AL",
    ),
    region(
        "Portugal",
        "Lisboa",
        "Cascais",
        38.6979,
        -9.4215,
        ["pt", "fr"],
        "LX",
    ),
    region(
        "North Macedonia",
        "Southwestern",
        "Ohrid",
        41.1231,
        20.8016,
        ["mk", "sq"],
        "MK",
    ),
    region(
        "North Macedonia",
        "Southwestern",
        "Struga",
        41.1781,
        20.6783,
        ["mk", "sq"],
        "MK",
    ),
    region(
        "North Macedonia",
        "Skopje",
        "Skopje",
        41.9981,
        21.4254,
        ["mk", "sq"],
        "MK",
    ),
    region(
        "France",
        "Alpes-Maritimes",
        "Nice",
        43.7102,
        7.2620,
        ["fr", "de"],
        "CA",
    ),
    region(
        "France",
        "Var",
        "Saint-Tropez",
        43.2692,
        6.6389,
        ["fr", "es"],
        "CA",
    ),
];

const fn region(
    country: &'static str,
    province: &'static str,
    town: &'static str,
    latitude: f64,
    longitude: f64,
    languages: [&'static str; 2],
    id_prefix: &'static str,
) -> Region {
    Region {
        country,
        province,
        town,
        latitude,
        longitude,
        languages,
        id_prefix,
    }
}

/// Property kinds: the stored (English) name, and whether it comes with a plot.
const KINDS: &[(&str, bool)] = &[
    ("apartment", false),
    ("villa", true),
    ("penthouse", false),
    ("townhouse", true),
    ("bungalow", true),
    ("finca", true),
    ("studio", false),
    ("duplex", false),
];

/// The kinds of [`KINDS`] by language, in the same order.
fn kind_name(lang: &str, kind: usize) -> &'static str {
    let names: [&str; 8] = match lang {
        "es" => [
            "Apartamento",
            "Villa",
            "Ático",
            "Adosado",
            "Bungalow",
            "Finca",
            "Estudio",
            "Dúplex",
        ],
        "pt" => [
            "Apartamento",
            "Moradia",
            "Penthouse",
            "Moradia geminada",
            "Bungalow",
            "Quinta",
            "Estúdio",
            "Duplex",
        ],
        "mk" => [
            "Стан",
            "Вила",
            "Пентхаус",
            "Куќа во низа",
            "Бунгалов",
            "Фарма",
            "Гарсоњера",
            "Дуплекс",
        ],
        "sq" => [
            "Apartament",
            "Vilë",
            "Penthaus",
            "Shtëpi në varg",
            "Bungalov",
            "Fermë",
            "Studio",
            "Dupleks",
        ],
        "fr" => [
            "Appartement",
            "Villa",
            "Penthouse",
            "Maison de ville",
            "Bungalow",
            "Mas",
            "Studio",
            "Duplex",
        ],
        "de" => [
            "Wohnung",
            "Villa",
            "Penthouse",
            "Reihenhaus",
            "Bungalow",
            "Finca",
            "Studio",
            "Maisonette",
        ],
        _ => [
            "Apartment",
            "Villa",
            "Penthouse",
            "Townhouse",
            "Bungalow",
            "Finca",
            "Studio",
            "Duplex",
        ],
    };
    names[kind % names.len()]
}

/// A title in `lang`.
fn title(lang: &str, kind: &str, beds: u16, town: &str) -> String {
    match lang {
        "es" => format!("{kind} de {beds} dormitorios en {town}"),
        "pt" => format!("{kind} T{beds} em {town}"),
        "mk" => format!("{kind} со {beds} спални во {town}"),
        "sq" => format!("{kind} me {beds} dhoma gjumi në {town}"),
        "fr" => format!("{kind} de {beds} chambres à {town}"),
        "de" => format!("{kind} mit {beds} Schlafzimmern in {town}"),
        _ => format!("{beds}-bedroom {} in {town}", kind.to_lowercase()),
    }
}

/// Sentences a description is made of, by language.
fn sentences(lang: &str) -> &'static [&'static str] {
    match lang {
        "es" => &[
            "Luminosa vivienda con orientación sur y vistas despejadas.",
            "A pocos minutos a pie de la playa, tiendas y restaurantes.",
            "Cocina totalmente equipada & salón con salida a la terraza.",
            "Ideal como residencia habitual o como inversión de alquiler.",
            "La urbanización cuenta con piscina comunitaria y zonas verdes.",
            "Reformada en 2021 con materiales de primera calidad.",
            "Aire acondicionado frío/calor por conductos en todas las estancias.",
        ],
        "pt" => &[
            "Imóvel luminoso com exposição solar a sul e vista desafogada.",
            "A poucos minutos a pé da praia, do comércio e dos restaurantes.",
            "Cozinha totalmente equipada & sala com acesso ao terraço.",
            "Ideal para habitação própria ou investimento para arrendamento.",
            "O condomínio dispõe de piscina comum e jardins.",
            "Remodelado em 2021 com materiais de excelente qualidade.",
        ],
        "mk" => &[
            "Светол имот со јужна ориентација и отворен поглед.",
            "На неколку минути пешки од езерото, продавници и ресторани.",
            "Целосно опремена кујна и дневна соба со излез на тераса.",
            "Идеален за живеење или како инвестиција за издавање.",
            "Реновиран во 2021 година со квалитетни материјали.",
        ],
        "sq" => &[
            "Pronë e ndritshme me orientim jugor dhe pamje të hapur.",
            "Disa minuta në këmbë nga liqeni, dyqanet dhe restorantet.",
            "Kuzhinë plotësisht e pajisur & sallon me dalje në tarracë.",
            "Ideale për banim ose si investim për qira.",
        ],
        "fr" => &[
            "Bien lumineux exposé plein sud avec une vue dégagée.",
            "À quelques minutes à pied de la plage, des commerces et des restaurants.",
            "Cuisine entièrement équipée & séjour donnant sur la terrasse.",
            "Idéal comme résidence principale ou investissement locatif.",
            "La résidence dispose d'une piscine commune et d'espaces verts.",
            "Rénové en 2021 avec des matériaux de grande qualité.",
        ],
        "de" => &[
            "Helle Immobilie in Südausrichtung mit unverbaubarem Blick.",
            "Wenige Gehminuten vom Strand, von Geschäften und Restaurants entfernt.",
            "Voll ausgestattete Küche & Wohnzimmer mit Zugang zur Terrasse.",
            "Ideal als Hauptwohnsitz oder als Mietinvestition.",
            "Die Anlage verfügt über einen Gemeinschaftspool und Grünflächen.",
            "2021 mit hochwertigen Materialien renoviert.",
        ],
        _ => &[
            "Bright south-facing home with open views.",
            "A few minutes' walk from the beach, shops and restaurants.",
            "Fully fitted kitchen & living room opening onto the terrace.",
            "Ideal as a main residence or as a rental investment.",
            "The development has a communal pool and landscaped gardens.",
            "Renovated in 2021 with high-quality materials.",
            "Ducted air conditioning (hot/cold) throughout.",
            "Viewings by appointment; the \"best buy\" of the area.",
        ],
    }
}

const FEATURES: &[&str] = &[
    "Sea views",
    "Mountain views",
    "Private pool",
    "Communal pool",
    "Air conditioning",
    "Central heating",
    "Garage",
    "Terrace",
    "Garden",
    "Lift",
    "Fireplace",
    "Solar panels",
    "Alarm system",
    "Storage room",
    "Gated community",
    "Close to golf",
    "Walking distance to beach",
    "Fitted wardrobes",
    "Double glazing",
    "Barbecue",
];

const RATINGS: &[&str] = &["A", "B", "C", "D", "E", "F", "G"];

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
        .map(|k| format!("https://images.propimport.invalid/{external_id}/{k:02}.jpg"))
        .collect();
    let built: u32 = rng.u32(35..=450);
    let modified = base_time() + Duration::minutes(rng.i64(0..300 * 24 * 60));
    Ok(Listing {
        external_id: ExternalId::parse(&external_id)?,
        reference: Some(format!("REF{:06}", rng.u32(..1_000_000))),
        transaction,
        price,
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

/// Writes a propimport JSON feed of `count` listings to `path`; returns its size in bytes.
pub fn write_json(path: &Path, count: u64, form: JsonForm) -> anyhow::Result<u64> {
    let file = File::create(path).with_context(|| format!("create {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    if form == JsonForm::Array {
        out.write_all(b"[\n")?;
    }
    for i in 0..count {
        if form == JsonForm::Array && i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut out, &listing(i)?)?;
        if form == JsonForm::Ndjson {
            out.write_all(b"\n")?;
        }
    }
    if form == JsonForm::Array {
        out.write_all(b"\n]\n")?;
    }
    finish(out)
}

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

fn finish(mut out: BufWriter<File>) -> anyhow::Result<u64> {
    out.flush()?;
    let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    Ok(file.metadata()?.len())
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
            esc(url)
        );
    }
    out.push_str("</images>\n  </property>\n");
}
