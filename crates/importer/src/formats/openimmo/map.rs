//! Maps one `<immobilie>` to the canonical [`Listing`] (see `FORMAT.md`, section OpenImmo, for
//! the table), or to [`FeedItem::Gone`] when its `verwaltung_techn/aktion` says `DELETE`.
//!
//! Required: an id (`verwaltung_techn/objektnr_extern`, else `openimmo_obid`), and a price
//! (`preise/kaufpreis` for a sale unless `auf_anfrage`, a rent for a let). A value that cannot
//! be read as its type fails the record at `map`; a value the domain rejects fails at
//! `validate`; both name the record and the field.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use propimport_domain::{
    Charge, ChargeKind, Contact, Currency, ExternalId, LanguageCode, Listing, LocalizedText,
    MarketStatus, Money, Period, Price, Transaction,
};

use super::details;
use super::values::{Failure, Mapped, bad, collapse, decimal, is_true, rejected};
use crate::formats::xml::tree::Node;
use crate::formats::{FeedItem, ReadOptions, RecordError, html};

/// What a record needs from around it: the transfer's language and its `<anbieter>` header.
#[derive(Debug, Default)]
pub(super) struct Context {
    /// `uebertragung/@sprache`, when given.
    pub transfer_language: Option<String>,
    /// The header elements of the current `<anbieter>`, as written (bounded).
    header_raw: Vec<u8>,
    /// The office: `firma`, `anbieternr` (else `openimmo_anid`).
    firma: Option<String>,
    anbieternr: Option<String>,
    anid: Option<String>,
}

impl Context {
    /// A new `<anbieter>` starts.
    pub fn clear_header(&mut self) {
        self.header_raw.clear();
        self.firma = None;
        self.anbieternr = None;
        self.anid = None;
    }

    /// A header element of the `<anbieter>` (kept while the header is under `max` bytes).
    pub fn add_header(&mut self, root: Node<'_>, raw: &[u8], max: usize) {
        let value = root.value().map(collapse);
        match root.name() {
            "firma" => self.firma = value,
            "anbieternr" => self.anbieternr = value,
            "openimmo_anid" => self.anid = value,
            _ => {}
        }
        if self.header_raw.len() + raw.len() <= max {
            self.header_raw.extend_from_slice(raw);
        }
    }
}

/// Maps the `number`th record (1-based); `raw` is the record as written.
pub(super) fn map(
    p: Node<'_>,
    number: u64,
    context: &Context,
    options: &ReadOptions,
    raw: &[u8],
) -> FeedItem {
    let id_text = p
        .value_at("verwaltung_techn/objektnr_extern")
        .or_else(|| p.value_at("verwaltung_techn/openimmo_obid"));
    let fail = |f: Failure| {
        FeedItem::Failed(RecordError {
            external_id: id_text.map(str::to_owned),
            stage: f.stage,
            message: format!("immobilie {number}: {}", f.message),
        })
    };
    let Some(id_text) = id_text else {
        return fail(bad(
            "verwaltung_techn",
            "no objektnr_extern nor openimmo_obid to identify the listing",
        ));
    };
    let external_id = match ExternalId::parse(id_text) {
        Ok(id) => id,
        Err(e) => return fail(rejected("verwaltung_techn/objektnr_extern", &e)),
    };
    let action = p
        .at("verwaltung_techn/aktion")
        .and_then(|a| a.attr("aktionart"));
    if action.is_some_and(|a| a.eq_ignore_ascii_case("DELETE")) {
        return FeedItem::Gone(external_id);
    }
    match listing(p, external_id, context, options, action) {
        Ok(listing) => FeedItem::Listing(listing, Some(record(context, raw))),
        Err(f) => fail(f),
    }
}

/// The record as kept: a one-`<anbieter>` fragment with the transfer's language, its header
/// and the `<immobilie>` (see `single_record_document`).
fn record(context: &Context, raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + context.header_raw.len() + 96);
    out.extend_from_slice(b"<uebertragung umfang=\"TEIL\"");
    if let Some(language) = &context.transfer_language {
        out.extend_from_slice(b" sprache=\"");
        out.extend_from_slice(quick_xml::escape::escape(language.as_str()).as_bytes());
        out.push(b'"');
    }
    out.extend_from_slice(b"/><anbieter>");
    out.extend_from_slice(&context.header_raw);
    out.extend_from_slice(raw);
    out.extend_from_slice(b"</anbieter>");
    out
}

