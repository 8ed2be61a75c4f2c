//! propimport JSON feeds: one array, or one listing per line.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::Path;

use anyhow::Context as _;

use super::{finish, listing};

/// The form of a propimport JSON feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonForm {
    /// One JSON array (read element by element).
    Array,
    /// One listing per line.
    Ndjson,
}

/// Writes a propimport JSON feed of `count` listings to `path`; returns its size in bytes.
pub fn write_json(path: &Path, count: u64, form: JsonForm) -> anyhow::Result<u64> {
    let file = File::create(path).with_context(|| format!("create {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    if form == JsonForm::Array {
        out.write_all(b"[\n")?;
    }
    for i in 0..count {
        if form == JsonForm::Array && i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut out, &listing(i)?)?;
        if form == JsonForm::Ndjson {
            out.write_all(b"\n")?;
        }
    }
    if form == JsonForm::Array {
        out.write_all(b"\n]\n")?;
    }
    finish(out)
}
