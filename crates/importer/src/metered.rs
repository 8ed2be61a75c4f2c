//! Counting a feed's bytes as they are read, into the run's progress: a local file's chunks
//! and an HTTP body's chunks alike pass through [`count_bytes`].

use propimport_domain::ProgressHandle;

/// Starts counting: no byte read yet, and the feed's size when it is known in advance.
pub(crate) fn start(progress: &ProgressHandle, bytes_total: Option<u64>) {
    progress.update(|p| {
        p.bytes_read = Some(0);
        p.bytes_total = bytes_total;
    });
}

/// Adds `n` bytes read to the run's progress.
pub(crate) fn count_bytes(progress: &ProgressHandle, n: usize) {
    if n > 0 {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        progress.update(|p| p.bytes_read = Some(p.bytes_read.unwrap_or(0).saturating_add(n)));
    }
}
