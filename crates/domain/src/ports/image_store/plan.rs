//! How a listing's recorded images are made to match its current URLs, computed once here so
//! that every store decides identically.

use std::collections::{HashMap, HashSet};

use super::types::{ImageStatus, ImageSyncReport, ImageUrl};

/// A recorded image, as the sync plan needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedImage {
    /// Its URL.
    pub url: ImageUrl,
    /// Its recorded position.
    pub position: u32,
    /// Its status.
    pub status: ImageStatus,
    /// The object key of its bytes, when stored.
    pub stored_key: Option<String>,
}

/// The changes that make one listing's recorded images match its URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageSyncPlan {
    /// New URLs to record as pending, with their positions.
    pub insert: Vec<(ImageUrl, u32)>,
    /// Recorded URLs whose position changed, with the new position.
    pub reposition: Vec<(ImageUrl, u32)>,
    /// Recorded URLs to drop.
    pub remove: Vec<ImageUrl>,
    /// What the changes amount to.
    pub report: ImageSyncReport,
}

/// Plans the sync of one listing: URLs are taken in order, a repeated URL counts once (at its
/// first place) and positions count from 0 over the distinct URLs; recorded URLs that stay keep
/// their status and stored bytes; recorded URLs that are gone are dropped, and their object
/// keys are released unless a remaining image of the listing has the same key.
pub fn plan_image_sync(recorded: &[RecordedImage], urls: &[ImageUrl]) -> ImageSyncPlan {
    let mut seen = HashSet::new();
    let wanted: Vec<&ImageUrl> = urls.iter().filter(|u| seen.insert(*u)).collect();
    let by_url: HashMap<&ImageUrl, &RecordedImage> = recorded.iter().map(|r| (&r.url, r)).collect();
    let mut plan = ImageSyncPlan::default();
    let mut kept_keys = HashSet::new();
    for (index, url) in wanted.iter().enumerate() {
        let position = u32::try_from(index).unwrap_or(u32::MAX);
        match by_url.get(url) {
            Some(r) => {
                plan.report.kept += 1;
                if r.status == ImageStatus::Stored {
                    plan.report.kept_stored += 1;
                }
                if let Some(key) = &r.stored_key {
                    kept_keys.insert(key.as_str());
                }
                if r.position != position {
                    plan.reposition.push(((*url).clone(), position));
                }
            }
            None => {
                plan.report.added += 1;
                plan.insert.push(((*url).clone(), position));
            }
        }
    }
    let mut released = HashSet::new();
    for r in recorded {
        if seen.contains(&r.url) {
            continue;
        }
        plan.report.removed += 1;
        plan.remove.push(r.url.clone());
        if let Some(key) = &r.stored_key
            && !kept_keys.contains(key.as_str())
            && released.insert(key.as_str())
        {
            plan.report.released_keys.push(key.clone());
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(n: u32) -> ImageUrl {
        ImageUrl::parse(&format!("https://img.example/{n}.jpg")).unwrap()
    }

    fn recorded(n: u32, position: u32, key: Option<&str>) -> RecordedImage {
        RecordedImage {
            url: url(n),
            position,
            status: if key.is_some() {
                ImageStatus::Stored
            } else {
                ImageStatus::Pending
            },
            stored_key: key.map(str::to_owned),
        }
    }

    #[test]
    fn new_kept_moved_and_removed() {
        let before = [
            recorded(1, 0, Some("k1")),
            recorded(2, 1, None),
            recorded(3, 2, Some("k3")),
        ];
        let plan = plan_image_sync(&before, &[url(2), url(4), url(1), url(2)]);
        assert_eq!(plan.insert, vec![(url(4), 1)]);
        assert_eq!(plan.reposition, vec![(url(2), 0), (url(1), 2)]);
        assert_eq!(plan.remove, vec![url(3)]);
        assert_eq!(
            plan.report,
            ImageSyncReport {
                added: 1,
                kept: 2,
                kept_stored: 1,
                removed: 1,
                released_keys: vec!["k3".into()],
            }
        );
    }

    #[test]
    fn a_key_still_used_is_not_released() {
        let before = [recorded(1, 0, Some("same")), recorded(2, 1, Some("same"))];
        let plan = plan_image_sync(&before, &[url(2)]);
        assert_eq!(plan.remove, vec![url(1)]);
        assert!(plan.report.released_keys.is_empty());
        let all_gone = plan_image_sync(&before, &[]);
        assert_eq!(all_gone.report.released_keys, vec!["same".to_owned()]);
        assert_eq!(all_gone.report.removed, 2);
    }

    #[test]
    fn urls_are_checked() {
        assert_eq!(
            ImageUrl::parse(" https://a.example/x.jpg ")
                .unwrap()
                .as_str(),
            "https://a.example/x.jpg",
            "trimmed"
        );
        assert_eq!(
            ImageUrl::parse("HTTP://a.example/x.jpg").unwrap().as_str(),
            "HTTP://a.example/x.jpg"
        );
        assert!(ImageUrl::parse("file:///etc/passwd").is_err());
        assert!(ImageUrl::parse("https://a.example/x y.jpg").is_err());
        assert!(ImageUrl::parse("").is_err());
        let long = format!("https://a.example/{}", "x".repeat(ImageUrl::MAX_LEN));
        assert!(ImageUrl::parse(&long).is_err());
    }
}
