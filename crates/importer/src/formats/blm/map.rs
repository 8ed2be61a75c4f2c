//! Maps one BLM record to the canonical [`Listing`] (`FORMAT.md`, section "Rightmove BLM",
//! has the table).
//!
//! Required: `AGENT_REF`, `TRANS_TYPE_ID` (1 sale, 2 lettings) and a `PRICE` (unless the
//! `PRICE_QUALIFIER` is 1, POA). A record whose `PUBLISHED_FLAG` is 0 is gone: it becomes
//! [`Mapped::Gone`] whatever its other fields. Empty fields count as absent. A value that
//! cannot be read as its type fails the record at `map`, naming the field; a value the domain
//! rejects (an invalid id, coordinates off Earth) fails it at `validate`. Coded values the
//! mapping does not know fail the record for `STATUS_ID`, `TRANS_TYPE_ID` and
//! `LET_RENT_FREQUENCY` (they change what the price means) and are ignored for the
//! descriptive ones (`PROP_SUB_ID`, `TENURE_TYPE_ID`, `PRICE_QUALIFIER`, `LET_FURN_ID`…).

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use propimport_domain::{
    Address, Charge, ChargeKind, Contact, Currency, ExternalId, GeoPoint, LanguageCode, Listing,
    LocalizedText, Money, Period, Price, Transaction,
};

use super::columns::Columns;
use super::media::Resolver;
use super::text::Fields;
use super::values;
use crate::formats::{RecordError, Stage, html};

/// What a record maps to.
#[derive(Debug)]
pub(super) enum Mapped {
    /// A listing.
    Listing(Box<Listing>),
    /// `PUBLISHED_FLAG` 0: the listing is to be taken down.
    Gone(ExternalId),
}

/// Why a record failed, before it is tied to its number.
struct Failure {
    stage: Stage,
    message: String,
}

type Result<T> = std::result::Result<T, Failure>;

fn bad(field: &str, message: impl std::fmt::Display) -> Failure {
    Failure {
        stage: Stage::Map,
        message: format!("{field}: {message}"),
    }
}

fn rejected(field: &str, error: &propimport_domain::Error) -> Failure {
    Failure {
        stage: Stage::Validate,
        message: format!("{field}: {error}"),
    }
}

/// Maps the `number`th record (1-based) of a document with these `columns`.
pub(super) fn map(
    f: &Fields,
    columns: &Columns,
    media: &mut Resolver<'_>,
    number: u64,
) -> std::result::Result<Mapped, RecordError> {
    Record { f, c: columns }
        .mapped(media)
        .map_err(|failure| RecordError {
            external_id: f.get(columns.agent_ref).map(Cow::into_owned),
            stage: failure.stage,
            message: format!("record {number}: {}", failure.message),
        })
}

/// One record with its columns.
struct Record<'a> {
    f: &'a Fields,
    c: &'a Columns,
}

