//! Maps one REAXML listing element to the canonical [`Listing`], or to [`FeedItem::Gone`]
//! when its `status` says it left the market.
//!
//! The external id is `agentID:uniqueID`: the specification makes `uniqueID` unique among one
//! agent's listings only, and a feed (a CRM's export) may carry several agents. Both are
//! required, also on a withdrawn listing. A status other than `current`, `sold`, `leased`,
//! `withdrawn`, `offmarket` or `deleted` fails the listing at `map`; a listing without one is
//! current. A value that cannot be read as its type fails at `map`; one the domain rejects
//! (an id too long, coordinates off Earth) at `validate`. `<vendorDetails>` is private to the
//! agent and is never read. FORMAT.md has the table of every field.

use std::collections::BTreeMap;

use propimport_domain::{Contact, ExternalId, LanguageCode, Listing, MarketStatus};

use super::details::{self, count, flag};
use super::values::{Context, Failure, Mapped, Status, map_err};
use super::{date, media, price};
use crate::formats::xml::tree::Node;
use crate::formats::{FeedItem, RecordError};

fn status(text: Option<&str>) -> Mapped<Status> {
    let Some(text) = text else {
        return Ok(Status::Current);
    };
    match text.to_ascii_lowercase().as_str() {
        "current" => Ok(Status::Current),
        "sold" => Ok(Status::Sold),
        "leased" => Ok(Status::Leased),
        "withdrawn" | "offmarket" | "off market" | "deleted" => Ok(Status::Gone),
        _ => Err(map_err(format!(
            "status: {text:?} is not current, sold, leased, withdrawn or offmarket"
        ))),
    }
}

/// What one listing element stands for.
enum Outcome {
    Listing(Box<Listing>),
    Gone(ExternalId),
}

/// Maps the `number`th listing (1-based) of the feed; `raw` is its bytes, kept with it.
pub(super) fn map(l: Node<'_>, number: u64, context: &Context, raw: Vec<u8>) -> FeedItem {
    match outcome(l, context) {
        Ok(Outcome::Listing(listing)) => FeedItem::Listing(*listing, Some(raw)),
        Ok(Outcome::Gone(id)) => FeedItem::Gone(id),
        Err(f) => {
            let external_id = match (l.value_of("agentid"), l.value_of("uniqueid")) {
                (Some(agent), Some(unique)) => Some(format!("{agent}:{unique}")),
                (None, unique) => unique.map(str::to_owned),
                (Some(_), None) => None,
            };
            FeedItem::Failed(RecordError {
                external_id,
                stage: f.stage,
                message: format!("{} listing {number}: {}", l.name(), f.message),
            })
        }
    }
}

fn outcome(l: Node<'_>, context: &Context) -> Mapped<Outcome> {
    let status_text = l.attr("status");
    let status = status(status_text)?;
    let unique = l.value_of("uniqueid");
    let agent = l.value_of("agentid");
    let missing: Vec<&str> = [("uniqueID", unique), ("agentID", agent)]
        .into_iter()
        .filter_map(|(name, value)| value.is_none().then_some(name))
        .collect();
    let (Some(unique), Some(agent)) = (unique, agent) else {
        let s = if missing.len() == 1 { "" } else { "s" };
        return Err(map_err(format!(
            "missing required field{s} {}",
            missing.join(", ")
        )));
    };
    let external_id =
        ExternalId::parse(&format!("{agent}:{unique}")).map_err(|e| Failure::rejected(&e))?;
    if status == Status::Gone {
        return Ok(Outcome::Gone(external_id));
    }
    let modified = match l.attr("modtime") {
        Some(text) => Some(date::parse(text).ok_or_else(|| {
            map_err(format!(
                "modTime: {text:?} is not a time (expected YYYY-MM-DD-hh:mm:ss)"
            ))
        })?),
        None => None,
    };
    let kind = l.name();
    let priced = price::priced(l, kind, status, context.currency)?;
    let market = match status {
        Status::Sold => MarketStatus::Sold,
        Status::Leased => MarketStatus::Let,
        Status::Current | Status::Gone if flag(l.child("underoffer")) == Some(true) => {
            MarketStatus::Pending
        }
        Status::Current | Status::Gone => MarketStatus::Active,
    };
    let f = l.child("features");
    let garages = count(f, "garages", "features/garages")?;
    let carports = count(f, "carports", "features/carports")?;
    let open_spaces = count(f, "openspaces", "features/openSpaces")?;
    let car_spaces = count(Some(l), "carspaces", "carSpaces")?;
    let parking = [garages, carports, open_spaces]
        .into_iter()
        .flatten()
        .reduce(u16::saturating_add)
        .or(car_spaces);
    let pools = [
        flag(f.and_then(|f| f.child("poolinground"))),
        flag(f.and_then(|f| f.child("poolaboveground"))),
        flag(l.child("pool")),
    ];
    let pool = pools.iter().flatten().copied().reduce(|a, b| a || b);
    let lot_size = details::area(
        l.child("landdetails").and_then(|d| d.child("area")),
        "landDetails/area",
    )?;
    let building = details::area(
        l.child("buildingdetails").and_then(|d| d.child("area")),
        "buildingDetails/area",
    )?;
    let (features, mut amenities) = details::features(l);
    let mut source_info = |group: &str, value: Option<&str>| {
        if let Some(value) = value {
            let value = details::collapse(value);
            amenities.entry(group.to_owned()).or_default().push(value);
        }
    };
    source_info(
        "authority",
        l.child("authority").and_then(|a| a.attr("value")),
    );
    source_info("price view", l.value_of("priceview"));
    source_info("date available", l.value_of("dateavailable"));
    let (images, floor_plans) = media::images(l, context);
    let en = LanguageCode::parse("en").map_err(|e| Failure::rejected(&e))?;
    let mut texts = BTreeMap::new();
    if let Some(text) = details::text(l) {
        texts.insert(en.clone(), text);
    }
    let mut urls = BTreeMap::new();
    if let Some(link) = media::external_link(l) {
        urls.insert(en, link);
    }
    let year_built = l.value_of("yearbuilt").or_else(|| {
        l.child("buildingdetails")
            .and_then(|b| b.value_of("yearbuilt"))
    });
    let year_built = year_built
        .map(|y| {
            y.parse::<u16>()
                .map_err(|_| map_err(format!("yearBuilt: {y:?} is not a year")))
        })
        .transpose()?;
    let charges = price::charges(l, context.currency);
    let listing = Listing {
        reference: Some(unique.to_owned()),
        status: market,
        source_status: Some(status_text.unwrap_or("current").to_ascii_lowercase()),
        original_price: priced.original_price,
        charges,
        property_type: details::property_type(l, kind),
        bedrooms: count(f, "bedrooms", "features/bedrooms")?,
        bathrooms: count(f, "bathrooms", "features/bathrooms")?,
        built_area_m2: building.and_then(|a| a.whole_square_metres()),
        plot_area_m2: lot_size.and_then(|a| a.whole_square_metres()),
        lot_size,
        year_built,
        parking_spaces: parking,
        garage_spaces: garages,
        address: details::address(l)?,
        texts,
        features,
        amenities,
        images,
        floor_plans,
        virtual_tours: media::videos(l),
        urls,
        pool,
        new_build: flag(l.child("newconstruction")),
        agent: details::agent(l),
        office: Some(Contact {
            id: Some(agent.to_owned()),
            ..Contact::default()
        }),
        source_modified_at: modified,
        ..Listing::new(external_id, priced.transaction, priced.price)
    };
    Ok(Outcome::Listing(Box::new(listing)))
}
