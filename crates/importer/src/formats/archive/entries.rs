//! The blocking half of reading a ZIP delivery: checking the archive's entries (count, names),
//! finding the feed document among them, and decompressing entries with their actual size
//! bounded (a header's declared size is never trusted: bytes are counted as they come out).

use std::fs::File;
use std::io::{self, Read, Seek, Write};

use zip::ZipArchive;

use super::ArchiveLimits;
use crate::formats::auto::HEAD_BYTES;
use crate::formats::{FeedError, FeedFormat, Position};

/// An archive whose entries were checked, with its document found.
pub(super) struct Checked {
    pub archive: ZipArchive<File>,
    /// The document entry's index and safe name.
    pub document: (usize, String),
    /// The document's format.
    pub format: FeedFormat,
    /// The other file entries: index and safe name.
    pub attachments: Vec<(usize, String)>,
}

/// Why an archive is refused, as a feed error.
pub(super) fn refused(message: String) -> FeedError {
    FeedError::Refused {
        at: Position::default(),
        message,
    }
}

/// Opens the spooled archive, checks its entries and finds the document: the first file entry
/// whose head `wanted` recognises (any format but the incremental ones when `wanted` is
/// `auto`).
pub(super) fn check(
    file: File,
    wanted: FeedFormat,
    limits: &ArchiveLimits,
) -> Result<Checked, FeedError> {
    let mut archive = ZipArchive::new(file).map_err(|e| FeedError::Malformed {
        at: Position::default(),
        message: format!("not a readable ZIP archive: {e}"),
    })?;
    if archive.len() > limits.max_entries {
        return Err(refused(format!(
            "the ZIP archive has {} entries, more than the {} accepted",
            archive.len(),
            limits.max_entries
        )));
    }
    let mut files = Vec::new();
    for index in 0..archive.len() {
        let raw = archive.name_for_index(index).unwrap_or_default().to_owned();
        let Some(name) = safe_name(&raw) else {
            return Err(refused(format!(
                "the ZIP archive has an entry named {raw:?}, which climbs out of its folder or is absolute"
            )));
        };
        if !name.is_empty() && !raw.ends_with('/') && !raw.ends_with('\\') {
            files.push((index, name));
        }
    }
    let mut found = None;
    let mut total = 0u64;
    for (position, (index, name)) in files.iter().enumerate() {
        let mut head = Vec::with_capacity(HEAD_BYTES);
        let Ok(entry) = archive.by_index(*index) else {
            continue;
        };
        if entry
            .take(HEAD_BYTES as u64)
            .read_to_end(&mut head)
            .is_err()
        {
            continue;
        }
        total += head.len() as u64;
        if total > limits.max_total_bytes {
            return Err(too_much(limits));
        }
        let format = if wanted == FeedFormat::AUTO {
            FeedFormat::sniff(&head)
                .filter(|f| f.delivery() != crate::formats::Delivery::Incremental)
        } else {
            wanted.format().sniff(&head).then_some(wanted)
        };
        if let Some(format) = format {
            found = Some((position, format, name.clone()));
            break;
        }
    }
    let Some((position, format, name)) = found else {
        return Err(FeedError::WrongFormat {
            format: wanted.title(),
            message: format!(
                "none of the {} files of the ZIP archive is a {} document",
                files.len(),
                if wanted == FeedFormat::AUTO {
                    "known feed"
                } else {
                    wanted.title()
                }
            ),
        });
    };
    let (index, _) = files.remove(position);
    Ok(Checked {
        archive,
        document: (index, name),
        format,
        attachments: files,
    })
}

