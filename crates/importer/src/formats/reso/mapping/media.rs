//! The photos of a record's `Media`, in display order.

use serde_json::Value;

use super::{Result, unreadable};
use crate::formats::reso::values::{Record, decimal, given, letters, text};

/// Photo URLs of `Media` ordered by `Order` (a number or a numeric string; items without one
/// last, in their given order). Items whose `MediaCategory` is not a photo, and items
/// without a `MediaURL`, are skipped.
pub(super) fn images(r: &Record) -> Result<Vec<String>> {
    let items = match given(r, "Media") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(unreadable("Media: is not an array".into())),
    };
    let mut photos: Vec<(Option<f64>, String)> = items
        .iter()
        .filter_map(Value::as_object)
        .filter(|item| {
            text(item, "MediaCategory")
                .ok()
                .flatten()
                .is_none_or(|category| {
                    matches!(
                        letters(&category).as_str(),
                        "photo" | "photos" | "image" | "images"
                    )
                })
        })
        .filter_map(|item| {
            let url = text(item, "MediaURL").ok().flatten()?;
            let order = decimal(item, "Order").ok().flatten();
            Some((order, url))
        })
        .collect();
    photos.sort_by(|(a, _), (b, _)| match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(b),
        (a, b) => a.is_none().cmp(&b.is_none()),
    });
    Ok(photos.into_iter().map(|(_, url)| url).collect())
}
