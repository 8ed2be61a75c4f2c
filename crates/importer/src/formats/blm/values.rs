//! Rightmove's coded values (statuses, property types, qualifiers, tenures) and the reading
//! of numbers, flags and dates as BLM exports write them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use propimport_domain::{MarketStatus, Tenure};

/// `STATUS_ID`: where the listing is on the market, and the source's name for it.
pub(super) fn status(code: u8) -> Option<(MarketStatus, &'static str)> {
    Some(match code {
        0 => (MarketStatus::Active, "available"),
        1 => (MarketStatus::Pending, "sold subject to contract"),
        2 => (MarketStatus::Pending, "sold subject to concluded missives"),
        3 => (MarketStatus::Pending, "under offer"),
        4 => (MarketStatus::Pending, "reserved"),
        5 => (MarketStatus::Pending, "let agreed"),
        6 => (MarketStatus::Sold, "sold"),
        7 => (MarketStatus::Let, "let"),
        _ => return None,
    })
}

/// `TENURE_TYPE_ID`.
pub(super) fn tenure(code: u16) -> Option<Tenure> {
    Some(match code {
        1 => Tenure::Freehold,
        2 => Tenure::Leasehold,
        3 => Tenure::Feudal,
        4 => Tenure::Commonhold,
        5 => Tenure::ShareOfFreehold,
        _ => return None,
    })
}

/// `PRICE_QUALIFIER` (0, "default", has no name).
pub(super) fn price_qualifier(code: u16) -> Option<&'static str> {
    Some(match code {
        1 => "POA",
        2 => "guide price",
        3 => "fixed price",
        4 => "offers in excess of",
        5 => "offers in the region of",
        6 => "sale by tender",
        7 => "from",
        9 => "shared ownership",
        10 => "offers over",
        11 => "part buy part rent",
        12 => "shared equity",
        14 => "equity loan",
        15 => "offers invited",
        _ => return None,
    })
}

/// The `PRICE_QUALIFIER` of "price on application".
pub(super) const POA: u16 = 1;
/// The `PRICE_QUALIFIER` of a shared ownership sale.
pub(super) const SHARED_OWNERSHIP: u16 = 9;

/// `LET_FURN_ID` (3, "not specified", has no name).
pub(super) fn furnished(code: u16) -> Option<&'static str> {
    Some(match code {
        0 => "furnished",
        1 => "part furnished",
        2 => "unfurnished",
        4 => "furnished or unfurnished",
        _ => return None,
    })
}

/// `LET_TYPE_ID` (0, "not specified", has no name).
pub(super) fn let_type(code: u16) -> Option<&'static str> {
    Some(match code {
        1 => "long term",
        2 => "short term",
        3 => "student",
        4 => "commercial",
        _ => return None,
    })
}

/// `PROP_SUB_ID`: the kind of property, lower-case (0, "not specified", has none).
pub(super) fn property_type(code: u16) -> Option<&'static str> {
    Some(match code {
        1 => "terraced house",
        2 => "end of terrace house",
        3 => "semi-detached house",
        4 => "detached house",
        5 => "mews house",
        6 => "cluster house",
        7 => "ground floor flat",
        8 => "flat",
        9 => "studio",
        10 => "ground floor maisonette",
        11 => "maisonette",
        12 => "bungalow",
        13 => "terraced bungalow",
        14 => "semi-detached bungalow",
        15 => "detached bungalow",
        16 => "mobile home",
        20 | 241 => "land",
        21 => "link detached house",
        22 => "town house",
        23 => "cottage",
        24 => "chalet",
        27 => "villa",
        28 => "apartment",
        29 => "penthouse",
        30 => "finca",
        43 => "barn conversion",
        44 => "serviced apartment",
        45 => "parking",
        46 => "sheltered housing",
        47 => "retirement property",
        48 => "house share",
        49 => "flat share",
        50 => "park home",
        51 => "garages",
        52 => "farm house",
        53 => "equestrian facility",
        56 => "duplex",
        59 => "triplex",
        62 => "longere",
        65 => "gite",
        68 => "barn",
        71 => "trulli",
        74 | 86 => "mill",
        77 => "ruins",
        80 => "restaurant",
        83 => "cafe",
        92 => "castle",
        95 => "village house",
        101 => "cave house",
        104 => "cortijo",
        107 => "farm land",
        110 => "plot",
        113 => "country house",
        116 => "stone house",
        117 => "caravan",
        118 => "lodge",
        119 => "log cabin",
        120 => "manor house",
        121 => "stately home",
        125 => "off-plan",
        128 => "semi-detached villa",
        131 => "detached villa",
        134 => "bar / nightclub",
        137 => "shop",
        140 => "riad",
        141 => "house boat",
        142 => "hotel room",
        143 => "block of apartments",
        144 => "private halls",
        178 => "office",
        181 => "business park",
        184 => "serviced office",
        187 => "retail property (high street)",
        190 => "retail property (out of town)",
        193 => "convenience store",
        196 => "garage",
        199 => "hairdresser / barber shop",
        202 => "hotel",
        205 => "petrol station",
        208 => "post office",
        211 => "pub",
        214 => "workshop",
        217 => "distribution warehouse",
        220 => "factory",
        223 => "heavy industrial",
        226 => "industrial park",
        229 => "light industrial",
        232 => "storage",
        235 => "showroom",
        238 => "warehouse",
        244 => "commercial development",
        247 => "industrial development",
        250 => "residential development",
        253 => "commercial property",
        256 => "data centre",
        259 => "farm",
        262 => "healthcare facility",
        265 => "marine property",
        268 => "mixed use",
        271 => "research & development facility",
        274 => "science park",
        277 => "guest house",
        280 => "hospitality",
        283 => "leisure facility",
        298 => "takeaway",
        301 => "childcare facility",
        304 => "smallholding",
        307 => "place of worship",
        310 => "trade counter",
        511 => "coach house",
        _ => return None,
    })
}

