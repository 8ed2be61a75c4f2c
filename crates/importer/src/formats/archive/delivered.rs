//! The attachments of one archive delivery, by name: what a reader's
//! [`Attachments::resolve`] answers for the file names its records give.

use std::collections::HashMap;

use super::entries::safe_name;
use crate::formats::Attachments;

/// The stored files of a delivery: their names in the archive and the URLs they were stored
/// under.
#[derive(Debug, Default)]
pub struct Delivered {
    /// The document's folder in the archive (`""` at its top): names in the document are
    /// relative to it.
    folder: String,
    /// Safe name -> URL.
    urls: HashMap<String, String>,
    /// Lower-case safe name -> URL, for exports that change a file name's case.
    folded: HashMap<String, String>,
}

impl Delivered {
    /// No files yet, for a document in `folder`.
    pub fn new(folder: String) -> Self {
        Self {
            folder,
            ..Self::default()
        }
    }

    /// A file of the archive, stored under `url`.
    pub fn insert(&mut self, name: String, url: String) {
        self.folded.insert(name.to_lowercase(), url.clone());
        self.urls.insert(name, url);
    }

    /// How many files are known.
    pub fn len(&self) -> usize {
        self.urls.len()
    }

    /// Whether no file is known.
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }
}

impl Attachments for Delivered {
    fn resolve(&self, name: &str) -> Option<String> {
        let name = safe_name(name.trim())?;
        let beside = if self.folder.is_empty() {
            name.clone()
        } else {
            format!("{}/{name}", self.folder)
        };
        [&beside, &name]
            .into_iter()
            .find_map(|n| self.urls.get(n.as_str()))
            .or_else(|| {
                [&beside, &name]
                    .into_iter()
                    .find_map(|n| self.folded.get(&n.to_lowercase()))
            })
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_beside_the_document_then_from_the_top() {
        let mut d = Delivered::new("feed".into());
        d.insert("feed/bild1.jpg".into(), "u1".into());
        d.insert("top.jpg".into(), "u2".into());
        assert_eq!(d.resolve("bild1.jpg").as_deref(), Some("u1"));
        assert_eq!(d.resolve("./BILD1.JPG").as_deref(), Some("u1"));
        assert_eq!(d.resolve("top.jpg").as_deref(), Some("u2"));
        assert_eq!(d.resolve("../feed/bild1.jpg"), None);
        assert_eq!(d.resolve("missing.jpg"), None);
        assert_eq!(d.len(), 2);
    }
}
