//! Which local files a source added or changed through the API or the command line may read
//! as its feed: only those inside `IMPORT_FILE_FEEDS_DIR`.

use propimport_http_api::SourceRefusal;

use super::Catalog;

impl Catalog {
    /// Refuses a local file as the feed of a source added or changed here (the API, the
    /// command line) unless it lies in `IMPORT_FILE_FEEDS_DIR`: an admin token must not read
    /// the service's own files. A URL left as it was stored passes.
    pub(super) fn check_location(
        &self,
        url: &str,
        stored: Option<&str>,
    ) -> Result<(), SourceRefusal> {
        if stored == Some(url) {
            return Ok(());
        }
        let Ok(propimport_importer::Location::File(path)) =
            propimport_importer::Location::parse(url)
        else {
            return Ok(());
        };
        let inside = self
            .file_feeds_dir
            .as_deref()
            .is_some_and(|dir| within(dir, &path));
        if inside {
            return Ok(());
        }
        Err(SourceRefusal::Invalid(match &self.file_feeds_dir {
            Some(dir) => format!(
                "url={url:?}: a local file must lie in IMPORT_FILE_FEEDS_DIR ({}); other feeds are fetched over http(s)",
                dir.display()
            ),
            None => format!(
                "url={url:?}: a source added through the API or the command line reads its feed over http(s); to allow local files, set IMPORT_FILE_FEEDS_DIR to the folder they are delivered to"
            ),
        }))
    }
}

/// Whether `path` (made absolute from the working folder, `..` resolved, links followed where
/// it exists) lies in `dir` (canonical).
fn within(dir: &std::path::Path, path: &std::path::Path) -> bool {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        match std::env::current_dir() {
            Ok(cwd) => cwd.join(path),
            Err(_) => return false,
        }
    };
    let resolved = std::fs::canonicalize(&absolute).unwrap_or_else(|_| {
        let mut out = std::path::PathBuf::new();
        for part in absolute.components() {
            match part {
                std::path::Component::ParentDir => {
                    out.pop();
                }
                std::path::Component::CurDir => {}
                other => out.push(other),
            }
        }
        out
    });
    resolved.starts_with(dir) && resolved != dir
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::within;

    #[test]
    fn only_files_inside_the_feeds_folder_are_within_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = std::fs::canonicalize(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("a.xml"), "x").unwrap_or_else(|e| panic!("{e}"));
        assert!(within(&root, &root.join("a.xml")));
        assert!(within(&root, &root.join("later/b.xml")), "not there yet");
        assert!(!within(&root, &root.join("../escape.xml")));
        assert!(!within(&root, &root.join("sub/../../escape.xml")));
        assert!(!within(&root, &root), "the folder itself is no feed");
        assert!(!within(&root, Path::new("/etc/hostname")));
        assert!(
            !within(&root, Path::new("relative.xml")),
            "relative to the working folder"
        );
    }
}
