//! Media fields: a URL, or the name of a file delivered with the feed (in the same ZIP),
//! resolved through [`Attachments`]. A file that cannot be resolved is dropped (its record
//! still maps) and counted, and the document logs one warning naming the first one.

use std::collections::BTreeMap;

use propimport_domain::{Image, LanguageCode};

use super::columns::Media;
use super::text::Fields;
use crate::formats::Attachments;

/// The files named by media fields that could not be resolved in one document.
#[derive(Debug, Default)]
pub(super) struct Unresolved {
    /// How many.
    pub count: u64,
    /// The first one, with its record's `AGENT_REF`.
    pub first: Option<(String, String)>,
}

impl Unresolved {
    /// Logs the count, once the document has been read.
    pub fn report(&self) {
        if let Some((file, agent_ref)) = &self.first {
            tracing::warn!(
                count = self.count,
                first = %file,
                agent_ref = %agent_ref,
                "BLM media files named by the feed were not delivered with it; they were dropped"
            );
        }
    }
}

/// Resolves media values for one document.
pub(super) struct Resolver<'a> {
    /// The files delivered with the feed.
    pub attachments: Option<&'a dyn Attachments>,
    /// What could not be resolved.
    pub unresolved: &'a mut Unresolved,
    /// The record's `AGENT_REF`, for the warning.
    pub agent_ref: &'a str,
}

impl Resolver<'_> {
    /// The URL of a media value: an `http(s)` URL as it is (a `www.` address gets
    /// `https://`), else the delivered file of that name.
    pub fn url(&mut self, value: &str) -> Option<String> {
        let lower = value.get(..8).unwrap_or(value).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Some(value.to_owned());
        }
        if lower.starts_with("www.") {
            return Some(format!("https://{value}"));
        }
        let found = self.attachments.and_then(|a| a.resolve(value));
        if found.is_none() {
            self.unresolved.count += 1;
            if self.unresolved.first.is_none() {
                self.unresolved.first = Some((value.to_owned(), self.agent_ref.to_owned()));
            }
        }
        found
    }

    /// The images of `media` fields, in number order, with their captions in `language`.
    pub fn images(&mut self, f: &Fields, media: &[Media], language: &LanguageCode) -> Vec<Image> {
        let mut images = Vec::new();
        for m in media {
            let Some(value) = f.get(Some(m.value)) else {
                continue;
            };
            let Some(url) = self.url(&value) else {
                continue;
            };
            let captions = f
                .get(m.caption)
                .map(|c| BTreeMap::from([(language.clone(), c.into_owned())]))
                .unwrap_or_default();
            images.push(Image { url, captions });
        }
        images
    }

    /// The URLs of `media` fields, in number order.
    pub fn urls(&mut self, f: &Fields, media: &[Media]) -> Vec<String> {
        media
            .iter()
            .filter_map(|m| f.get(Some(m.value)))
            .filter_map(|value| self.url(&value))
            .collect()
    }
}
