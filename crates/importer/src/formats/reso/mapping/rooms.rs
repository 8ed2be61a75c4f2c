//! Bathrooms and parking spaces, as MLSs send them.
//!
//! Bathrooms come as counts (`BathroomsFull`, `BathroomsHalf`, `BathroomsThreeQuarter`,
//! `BathroomsOneQuarter`, `BathroomsPartial`) and as a total that may carry a fraction:
//!
//! - `BathroomsTotalInteger` and `BathroomsTotalDecimal` are read from their written digits.
//!   A whole number is the total. A fraction of `.5` is one half bath (`2.5` = 2 full + 1
//!   half, the decimal convention); `.25` and `.75` are one quarter or three-quarter bath;
//!   any other single digit is a count of half baths (the "full.half" convention some MLSs
//!   use: `1.1` = 1 full + 1 half, `3.2` = 3 full + 2 half). Anything else is left out.
//! - A three-quarter bath (toilet, basin and shower) counts as full, a one-quarter bath (a
//!   toilet alone) as half; `BathroomsPartial` is the half count when no half, quarter or
//!   three-quarter counts are given.
//! - The total (`bathrooms`) is `BathroomsTotalInteger` when it is a whole number, else full
//!   plus half; the counts given one by one win over those read from a total's fraction.

use super::soft;
use crate::formats::reso::values::{Record, count, number_parts, whole};

/// Bathrooms: in all, full and half.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Bathrooms {
    pub total: Option<u16>,
    pub full: Option<u16>,
    pub half: Option<u16>,
}

/// A total as written: a whole number, or full and half baths read from its fraction (see
/// the module's rules).
enum Total {
    Whole(u16),
    Split(u16, u16),
}

fn total(r: &Record, name: &str) -> Option<Total> {
    let (whole, fraction) = soft(number_parts(r, name))?;
    let full = u16::try_from(whole).ok()?;
    let (extra_full, half) = match fraction.trim_end_matches('0') {
        "" => return Some(Total::Whole(full)),
        "5" | "25" => (0, 1),
        "75" => (1, 0),
        digit if digit.len() == 1 => (0, digit.parse::<u16>().ok()?),
        fraction => {
            tracing::debug!(field = name, fraction, "RESO bathroom total left out");
            return None;
        }
    };
    Some(Total::Split(full.checked_add(extra_full)?, half))
}

/// The bathrooms of a record (see the module's rules).
pub(super) fn bathrooms(r: &Record) -> Bathrooms {
    let counted = |name| soft(whole::<u16>(r, name));
    let sum = |a: Option<u16>, b: Option<u16>| match (a, b) {
        (None, None) => None,
        (a, b) => a.unwrap_or(0).checked_add(b.unwrap_or(0)),
    };
    let full = sum(counted("BathroomsFull"), counted("BathroomsThreeQuarter"));
    let half = sum(counted("BathroomsHalf"), counted("BathroomsOneQuarter"))
        .or_else(|| counted("BathroomsPartial"));
    let given = total(r, "BathroomsTotalInteger").or_else(|| total(r, "BathroomsTotalDecimal"));
    let (whole, split) = match given {
        Some(Total::Whole(n)) => (Some(n), None),
        Some(Total::Split(full, half)) => (None, Some((full, half))),
        None => (None, None),
    };
    let full = full.or(split.map(|(full, _)| full));
    let half = half.or(split.map(|(_, half)| half).filter(|h| *h > 0));
    Bathrooms {
        total: whole.or_else(|| sum(full, half)),
        full,
        half,
    }
}

/// Parking or garage spaces: a count that may come with a fraction (`2.5` garage spaces is
/// two), zero kept (no garage).
pub(super) fn spaces(r: &Record, name: &str) -> Option<u16> {
    soft(count(r, name))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn baths(value: Value) -> (Option<u16>, Option<u16>, Option<u16>) {
        let Value::Object(r) = value else {
            unreachable!()
        };
        let b = bathrooms(&r);
        (b.total, b.full, b.half)
    }

    #[test]
    fn totals_with_a_fraction() {
        let some = Some;
        assert_eq!(
            baths(json!({"BathroomsTotalInteger": 1.1})),
            (some(2), some(1), some(1))
        );
        assert_eq!(
            baths(json!({"BathroomsTotalInteger": "3.2"})),
            (some(5), some(3), some(2))
        );
        assert_eq!(
            baths(json!({"BathroomsTotalInteger": 2.5})),
            (some(3), some(2), some(1))
        );
        assert_eq!(
            baths(json!({"BathroomsTotalDecimal": 2.75})),
            (some(3), some(3), None)
        );
        assert_eq!(
            baths(json!({"BathroomsTotalDecimal": "2.25"})),
            (some(3), some(2), some(1))
        );
        assert_eq!(
            baths(json!({"BathroomsTotalInteger": 3})),
            (some(3), None, None)
        );
        assert_eq!(
            baths(json!({"BathroomsTotalDecimal": "2.0"})),
            (some(2), None, None)
        );
        assert_eq!(
            baths(json!({"BathroomsTotalInteger": 1.333})),
            (None, None, None)
        );
        assert_eq!(
            baths(json!({"BathroomsTotalInteger": "many"})),
            (None, None, None)
        );
        assert_eq!(
            baths(json!({"BathroomsTotalInteger": -1.5})),
            (None, None, None)
        );
    }

    #[test]
    fn counts_win_over_a_fraction() {
        let some = Some;
        assert_eq!(
            baths(json!({"BathroomsTotalInteger": 3, "BathroomsFull": 2, "BathroomsHalf": 1})),
            (some(3), some(2), some(1))
        );
        assert_eq!(
            baths(
                json!({"BathroomsFull": "2", "BathroomsThreeQuarter": 1, "BathroomsOneQuarter": 1})
            ),
            (some(4), some(3), some(1))
        );
        assert_eq!(
            baths(json!({"BathroomsFull": 1, "BathroomsPartial": 2, "BathroomsTotalInteger": 1.1})),
            (some(3), some(1), some(2))
        );
        assert_eq!(baths(json!({"BathroomsHalf": 1})), (some(1), None, some(1)));
        assert_eq!(baths(json!({})), (None, None, None));
    }
}
