//! Source records kept with their listings: each record's bytes as the feed sent them,
//! compressed with LZ4 (a block with its length in front), so that `propimport remap` can map
//! stored listings again without fetching the feed, and no field is lost for not being mapped.

use std::borrow::Cow;
use std::cell::RefCell;

use propimport_domain::SourceRecord;

/// The largest record kept once decompressed; a stored record claiming more is refused.
pub const MAX_KEPT_BYTES: usize = 64 << 20;

/// `record`, read by `format`, compressed for keeping.
///
/// The block is compressed into a buffer the thread keeps (made once, as large as the largest
/// record yet) and copied out at its own length: compressing into a fresh vector would zero one
/// as large as the record for each record and keep it that large.
pub fn keep(format: &'static str, record: &[u8]) -> SourceRecord {
    let compressed = SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => compress(record, &mut scratch),
        Err(_) => compress(record, &mut Vec::new()),
    });
    SourceRecord {
        format: Cow::Borrowed(format),
        compressed,
    }
}

/// The largest scratch buffer kept for the next record.
const MAX_SCRATCH: usize = 1 << 20;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `record` as an LZ4 block with its length in front (as `lz4_flex::compress_prepend_size`
/// writes it), compressed in `scratch`.
fn compress(record: &[u8], scratch: &mut Vec<u8>) -> Vec<u8> {
    let Ok(length) = u32::try_from(record.len()) else {
        // Longer than a block's length can say: left to the library, which says it alike.
        return lz4_flex::compress_prepend_size(record);
    };
    let bound = lz4_flex::block::get_maximum_output_size(record.len());
    if scratch.len() < bound {
        scratch.resize(bound, 0);
    }
    let written = match lz4_flex::block::compress_into(record, &mut scratch[..bound]) {
        Ok(written) => written,
        Err(_) => return lz4_flex::compress_prepend_size(record),
    };
    let mut out = Vec::with_capacity(4 + written);
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(&scratch[..written]);
    if scratch.len() > MAX_SCRATCH {
        *scratch = Vec::new();
    }
    out
}

/// The bytes of a kept record; an error says why they cannot be had back.
pub fn unpack(record: &SourceRecord) -> Result<Vec<u8>, String> {
    let claimed = record
        .compressed
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or("the kept record is shorter than its length")?;
    if usize::try_from(claimed).unwrap_or(usize::MAX) > MAX_KEPT_BYTES {
        return Err(format!(
            "the kept record claims {claimed} bytes, more than the {MAX_KEPT_BYTES} allowed"
        ));
    }
    lz4_flex::decompress_size_prepended(&record.compressed)
        .map_err(|e| format!("the kept record is damaged: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_record_comes_back_whole_and_smaller() {
        let record = "<property><id>1</id><desc><en>Sea views</en></desc></property>".repeat(20);
        let kept = keep("kyero", record.as_bytes());
        assert!(
            kept.compressed.len() < record.len() / 4,
            "{}",
            kept.compressed.len()
        );
        assert_eq!(unpack(&kept).unwrap(), record.as_bytes());
    }

    #[test]
    fn a_kept_record_is_the_block_the_library_writes() {
        let long = "<property><ref>x</ref></property>".repeat(5_000);
        for record in [
            "",
            "a",
            "{\"externalId\":\"A1\"}",
            long.as_str(),
            &long[..70_000],
        ] {
            let kept = keep("json", record.as_bytes());
            assert_eq!(
                kept.compressed,
                lz4_flex::compress_prepend_size(record.as_bytes()),
                "{} bytes",
                record.len()
            );
            assert_eq!(unpack(&kept).unwrap(), record.as_bytes());
        }
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let mut kept = keep("json", b"{\"externalId\":\"A1\"}");
        for len in 0..kept.compressed.len() {
            let cut = SourceRecord {
                compressed: kept.compressed[..len].to_vec(),
                ..kept.clone()
            };
            let _ = unpack(&cut);
        }
        kept.compressed[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(unpack(&kept).unwrap_err().contains("claims"));
    }
}
