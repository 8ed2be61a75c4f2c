//! Prices in minor units with their currency, or "on request".

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// An ISO 4217 currency code (three upper-case letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// The euro, the default of Kyero feeds.
    pub const EUR: Self = Self(*b"EUR");

    /// Checks a code (case-insensitive).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let upper = text.trim().to_ascii_uppercase();
        match upper.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => Ok(Self([*a, *b, *c])),
            _ => Err(Error::invalid(
                "currency",
                format!("{text:?} is not a three-letter currency code"),
            )),
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// An amount in minor units (cents) of a currency; never negative (also when deserialized).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// An amount in minor units.
    pub fn from_minor(minor: i64, currency: Currency) -> Result<Self, Error> {
        if minor < 0 {
            return Err(Error::invalid("price", format!("{minor} is negative")));
        }
        Ok(Self { minor, currency })
    }

    /// Parses a decimal amount in major units (`250000`, `1250.50`, `1,250.50` is refused as
    /// ambiguous unless it has exactly the thousands form `1,250,000`).
    pub fn parse_major(text: &str, currency: Currency) -> Result<Self, Error> {
        let t = text.trim();
        let bad = || Error::invalid("price", format!("{text:?} is not an amount"));
        let t = if t.contains(',') && !t.contains('.') && t.split(',').skip(1).all(|g| g.len() == 3)
        {
            t.replace(',', "")
        } else {
            t.to_owned()
        };
        let (whole, fraction) = t.split_once('.').unwrap_or((&t, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || fraction.len() > 2
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
        let minor = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(cents))
            .ok_or_else(bad)?;
        Self::from_minor(minor, currency)
    }

    /// The amount in minor units.
    pub fn minor(&self) -> i64 {
        self.minor
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            minor: i64,
            currency: Currency,
        }
        let raw = Raw::deserialize(d)?;
        Self::from_minor(raw.minor, raw.currency).map_err(serde::de::Error::custom)
    }
}

/// An asking price, or "price on application".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Price {
    /// A stated amount.
    Amount {
        /// The amount.
        amount: Money,
    },
    /// On request.
    OnRequest,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_major_amounts_exactly() {
        let m = |t: &str| Money::parse_major(t, Currency::EUR).map(|m| m.minor());
        assert_eq!(m("250000"), Ok(25_000_000));
        assert_eq!(m("1250.5"), Ok(125_050));
        assert_eq!(m("1,250,000"), Ok(125_000_000));
        assert!(m("1,25").is_err());
        assert!(m("-5").is_err());
        assert!(m("x").is_err());
        assert!(m("1.234").is_err());
        assert!(m("99999999999999999999").is_err());
    }

    #[test]
    fn deserializing_checks_the_amount() {
        let money = serde_json::from_str::<Money>(r#"{"minor": 100, "currency": "EUR"}"#).unwrap();
        assert_eq!(
            (money.minor(), money.currency()),
            (100, Currency::parse("EUR").unwrap())
        );
        let err = serde_json::from_str::<Money>(r#"{"minor": -1, "currency": "EUR"}"#).unwrap_err();
        assert!(err.to_string().contains("negative"), "{err}");
    }

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::parse("gbp").unwrap().as_str(), "GBP");
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("€").is_err());
    }
}