fn listing(
    p: Node<'_>,
    external_id: ExternalId,
    context: &Context,
    options: &ReadOptions,
    action: Option<&str>,
) -> Mapped<Listing> {
    let currency = match p.at("preise/waehrung").and_then(|w| w.attr("iso_waehrung")) {
        Some(code) => Currency::parse(code).map_err(|e| rejected("preise/waehrung", &e))?,
        None => options.currency,
    };
    let transaction = transaction(p)?;
    let price = price(p, transaction, currency)?;
    let language = language(p, context);
    let mut listing = Listing::new(external_id, transaction, price);
    listing.reference = p.value_at("verwaltung_techn/objektnr_intern").map(collapse);
    if action.is_some_and(|a| a.eq_ignore_ascii_case("REFERENZ")) {
        listing.status = match transaction {
            Transaction::Sale => MarketStatus::Sold,
            _ => MarketStatus::Let,
        };
        listing.source_status = Some("REFERENZ".into());
    }
    listing.charges = charges(p, currency)?;
    details::fill(p, &mut listing)?;
    listing.texts = texts(p, language.clone());
    let (images, floor_plans) = details::attachments(p, language.as_ref(), options);
    listing.images = images;
    listing.floor_plans = floor_plans;
    listing.agent = agent(p);
    listing.office = office(context);
    listing.source_modified_at = p
        .value_at("verwaltung_techn/stand_vom")
        .map(|t| {
            date(t).ok_or_else(|| bad("verwaltung_techn/stand_vom", format!("{t:?} is not a date")))
        })
        .transpose()?;
    Ok(listing)
}

fn transaction(p: Node<'_>) -> Mapped<Transaction> {
    let kind = p.at("objektkategorie/vermarktungsart");
    let flag = |name: &str| kind.and_then(|k| k.attr(name)).is_some_and(is_true);
    if flag("kauf") {
        return Ok(Transaction::Sale);
    }
    if flag("miete_pacht") || flag("erbpacht") || flag("leasing") {
        return Ok(Transaction::RentMonthly);
    }
    // No marketing type: the price given says it.
    if p.at("preise/kaufpreis").is_some() {
        return Ok(Transaction::Sale);
    }
    if ["kaltmiete", "nettokaltmiete", "warmmiete"]
        .iter()
        .any(|n| p.at("preise").and_then(|x| x.child(n)).is_some())
    {
        return Ok(Transaction::RentMonthly);
    }
    Err(bad(
        "objektkategorie/vermarktungsart",
        "neither KAUF nor MIETE_PACHT is true, and no price says which",
    ))
}

fn price(p: Node<'_>, transaction: Transaction, currency: Currency) -> Mapped<Price> {
    if transaction == Transaction::Sale {
        let node = p.at("preise/kaufpreis");
        if node
            .and_then(|n| n.attr("auf_anfrage"))
            .is_some_and(is_true)
        {
            return Ok(Price::OnRequest);
        }
        return match node.and_then(Node::value) {
            Some(text) => {
                amount("preise/kaufpreis", text, currency).map(|amount| Price::Amount { amount })
            }
            None => Err(bad("preise/kaufpreis", "missing (and not auf_anfrage)")),
        };
    }
    for name in ["kaltmiete", "nettokaltmiete", "warmmiete"] {
        let path = format!("preise/{name}");
        if let Some(text) = p.value_at(&path) {
            return amount(&path, text, currency).map(|amount| Price::Amount { amount });
        }
    }
    let on_request = p
        .at("preise/kaufpreis")
        .and_then(|n| n.attr("auf_anfrage"))
        .is_some_and(is_true)
        || p.value_at("preise/preis_auf_anfrage").is_some_and(is_true);
    if on_request {
        return Ok(Price::OnRequest);
    }
    Err(bad(
        "preise",
        "no kaltmiete, nettokaltmiete nor warmmiete for a rent",
    ))
}

