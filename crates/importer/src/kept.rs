//! Source records kept with their listings: each record's bytes as the feed sent them,
//! compressed with LZ4 (a block with its length in front), so that `propimport remap` can map
//! stored listings again without fetching the feed, and no field is lost for not being mapped.

use std::borrow::Cow;

use propimport_domain::SourceRecord;

/// The largest record kept once decompressed; a stored record claiming more is refused.
pub const MAX_KEPT_BYTES: usize = 64 << 20;

/// `record`, read by `format`, compressed for keeping.
pub fn keep(format: &'static str, record: &[u8]) -> SourceRecord {
    SourceRecord {
        format: Cow::Borrowed(format),
        compressed: lz4_flex::compress_prepend_size(record),
    }
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
