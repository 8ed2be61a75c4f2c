//! The vocabulary of generated listings: property kinds, titles, description sentences, features
//! and energy ratings, by language.

/// Property kinds: the stored (English) name, and whether it comes with a plot.
pub const KINDS: &[(&str, bool)] = &[
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
pub fn kind_name(lang: &str, kind: usize) -> &'static str {
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
pub fn title(lang: &str, kind: &str, beds: u16, town: &str) -> String {
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
pub fn sentences(lang: &str) -> &'static [&'static str] {
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

pub const FEATURES: &[&str] = &[
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

pub const RATINGS: &[&str] = &["A", "B", "C", "D", "E", "F", "G"];
