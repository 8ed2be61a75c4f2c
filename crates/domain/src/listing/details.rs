//! The parts of a listing a site shows beyond price, place and text: market status, tenure,
//! charges, areas with their units, people to credit, media with captions. Names follow the
//! RESO Data Dictionary where it has one (`FORMAT.md` maps every format to them).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{LanguageCode, Money};

/// Where a listing is on the market, as its source says (RESO `StandardStatus`). A listing
/// that is gone from its source is withdrawn by the store instead, whatever it said last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketStatus {
    /// On the market (RESO `Active`, `Coming Soon`).
    #[default]
    Active,
    /// Under offer, sale agreed (RESO `Pending`, `Active Under Contract`).
    Pending,
    /// Sold (RESO `Closed` for a sale).
    Sold,
    /// Let (RESO `Closed` for a lease).
    Let,
    /// Taken off the market but still published by the source (off market, on hold).
    Withdrawn,
}

impl MarketStatus {
    /// Whether this is the default, `Active` (not written in documents).
    pub fn is_active(&self) -> bool {
        *self == Self::Active
    }
}

/// How the property is held (RESO `Ownership`; Rightmove `TENURE_TYPE_ID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tenure {
    /// Freehold.
    Freehold,
    /// Leasehold.
    Leasehold,
    /// A share of the freehold.
    ShareOfFreehold,
    /// Commonhold.
    Commonhold,
    /// Feudal (Scotland).
    Feudal,
}

/// A unit of area, as the source states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaUnit {
    /// Square metres.
    SquareMetres,
    /// Square feet.
    SquareFeet,
    /// Acres.
    Acres,
    /// Hectares.
    Hectares,
}

impl AreaUnit {
    /// Square metres in one of this unit.
    pub fn square_metres(self) -> f64 {
        match self {
            Self::SquareMetres => 1.0,
            Self::SquareFeet => 0.092_903_04,
            Self::Acres => 4_046.856_422_4,
            Self::Hectares => 10_000.0,
        }
    }
}

/// An area in the unit the source gave it (RESO `LotSizeArea` with `LotSizeUnits`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Area {
    /// The value, finite and not negative.
    pub value: f64,
    /// Its unit.
    pub unit: AreaUnit,
}

impl Area {
    /// The area in whole square metres, rounded, when it fits.
    pub fn whole_square_metres(&self) -> Option<u32> {
        let m2 = (self.value * self.unit.square_metres()).round();
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked to be within u32 first"
        )]
        (m2.is_finite() && (0.0..=f64::from(u32::MAX)).contains(&m2)).then_some(m2 as u32)
    }
}

/// How often a charge is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Once.
    Once,
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
    /// Every quarter.
    Quarterly,
    /// Every half year.
    HalfYearly,
    /// Every year.
    Yearly,
}

/// What a charge is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    /// Property tax (RESO `TaxAnnualAmount`, Spanish IBI, UK council tax).
    Tax,
    /// Owners' association or community fee (RESO `AssociationFee`).
    Association,
    /// Service charge of a leasehold.
    ServiceCharge,
    /// Ground rent of a leasehold.
    GroundRent,
    /// Running costs paid with a rent (German `nebenkosten`).
    Utilities,
    /// A deposit (rent), paid once.
    Deposit,
    /// A fee paid to the agent.
    AgencyFee,
    /// Anything else the source names.
    Other,
}

/// A recurring or one-off cost besides the price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    /// What it is for.
    pub kind: ChargeKind,
    /// How much, each period.
    pub amount: Money,
    /// How often.
    pub period: Period,
    /// The source's own name for it, when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The tax year it was assessed for (RESO `TaxYear`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
}

/// A person or office to credit (MLS rules require the listing's attribution to be shown).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// The id at the source (RESO `ListAgentMlsId`, `ListOfficeMlsId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The name to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Telephone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Contact {
    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.id.is_none() && self.name.is_none() && self.email.is_none() && self.phone.is_none()
    }
}

/// An image (a photo or a floor plan) with its captions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    /// Where it is: an `http(s)` URL, or for a file delivered with the feed the URL the image
    /// store gives it.
    pub url: String,
    /// Captions by language (RESO `LongDescription`, Kyero per-language `title`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub captions: BTreeMap<LanguageCode, String>,
}

impl Image {
    /// An image without a caption.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            captions: BTreeMap::new(),
        }
    }
}

impl<'de> Deserialize<'de> for Image {
    /// An image is an object `{"url": …, "captions": {…}}` or, as documents written before
    /// captions had, its URL alone.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Url(String),
            Full {
                url: String,
                #[serde(default)]
                captions: BTreeMap<LanguageCode, String>,
            },
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Url(url) => Self::new(url),
            Raw::Full { url, captions } => Self { url, captions },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_convert_to_whole_square_metres() {
        let area = |value, unit| Area { value, unit }.whole_square_metres();
        assert_eq!(area(1000.0, AreaUnit::SquareFeet), Some(93));
        assert_eq!(area(0.5, AreaUnit::Acres), Some(2023));
        assert_eq!(area(1.0, AreaUnit::Hectares), Some(10_000));
        assert_eq!(area(f64::NAN, AreaUnit::SquareMetres), None);
        assert_eq!(area(1e12, AreaUnit::Hectares), None);
    }

    #[test]
    fn an_image_reads_from_its_url_or_an_object() {
        let url: Image = serde_json::from_str(r#""https://img.example/1.jpg""#).unwrap();
        assert_eq!(url, Image::new("https://img.example/1.jpg"));
        let full: Image =
            serde_json::from_str(r#"{"url":"https://img.example/1.jpg","captions":{"en":"Pool"}}"#)
                .unwrap();
        assert_eq!(full.captions.len(), 1);
        assert_eq!(
            serde_json::to_string(&full).unwrap(),
            r#"{"url":"https://img.example/1.jpg","captions":{"en":"Pool"}}"#
        );
    }
}