/// The entry name with `\` read as `/`, `.` parts and a leading `./` dropped; `None` when it
/// climbs (`..`), is absolute (`/x`, `\x`) or names a drive (`C:`).
pub(crate) fn safe_name(raw: &str) -> Option<String> {
    let name = raw.replace('\\', "/");
    if name.starts_with('/') || name.contains('\0') {
        return None;
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p if p.len() >= 2 && p.as_bytes()[1] == b':' && parts.is_empty() => return None,
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn too_much(limits: &ArchiveLimits) -> FeedError {
    refused(format!(
        "the ZIP archive holds more than {} uncompressed, which is not accepted",
        crate::formats::size(usize::try_from(limits.max_total_bytes).unwrap_or(usize::MAX))
    ))
}

/// Decompresses the entry `index` into `out`, at most `max` bytes (else `Ok(None)`: the entry
/// is larger). Returns the bytes written.
pub(super) fn extract(
    archive: &mut ZipArchive<File>,
    index: usize,
    max: u64,
    out: &mut impl Write,
) -> io::Result<Option<u64>> {
    let entry = archive.by_index(index).map_err(io::Error::other)?;
    let mut limited = entry.take(max.saturating_add(1));
    let written = io::copy(&mut limited, out)?;
    Ok((written <= max).then_some(written))
}

/// The document entry decompressed into a new temporary file, rewound; refused when larger
/// than the document limit.
pub(super) fn document_file(
    checked: &mut Checked,
    limits: &ArchiveLimits,
) -> Result<File, FeedError> {
    let io_error = |e: io::Error| FeedError::io(Position::default(), e);
    let mut file = tempfile::tempfile().map_err(io_error)?;
    let (index, name) = &checked.document;
    let written = extract(
        &mut checked.archive,
        *index,
        limits.max_document_bytes,
        &mut file,
    )
    .map_err(|e| FeedError::Malformed {
        at: Position::default(),
        message: format!("the ZIP entry {name:?} cannot be decompressed: {e}"),
    })?;
    if written.is_none() {
        return Err(refused(format!(
            "the ZIP entry {name:?} is larger than {} uncompressed, which is not accepted",
            crate::formats::size(usize::try_from(limits.max_document_bytes).unwrap_or(usize::MAX))
        )));
    }
    file.rewind().map_err(io_error)?;
    Ok(file)
}

/// Decompresses each attachment (bounded each and in all) and hands it to `send`; an
/// attachment over the entry limit is skipped, the total over its limit refuses the delivery.
/// Stops early when `send` returns false.
pub(super) fn attachments(
    checked: &mut Checked,
    limits: &ArchiveLimits,
    document_bytes: u64,
    mut send: impl FnMut(String, Vec<u8>) -> bool,
) -> Result<(), FeedError> {
    let mut total = document_bytes;
    for (index, name) in std::mem::take(&mut checked.attachments) {
        let mut bytes = Vec::new();
        let written = match extract(
            &mut checked.archive,
            index,
            limits.max_entry_bytes,
            &mut bytes,
        ) {
            Ok(written) => written,
            Err(e) => {
                tracing::warn!(file = %name, error = %e, "a delivered file cannot be decompressed");
                continue;
            }
        };
        total = total.saturating_add(bytes.len() as u64);
        if total > limits.max_total_bytes {
            return Err(too_much(limits));
        }
        if written.is_none() {
            tracing::warn!(file = %name, limit = limits.max_entry_bytes, "a delivered file is too large and is not kept");
            continue;
        }
        if !send(name, bytes) {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_climb_or_are_absolute_are_refused() {
        assert_eq!(safe_name("a/b.jpg").as_deref(), Some("a/b.jpg"));
        assert_eq!(safe_name("./a//b.jpg").as_deref(), Some("a/b.jpg"));
        assert_eq!(safe_name("a\\b.jpg").as_deref(), Some("a/b.jpg"));
        assert_eq!(safe_name("dir/").as_deref(), Some("dir"));
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "\\x",
            "C:/x",
            "c:x",
            "a\\..\\..\\x",
            "a\0b",
        ] {
            assert_eq!(safe_name(bad), None, "{bad}");
        }
    }
}
