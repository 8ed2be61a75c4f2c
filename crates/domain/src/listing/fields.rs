//! Small listing field types that reject invalid values once, at the edge.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// A listing's id at its source: 1 to 200 characters, trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ExternalId(String);

impl ExternalId {
    /// The longest id accepted.
    pub const MAX_LEN: usize = 200;

    /// Checks an id.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::invalid("id", "is empty"));
        }
        if text.chars().count() > Self::MAX_LEN {
            return Err(Error::invalid(
                "id",
                format!("is longer than {} characters", Self::MAX_LEN),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(Error::invalid(
                "id",
                format!("{text:?} contains control characters"),
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ExternalId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A language code such as `en`, `es`, `pt-br`: 2 to 8 letters, digits or `-`, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct LanguageCode(String);

impl LanguageCode {
    /// Checks and lower-cases a code (`_` becomes `-`).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let code = text.trim().to_ascii_lowercase().replace('_', "-");
        let ok = (2..=8).contains(&code.len())
            && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && code.starts_with(|c: char| c.is_ascii_alphabetic());
        if ok {
            Ok(Self(code))
        } else {
            Err(Error::invalid(
                "language",
                format!("{text:?} is not a language code"),
            ))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for LanguageCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A point on Earth: latitude in [-90, 90], longitude in [-180, 180], not both zero (the
/// "null island" that broken exports send for "unknown").
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GeoPoint {
    latitude: f64,
    longitude: f64,
}

impl GeoPoint {
    /// Checks a coordinate pair.
    pub fn new(latitude: f64, longitude: f64) -> Result<Self, Error> {
        if !(latitude.is_finite() && (-90.0..=90.0).contains(&latitude)) {
            return Err(Error::invalid(
                "latitude",
                format!("{latitude} is outside -90..90"),
            ));
        }
        if !(longitude.is_finite() && (-180.0..=180.0).contains(&longitude)) {
            return Err(Error::invalid(
                "longitude",
                format!("{longitude} is outside -180..180"),
            ));
        }
        if latitude == 0.0 && longitude == 0.0 {
            return Err(Error::invalid("location", "0,0 is not a real location"));
        }
        Ok(Self {
            latitude,
            longitude,
        })
    }

    /// Latitude in degrees.
    pub fn latitude(&self) -> f64 {
        self.latitude
    }

    /// Longitude in degrees.
    pub fn longitude(&self) -> f64 {
        self.longitude
    }
}

impl<'de> Deserialize<'de> for GeoPoint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            latitude: f64,
            longitude: f64,
        }
        let raw = Raw::deserialize(d)?;
        Self::new(raw.latitude, raw.longitude).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_trimmed_and_checked() {
        assert_eq!(ExternalId::parse("  A-1 ").unwrap().as_str(), "A-1");
        assert!(ExternalId::parse(" ").is_err());
        assert!(ExternalId::parse("a\u{0}b").is_err());
        assert!(ExternalId::parse(&"x".repeat(201)).is_err());
    }

    #[test]
    fn language_codes_are_normalized() {
        assert_eq!(LanguageCode::parse("EN").unwrap().as_str(), "en");
        assert_eq!(LanguageCode::parse("pt_BR").unwrap().as_str(), "pt-br");
        assert!(LanguageCode::parse("e").is_err());
        assert!(LanguageCode::parse("1x").is_err());
    }

    #[test]
    fn points_are_on_earth() {
        assert!(GeoPoint::new(38.3, -0.5).is_ok());
        assert!(GeoPoint::new(91.0, 0.5).is_err());
        assert!(GeoPoint::new(10.0, 181.0).is_err());
        assert!(GeoPoint::new(0.0, 0.0).is_err());
        assert!(GeoPoint::new(f64::NAN, 1.0).is_err());
    }
}