/// An `xsd:decimal` amount (`450000.00`; more decimals are rounded to cents; a decimal comma
/// is accepted when there is no point).
pub(super) fn amount(field: &str, text: &str, currency: Currency) -> Mapped<Money> {
    let value = decimal(text).ok_or_else(|| bad(field, format!("{text:?} is not an amount")))?;
    if value < 0.0 {
        return Err(bad(field, format!("{text:?} is negative")));
    }
    let cents = (value * 100.0).round();
    if cents > 9e15 {
        return Err(bad(field, format!("{text:?} is too large")));
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "checked to be within i64 first"
    )]
    Money::from_minor(cents as i64, currency).map_err(|e| rejected(field, &e))
}

fn charges(p: Node<'_>, currency: Currency) -> Mapped<Vec<Charge>> {
    let mut out = Vec::new();
    for (name, kind, period) in [
        ("nebenkosten", ChargeKind::Utilities, Period::Monthly),
        ("hausgeld", ChargeKind::Association, Period::Monthly),
        ("kaution", ChargeKind::Deposit, Period::Once),
    ] {
        let path = format!("preise/{name}");
        let Some(text) = p.value_at(&path) else {
            continue;
        };
        // A deposit is often written as a text ("3 Kaltmieten"): kept as a label only when
        // it is not an amount is not possible, so such a value is left out.
        let Some(_) = decimal(text) else {
            if kind == ChargeKind::Deposit {
                continue;
            }
            return Err(bad(&path, format!("{text:?} is not an amount")));
        };
        out.push(Charge {
            kind,
            amount: amount(&path, text, currency)?,
            period,
            label: Some(name.to_owned()),
            year: None,
        });
    }
    Ok(out)
}

/// The record's language: `verwaltung_techn/sprache`, else the transfer's, else German.
fn language(p: Node<'_>, context: &Context) -> Option<LanguageCode> {
    [
        p.value_at("verwaltung_techn/sprache"),
        context.transfer_language.as_deref(),
    ]
    .into_iter()
    .flatten()
    .find_map(|t| {
        let t = t.trim().to_ascii_lowercase();
        LanguageCode::parse(&t)
            .or_else(|_| LanguageCode::parse(t.get(..2).unwrap_or_default()))
            .ok()
    })
    .or_else(|| LanguageCode::parse("de").ok())
}

fn texts(p: Node<'_>, language: Option<LanguageCode>) -> BTreeMap<LanguageCode, LocalizedText> {
    let (Some(f), Some(language)) = (p.child("freitexte"), language) else {
        return BTreeMap::new();
    };
    let title = f.value_at("objekttitel").map(collapse);
    let parts: Vec<String> = [
        "objektbeschreibung",
        "lage",
        "ausstatt_beschreibung",
        "sonstige_angaben",
    ]
    .iter()
    .filter_map(|n| f.value_at(n))
    .map(html::plain_text)
    .filter(|t| !t.is_empty())
    .collect();
    let description = (!parts.is_empty()).then(|| parts.join("\n\n"));
    if title.is_none() && description.is_none() {
        return BTreeMap::new();
    }
    BTreeMap::from([(language, LocalizedText { title, description })])
}

fn agent(p: Node<'_>) -> Option<Contact> {
    let k = p.child("kontaktperson")?;
    let name = [k.value_at("vorname"), k.value_at("name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let contact = Contact {
        id: k.value_at("personennummer").map(collapse),
        name: Some(collapse(&name)).filter(|n| !n.is_empty()),
        email: k
            .value_at("email_direkt")
            .or_else(|| k.value_at("email_zentrale"))
            .map(collapse),
        phone: ["tel_durchw", "tel_handy", "tel_zentrale"]
            .iter()
            .find_map(|n| k.value_at(n))
            .map(collapse),
    };
    (!contact.is_empty()).then_some(contact)
}

fn office(context: &Context) -> Option<Contact> {
    let contact = Contact {
        id: context.anbieternr.clone().or_else(|| context.anid.clone()),
        name: context.firma.clone(),
        ..Contact::default()
    };
    (!contact.is_empty()).then_some(contact)
}

/// A date or date-time as OpenImmo writes it (`2024-05-01`, `2024-05-01T12:00:00`, RFC 3339);
/// a time without a zone is taken as UTC.
pub(super) fn date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        ["%Y-%m-%d", "%d.%m.%Y"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
    .map(|at| at.and_utc())
}
