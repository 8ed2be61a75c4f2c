//! How a listing's kept source record is stored: its bytes compressed with LZ4 (a block with
//! its length in front, as `lz4_flex::compress_prepend_size` writes it). Records are packed
//! only for the rows that are written, so an unchanged listing never costs a compression.

use std::cell::RefCell;

/// The largest record kept once decompressed; a stored record claiming more is refused.
pub(crate) const MAX_KEPT_BYTES: usize = 64 << 20;

/// The largest scratch buffer kept for the next record.
const MAX_SCRATCH: usize = 1 << 20;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `record` compressed for storing.
///
/// The block is compressed into a buffer the thread keeps (made once, as large as the largest
/// record yet) and copied out at its own length: compressing into a fresh vector would zero one
/// as large as the record for each record and keep it that large.
pub(crate) fn pack(record: &[u8]) -> Vec<u8> {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => compress(record, &mut scratch),
        Err(_) => compress(record, &mut Vec::new()),
    })
}

/// `record` as an LZ4 block with its length in front, compressed in `scratch`.
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

/// The bytes of a stored record; an error says why they cannot be had back.
pub(crate) fn unpack(stored: &[u8]) -> Result<Vec<u8>, String> {
    let claimed = stored
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or("the kept record is shorter than its length")?;
    if usize::try_from(claimed).unwrap_or(usize::MAX) > MAX_KEPT_BYTES {
        return Err(format!(
            "the kept record claims {claimed} bytes, more than the {MAX_KEPT_BYTES} allowed"
        ));
    }
    lz4_flex::decompress_size_prepended(stored)
        .map_err(|e| format!("the kept record is damaged: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_record_comes_back_whole_and_smaller() {
        let record = "<property><id>1</id><desc><en>Sea views</en></desc></property>".repeat(20);
        let packed = pack(record.as_bytes());
        assert!(packed.len() < record.len() / 4, "{}", packed.len());
        assert_eq!(unpack(&packed).unwrap(), record.as_bytes());
    }

    #[test]
    fn a_packed_record_is_the_block_the_library_writes() {
        let long = "<property><ref>x</ref></property>".repeat(5_000);
        for record in [
            "",
            "a",
            "{\"externalId\":\"A1\"}",
            long.as_str(),
            &long[..70_000],
        ] {
            let packed = pack(record.as_bytes());
            assert_eq!(
                packed,
                lz4_flex::compress_prepend_size(record.as_bytes()),
                "{} bytes",
                record.len()
            );
            assert_eq!(unpack(&packed).unwrap(), record.as_bytes());
        }
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let mut packed = pack(b"{\"externalId\":\"A1\"}");
        for len in 0..packed.len() {
            let _ = unpack(&packed[..len]);
        }
        assert!(unpack(&packed[..3]).unwrap_err().contains("shorter"));
        packed[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(unpack(&packed).unwrap_err().contains("claims"));
        assert!(
            unpack(&[200, 0, 0, 0, 0xF0, 1])
                .unwrap_err()
                .contains("damaged")
        );
    }
}
