//! A REAXML listing's media: `<objects>` (or the older `<images>`) holding `<img>` photos and
//! `<floorplan>` plans, `<videoLink>` and `<externalLink>`.
//!
//! Photos are ordered by their `id`: `m` (the main photo) first, then `a` to `z`, then any
//! other id in document order. A photo's URL is its `url` attribute, or for a file delivered
//! with the feed (`file`) the URL the delivery's attachments give it; an `<img>` with neither
//! (an incremental feed's way of removing a photo) is skipped.
//!
//! An image's `modTime` is part of its identity: a photo replaced under the same URL must be
//! downloaded again, and the image stage downloads a URL once. So the URL is kept with the
//! time as a fragment (`…/1.jpg#modTime=2009-01-01T12:30:00Z`): HTTP never sends a fragment,
//! so the download is the same, but a new time is a new URL for the image store (downloaded
//! again, the old copy deleted) and changes the listing's hash. A URL that already has a
//! fragment, or a `modTime` that cannot be read, is kept as it is.

use chrono::SecondsFormat;
use propimport_domain::Image;

use super::date;
use super::values::Context;
use crate::formats::xml::tree::Node;

/// Photos kept per listing; more are dropped.
const MAX_IMAGES: usize = 100;

/// The listing's photos and floor plans, in display order.
pub(super) fn images(l: Node<'_>, context: &Context) -> (Vec<Image>, Vec<Image>) {
    let mut photos: Vec<(usize, Image)> = Vec::new();
    let mut plans: Vec<(u64, Image)> = Vec::new();
    for container in l
        .children()
        .filter(|c| matches!(c.name(), "objects" | "images"))
    {
        for object in container.children() {
            let Some(url) = url(object, context) else {
                continue;
            };
            match object.name() {
                "img" => photos.push((photo_order(object.attr("id")), Image::new(url))),
                "floorplan" => {
                    let order = object.attr("id").and_then(|id| id.parse().ok());
                    plans.push((order.unwrap_or(u64::MAX), Image::new(url)));
                }
                _ => {}
            }
        }
    }
    // Stable sorts: equal keys keep document order.
    photos.sort_by_key(|(order, _)| *order);
    plans.sort_by_key(|(order, _)| *order);
    let photos = photos
        .into_iter()
        .map(|(_, image)| image)
        .take(MAX_IMAGES)
        .collect();
    let plans = plans
        .into_iter()
        .map(|(_, image)| image)
        .take(MAX_IMAGES)
        .collect();
    (photos, plans)
}

/// `m` first, then `a`..`z` (case-insensitive), then anything else.
fn photo_order(id: Option<&str>) -> usize {
    match id.map(str::as_bytes) {
        Some([b'm' | b'M']) => 0,
        Some([c]) if c.is_ascii_alphabetic() => 1 + usize::from(c.to_ascii_lowercase() - b'a'),
        _ => 100,
    }
}

/// The object's URL with its `modTime`, when it has one.
fn url(object: Node<'_>, context: &Context) -> Option<String> {
    let url = match object.attr("url") {
        Some(url) => url.to_owned(),
        None => {
            let file = object.attr("file")?;
            context.attachments.as_ref()?.resolve(file)?
        }
    };
    let stamp = object.attr("modtime").and_then(date::parse);
    Some(match stamp {
        Some(at) if !url.contains('#') => {
            let mut marked = String::with_capacity(url.len() + 30);
            marked.push_str(&url);
            marked.push_str("#modTime=");
            marked.push_str(&at.to_rfc3339_opts(SecondsFormat::Secs, true));
            marked
        }
        _ => url,
    })
}

/// Video links (`<videoLink href>`), in document order.
pub(super) fn videos(l: Node<'_>) -> Vec<String> {
    l.all("videolink")
        .filter_map(|v| v.attr("href").or_else(|| v.value()))
        .map(str::to_owned)
        .collect()
}

/// The first `<externalLink href>`: the listing's page elsewhere.
pub(super) fn external_link(l: Node<'_>) -> Option<String> {
    l.all("externallink")
        .find_map(|v| v.attr("href").or_else(|| v.value()))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_main_photo_comes_first() {
        let mut ids = vec![Some("b"), Some("m"), None, Some("A"), Some("10")];
        ids.sort_by_key(|id| photo_order(*id));
        assert_eq!(ids, vec![Some("m"), Some("A"), Some("b"), None, Some("10")]);
    }
}
