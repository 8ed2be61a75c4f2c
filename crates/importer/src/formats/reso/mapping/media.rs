//! The record's `Media`: photos in display order with their captions, floor plans; and its
//! virtual tour.

use std::collections::BTreeMap;

use propimport_domain::{Image, LanguageCode};
use serde_json::Value;

use super::soft;
use crate::formats::reso::values::{Record, decimal, given, letters, text};

/// Photos and floor plans, each in display order.
#[derive(Debug, Default)]
pub(super) struct Media {
    pub photos: Vec<Image>,
    pub floor_plans: Vec<Image>,
}

/// What a `MediaCategory` makes of an item.
#[derive(PartialEq)]
enum Kind {
    Photo,
    FloorPlan,
}

/// `Media` items ordered by `Order` (a number or a numeric string; items without one last,
/// in their given order). Items without a `MediaURL` are skipped; `MediaCategory` `Floor
/// Plan` makes a floor plan, none or `Photo`/`Image` a photo, any other (documents, videos)
/// is skipped. `LongDescription`, else `ShortDescription`, is the English caption. A `Media`
/// that is not an array is left out.
pub(super) fn media(r: &Record) -> Media {
    let items = match given(r, "Media") {
        Some(Value::Array(items)) => items,
        None => return Media::default(),
        Some(_) => {
            tracing::debug!("RESO Media that is not an array left out");
            return Media::default();
        }
    };
    let english = LanguageCode::parse("en").ok();
    let mut found: Vec<(Option<f64>, Kind, Image)> = items
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|item| {
            let kind = match soft(text(item, "MediaCategory"))
                .map(|c| letters(&c))
                .as_deref()
            {
                None | Some("photo" | "photos" | "image" | "images") => Kind::Photo,
                Some("floorplan" | "floorplans") => Kind::FloorPlan,
                Some(_) => return None,
            };
            let url = soft(text(item, "MediaURL"))?;
            let order = soft(decimal(item, "Order"));
            let caption = soft(text(item, "LongDescription"))
                .or_else(|| soft(text(item, "ShortDescription")));
            let captions: BTreeMap<LanguageCode, String> =
                english.clone().zip(caption).into_iter().collect();
            Some((order, kind, Image { url, captions }))
        })
        .collect();
    found.sort_by(|(a, ..), (b, ..)| match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(b),
        (a, b) => a.is_none().cmp(&b.is_none()),
    });
    let mut media = Media::default();
    for (_, kind, image) in found {
        match kind {
            Kind::Photo => media.photos.push(image),
            Kind::FloorPlan => media.floor_plans.push(image),
        }
    }
    media
}

/// `VirtualTourURLUnbranded` when it is an http(s) URL. The branded tour is not taken: MLS
/// display rules allow only unbranded tours on sites other than the listing broker's.
pub(super) fn virtual_tours(r: &Record) -> Vec<String> {
    soft(text(r, "VirtualTourURLUnbranded"))
        .filter(|url| {
            let lower = url.to_ascii_lowercase();
            lower.starts_with("https://") || lower.starts_with("http://")
        })
        .into_iter()
        .collect()
}