impl Record<'_> {
    fn get(&self, column: Option<usize>) -> Option<Cow<'_, str>> {
        self.f.get(column)
    }

    /// The text of a field, whitespace runs made one space.
    fn text(&self, column: Option<usize>) -> Option<String> {
        let value = self.get(column)?;
        let mut out = String::with_capacity(value.len());
        html::collapse_into(&mut out, &value, html::Lines::Joined);
        Some(out)
    }

    fn number<T: std::str::FromStr>(&self, column: Option<usize>, name: &str) -> Result<Option<T>> {
        self.get(column)
            .map(|v| {
                values::whole(&v)
                    .ok_or_else(|| bad(name, format!("{v:?} is not a whole number in range")))
            })
            .transpose()
    }

    fn flag(&self, column: Option<usize>, name: &str) -> Result<Option<bool>> {
        self.get(column)
            .map(|v| values::flag(&v).ok_or_else(|| bad(name, format!("{v:?} is not Y or N"))))
            .transpose()
    }

    fn date(&self, column: Option<usize>, name: &str) -> Result<Option<DateTime<Utc>>> {
        self.get(column)
            .map(|v| {
                values::date_time(&v).ok_or_else(|| {
                    bad(
                        name,
                        format!("{v:?} is not a date (expected YYYY-MM-DD HH:MM:SS)"),
                    )
                })
            })
            .transpose()
    }

    fn money(
        &self,
        column: Option<usize>,
        name: &str,
        currency: Currency,
    ) -> Result<Option<Money>> {
        let Some(value) = self.get(column) else {
            return Ok(None);
        };
        let amount = value.trim().trim_start_matches('£').trim();
        Money::parse_major(amount, currency)
            .map(Some)
            .map_err(|_| bad(name, format!("{value:?} is not an amount")))
    }

    fn mapped(&self, media: &mut Resolver<'_>) -> Result<Mapped> {
        let agent_ref = self
            .get(self.c.agent_ref)
            .ok_or_else(|| bad("AGENT_REF", "missing"))?;
        let id = ExternalId::parse(&agent_ref).map_err(|e| rejected("AGENT_REF", &e))?;
        if self.flag(self.c.published_flag, "PUBLISHED_FLAG")? == Some(false) {
            return Ok(Mapped::Gone(id));
        }
        let (status, source_status) = match self.number::<u8>(self.c.status_id, "STATUS_ID")? {
            None => (Default::default(), None),
            Some(code) => values::status(code)
                .map(|(s, name)| (s, Some(name.to_owned())))
                .ok_or_else(|| {
                    bad(
                        "STATUS_ID",
                        format!("{code} is not a Rightmove status (0 to 7)"),
                    )
                })?,
        };
        let currency = match self.get(self.c.currency) {
            Some(code) => Currency::parse(&code).map_err(|e| rejected("CURRENCY", &e))?,
            None => Currency::parse("GBP").map_err(|e| rejected("CURRENCY", &e))?,
        };
        let qualifier = self.number::<u16>(self.c.price_qualifier, "PRICE_QUALIFIER")?;
        let mut amenities = BTreeMap::new();
        let (transaction, price) = self.price(currency, qualifier, &mut amenities)?;
        let en = LanguageCode::parse("en").map_err(|e| rejected("language", &e))?;
        let mut shared_ownership = self.flag(self.c.shared_ownership, "SHARED_OWNERSHIP")?;
        if qualifier == Some(values::SHARED_OWNERSHIP) {
            shared_ownership.get_or_insert(true);
        }
        let mut note = |group: &str, value: Option<String>| {
            if let Some(value) = value {
                amenities.insert(group.to_owned(), vec![value]);
            }
        };
        note(
            "priceQualifier",
            qualifier
                .and_then(values::price_qualifier)
                .map(str::to_owned),
        );
        let furnished = self.number::<u16>(self.c.let_furn_id, "LET_FURN_ID")?;
        note(
            "furnished",
            furnished.and_then(values::furnished).map(str::to_owned),
        );
        let let_type = self.number::<u16>(self.c.let_type_id, "LET_TYPE_ID")?;
        note(
            "letType",
            let_type.and_then(values::let_type).map(str::to_owned),
        );
        note("availableFrom", self.text(self.c.let_date_available));
        note("livingRooms", self.text(self.c.living_rooms));
        let property_type = match self.get(self.c.prop_sub_id) {
            Some(v) => match values::whole::<u16>(&v) {
                Some(code) => values::property_type(code).map(str::to_owned),
                None => Some(v.to_lowercase()),
            },
            None => None,
        };
        Ok(Mapped::Listing(Box::new(Listing {
            reference: Some(agent_ref.into_owned()),
            status,
            source_status,
            charges: self.charges(currency)?,
            property_type,
            tenure: self
                .number::<u16>(self.c.tenure_type_id, "TENURE_TYPE_ID")?
                .and_then(values::tenure),
            shared_ownership,
            bedrooms: self.number(self.c.bedrooms, "BEDROOMS")?,
            bathrooms: self.number(self.c.bathrooms, "BATHROOMS")?,
            address: self.address()?,
            texts: self.texts(&en),
            features: self
                .c
                .features
                .iter()
                .filter_map(|&i| self.text(Some(i)))
                .collect(),
            amenities,
            images: media.images(self.f, &self.c.images, &en),
            floor_plans: media.images(self.f, &self.c.floor_plans, &en),
            virtual_tours: media.urls(self.f, &self.c.virtual_tours),
            new_build: self.flag(self.c.new_home_flag, "NEW_HOME_FLAG")?,
            office: self.text(self.c.branch_id).map(|id| Contact {
                id: Some(id),
                ..Contact::default()
            }),
            listed_at: self.date(self.c.create_date, "CREATE_DATE")?,
            source_modified_at: self.date(self.c.update_date, "UPDATE_DATE")?,
            ..Listing::new(id, transaction, price)
        })))
    }

    /// The transaction and the price: a rent is monthly or weekly, a quarterly or annual one
    /// made monthly (the given period noted in `rentFrequency`).
    fn price(
        &self,
        currency: Currency,
        qualifier: Option<u16>,
        amenities: &mut BTreeMap<String, Vec<String>>,
    ) -> Result<(Transaction, Price)> {
        let trans = self.number::<u8>(self.c.trans_type_id, "TRANS_TYPE_ID")?;
        let amount = self.money(self.c.price, "PRICE", currency)?;
        let on_request = qualifier == Some(values::POA);
        // (transaction, months the price covers, the period noted when it is not the usual)
        let (transaction, months, noted) = match trans {
            Some(1) => (Transaction::Sale, 0, None),
            Some(2) => match self.number::<u8>(self.c.let_rent_frequency, "LET_RENT_FREQUENCY")? {
                Some(0) => (Transaction::RentWeekly, 0, None),
                None | Some(1) => (Transaction::RentMonthly, 0, None),
                Some(2) => (Transaction::RentMonthly, 3, Some("quarterly")),
                Some(3) => (Transaction::RentMonthly, 12, Some("annual")),
                Some(5) => (Transaction::RentWeekly, 0, Some("per person per week")),
                Some(other) => {
                    return Err(bad(
                        "LET_RENT_FREQUENCY",
                        format!("{other} is not 0, 1, 2, 3 or 5"),
                    ));
                }
            },
            Some(other) => {
                return Err(bad(
                    "TRANS_TYPE_ID",
                    format!("{other} is not 1 (sale) or 2 (lettings)"),
                ));
            }
            None => return Err(bad("TRANS_TYPE_ID", "missing")),
        };
        if let Some(frequency) = noted {
            amenities.insert("rentFrequency".into(), vec![frequency.into()]);
        }
        let price = match amount {
            _ if on_request => Price::OnRequest,
            None => return Err(bad("PRICE", "missing (and PRICE_QUALIFIER is not 1, POA)")),
            Some(amount) if months > 0 => {
                let minor = amount.minor();
                let monthly = minor / months + i64::from(minor % months * 2 >= months);
                let amount =
                    Money::from_minor(monthly, currency).map_err(|e| rejected("PRICE", &e))?;
                Price::Amount { amount }
            }
            Some(amount) => Price::Amount { amount },
        };
        Ok((transaction, price))
    }

    fn charges(&self, currency: Currency) -> Result<Vec<Charge>> {
        let charge = |kind, amount, period| Charge {
            kind,
            amount,
            period,
            label: None,
            year: None,
        };
        let mut charges = Vec::new();
        if let Some(m) = self.money(self.c.service_charge, "ANNUAL_SERVICE_CHARGE", currency)? {
            charges.push(charge(ChargeKind::ServiceCharge, m, Period::Yearly));
        }
        if let Some(m) = self.money(self.c.ground_rent, "GROUND_RENT", currency)? {
            charges.push(charge(ChargeKind::GroundRent, m, Period::Yearly));
        }
        if let Some(m) = self.money(self.c.let_bond, "LET_BOND", currency)? {
            charges.push(charge(ChargeKind::Deposit, m, Period::Once));
        }
        Ok(charges)
    }

    fn address(&self) -> Result<Address> {
        let [line1, line2, line3, line4] = self.c.address.map(|c| self.text(c));
        let postal_code = match (self.text(self.c.postcode1), self.text(self.c.postcode2)) {
            (Some(out), Some(inward)) => Some(format!("{out} {inward}")),
            (Some(out), None) => Some(out),
            (None, _) => self.text(self.c.zipcode),
        };
        Ok(Address {
            display: self.text(self.c.display_address),
            street_number: line1,
            street: line2,
            locality: line3,
            county: line4,
            town: self.text(self.c.town),
            province: self.text(self.c.region),
            postal_code: postal_code.map(|p| p.to_uppercase()),
            country: Some(
                self.text(self.c.country_code)
                    .unwrap_or_else(|| "GB".into()),
            ),
            location: self.location()?,
            ..Address::default()
        })
    }

    fn location(&self) -> Result<Option<GeoPoint>> {
        let coordinate = |column, name| -> Result<Option<f64>> {
            self.get(column)
                .map(|v| {
                    v.trim()
                        .parse::<f64>()
                        .map_err(|_| bad(name, format!("{v:?} is not a number")))
                })
                .transpose()
        };
        match (
            coordinate(self.c.latitude, "LATITUDE")?,
            coordinate(self.c.longitude, "LONGITUDE")?,
        ) {
            (None, None) => Ok(None),
            // Exports write 0 for "unknown".
            (Some(lat), Some(lon)) if lat == 0.0 && lon == 0.0 => Ok(None),
            (Some(lat), Some(lon)) => GeoPoint::new(lat, lon)
                .map(Some)
                .map_err(|e| rejected("LATITUDE/LONGITUDE", &e)),
            _ => Err(bad("LATITUDE/LONGITUDE", "one is given without the other")),
        }
    }

    /// `SUMMARY` (one line) as the title, `DESCRIPTION` as the description, both plain text.
    fn texts(&self, en: &LanguageCode) -> BTreeMap<LanguageCode, LocalizedText> {
        let plain = |column| {
            self.get(column)
                .map(|v| html::plain_text(&v))
                .filter(|t| !t.is_empty())
        };
        let title = plain(self.c.summary).map(|t| {
            let mut line = String::with_capacity(t.len());
            html::collapse_into(&mut line, &t, html::Lines::Joined);
            line
        });
        let description = plain(self.c.description);
        if title.is_none() && description.is_none() {
            return BTreeMap::new();
        }
        BTreeMap::from([(en.clone(), LocalizedText { title, description })])
    }
}