/// A yes/no flag: `Y`, `1`, `true`, `yes` or `N`, `0`, `false`, `no` (any case).
pub(super) fn flag(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "y" | "1" | "true" | "yes" | "t" => Some(true),
        "n" | "0" | "false" | "no" | "f" => Some(false),
        _ => None,
    }
}

/// A whole number, also when written with a zero fraction (`2.0`).
pub(super) fn whole<T: std::str::FromStr>(text: &str) -> Option<T> {
    let text = text.trim();
    let text = text
        .split_once('.')
        .filter(|(_, fraction)| fraction.bytes().all(|b| b == b'0'))
        .map_or(text, |(whole, _)| whole);
    text.parse().ok()
}

/// A date and time as BLM writes it: `YYYY-MM-DD HH:MM:SS` (the specification's form), the
/// same with `T` or without seconds, a bare date, or the UK day-first `DD/MM/YYYY` with or
/// without a time. BLM gives no zone: the time is taken as UTC.
pub(super) fn date_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Some(at) = plain_date_time(text) {
        return Some(at);
    }
    const TIMES: &[&str] = &[
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%d-%m-%Y %H:%M:%S",
    ];
    const DATES: &[&str] = &["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"];
    TIMES
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            DATES
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|at| at.and_utc())
}

/// `YYYY-MM-DD HH:MM:SS` exactly, as most exports write it, read without a format string;
/// `None` for anything else (which [`date_time`] then reads the slow way).
fn plain_date_time(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let digits = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(digits(0, 4)?).ok()?;
    let day = NaiveDate::from_ymd_opt(year, digits(5, 7)?, digits(8, 10)?)?;
    Some(
        day.and_hms_opt(digits(11, 13)?, digits(14, 16)?, digits(17, 19)?)?
            .and_utc(),
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn reads_numbers_flags_and_dates_as_exports_write_them() {
        assert_eq!(whole::<u16>(" 2.0 "), Some(2));
        assert_eq!(whole::<u16>("2.5"), None);
        assert_eq!(flag("Y"), Some(true));
        assert_eq!(flag("maybe"), None);
        let at = Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap();
        assert_eq!(date_time("2024-05-01 12:30:00"), Some(at));
        assert_eq!(date_time("01/05/2024 12:30"), Some(at));
        assert_eq!(
            date_time("2024-05-01"),
            Some(Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(date_time("May 1st"), None);
        assert_eq!(date_time("2024-02-30 12:30:00"), None);
    }

    #[test]
    fn codes_have_names() {
        assert_eq!(
            status(1),
            Some((MarketStatus::Pending, "sold subject to contract"))
        );
        assert_eq!(status(8), None);
        assert_eq!(property_type(8), Some("flat"));
        assert_eq!(property_type(0), None);
        assert_eq!(tenure(5), Some(Tenure::ShareOfFreehold));
        assert_eq!(price_qualifier(POA), Some("POA"));
    }
}
