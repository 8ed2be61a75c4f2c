//! The demo feeds, part of the binary: with no source configured the service imports them
//! wherever it is started (an installed binary, a container), not only from the repository.
//! Before a run they are written to `demo-feeds/` in the data folder (next to the SQLite
//! database, or `./data`) when missing or different, and read from there like any file.

use std::path::{Path, PathBuf};

use propimport_importer::FeedFormat;
use propimport_persistence::DatabaseUrl;

/// One demo feed: its job name, format, file name and contents.
#[derive(Debug, Clone, Copy)]
pub struct DemoFeed {
    /// The job (source) name.
    pub name: &'static str,
    /// The feed's format.
    pub format: FeedFormat,
    /// The file name it is written under.
    pub file_name: &'static str,
    /// Its contents, as in `examples/feeds/`.
    pub bytes: &'static [u8],
}

/// The demo feeds used when no source is configured.
pub const DEMO_FEEDS: [DemoFeed; 2] = [
    DemoFeed {
        name: "demo-costa-blanca",
        format: FeedFormat::KYERO,
        file_name: "costa-blanca.kyero.xml",
        bytes: include_bytes!("../../../examples/feeds/costa-blanca.kyero.xml"),
    },
    DemoFeed {
        name: "demo-north-macedonia",
        format: FeedFormat::JSON,
        file_name: "north-macedonia.ndjson",
        bytes: include_bytes!("../../../examples/feeds/north-macedonia.ndjson"),
    },
];

/// Where the demo feeds are written: `demo-feeds/` next to the SQLite database, or
/// `data/demo-feeds` for PostgreSQL.
pub fn folder(database: &DatabaseUrl) -> PathBuf {
    let data = match database {
        DatabaseUrl::Sqlite(file) => file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        _ => PathBuf::from("data"),
    };
    data.join("demo-feeds")
}

/// The contents of the demo feed a source reads at `path`, when `path` is one of the demo
/// feeds' files in `folder`.
pub fn embedded(folder: &Path, path: &Path) -> Option<&'static [u8]> {
    DEMO_FEEDS
        .iter()
        .find(|feed| path == folder.join(feed.file_name))
        .map(|feed| feed.bytes)
}

/// Writes each embedded feed (its file and contents, `Source::embedded_feed`) that is missing
/// or differs on disk.
///
/// # Errors
/// When a feed cannot be written; the message names the file.
pub fn materialize<'a>(
    feeds: impl IntoIterator<Item = (&'a Path, &'static [u8])>,
) -> anyhow::Result<()> {
    for (path, bytes) in feeds {
        if std::fs::read(path).is_ok_and(|on_disk| on_disk == bytes) {
            continue;
        }
        write(path, bytes)
            .map_err(|e| anyhow::anyhow!("cannot write the demo feed {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file renamed over it, so a concurrent
/// reader sees the old or the new contents, never half of them.
fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)?;
    }
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)
}
