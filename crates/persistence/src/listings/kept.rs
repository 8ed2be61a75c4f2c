//! How a listing's kept source record is stored: its bytes compressed with LZ4 (a block with
//! its length in front), against the listing's stored document as the block's dictionary.
//! Records are packed only for the rows that are written, so an unchanged listing never costs
//! a compression.
//!
//! A feed's record and the document mapped from it share most of their text (descriptions,
//! addresses, URLs, feature names), so with the document as its dictionary a record stores as
//! little more than what the mapping left out or changed: it is always written with its
//! document, in the same row, and is read back with it. The length's top bit says a block was
//! compressed so, and a check of the record's bytes follows the length, so a record read with
//! another document is an error, never other bytes; records stored before have the bit clear
//! and are read without a dictionary.

use std::cell::RefCell;

/// The largest record kept once decompressed; a stored record claiming more is refused.
const MAX_KEPT_BYTES: usize = 64 << 20;

/// Set in a stored length: the block was compressed against the row's document.
const AGAINST_DOCUMENT: u32 = 1 << 31;

/// The most of a dictionary a block can refer to (LZ4's window): its last bytes.
const WINDOW: usize = 64 * 1024;

/// The largest scratch buffer kept for the next record.
const MAX_SCRATCH: usize = 1 << 20;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `record` compressed for storing with `document`, the listing's stored document.
///
/// The block is compressed into a buffer the thread keeps (made once, as large as the largest
/// record yet) and copied out at its own length: compressing into a fresh vector would zero one
/// as large as the record for each record and keep it that large.
pub(crate) fn pack(record: &[u8], document: &[u8]) -> Vec<u8> {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => compress(record, document, &mut scratch),
        Err(_) => compress(record, document, &mut Vec::new()),
    })
}

/// The part of `document` a block refers to.
fn dictionary(document: &[u8]) -> &[u8] {
    &document[document.len().saturating_sub(WINDOW)..]
}

/// `record` as an LZ4 block against `document` with its length (top bit set) in front,
/// compressed in `scratch`.
fn compress(record: &[u8], document: &[u8], scratch: &mut Vec<u8>) -> Vec<u8> {
    let length = match u32::try_from(record.len()) {
        Ok(length) if length < AGAINST_DOCUMENT => length,
        // Longer than a stored length can say (never kept: far over the limit on reading).
        _ => return lz4_flex::compress_prepend_size(record),
    };
    let bound = lz4_flex::block::get_maximum_output_size(record.len());
    if scratch.len() < bound {
        scratch.resize(bound, 0);
    }
    let dictionary = dictionary(document);
    let written =
        match lz4_flex::block::compress_into_with_dict(record, &mut scratch[..bound], dictionary) {
            Ok(written) => written,
            Err(_) => return lz4_flex::compress_prepend_size(record),
        };
    let mut out = Vec::with_capacity(8 + written);
    out.extend_from_slice(&(length | AGAINST_DOCUMENT).to_le_bytes());
    out.extend_from_slice(&check(record).to_le_bytes());
    out.extend_from_slice(&scratch[..written]);
    if scratch.len() > MAX_SCRATCH {
        *scratch = Vec::new();
    }
    out
}

/// The bytes of a stored record, stored with `document`; an error says why they cannot be had
/// back.
pub(crate) fn unpack(stored: &[u8], document: &[u8]) -> Result<Vec<u8>, String> {
    let (prefix, block) = stored
        .split_first_chunk::<4>()
        .ok_or("the kept record is shorter than its length")?;
    let prefix = u32::from_le_bytes(*prefix);
    let claimed = prefix & !AGAINST_DOCUMENT;
    let claimed_bytes = usize::try_from(claimed).unwrap_or(usize::MAX);
    if claimed_bytes > MAX_KEPT_BYTES {
        return Err(format!(
            "the kept record claims {claimed} bytes, more than the {MAX_KEPT_BYTES} allowed"
        ));
    }
    if prefix & AGAINST_DOCUMENT == 0 {
        return whole(lz4_flex::block::decompress(block, claimed_bytes), claimed);
    }
    let (expected, block) = block
        .split_first_chunk::<4>()
        .ok_or("the kept record is shorter than its check")?;
    let bytes = whole(
        lz4_flex::block::decompress_with_dict(block, claimed_bytes, dictionary(document)),
        claimed,
    )?;
    if check(&bytes) != u32::from_le_bytes(*expected) {
        return Err("the kept record does not match the listing's stored document".into());
    }
    Ok(bytes)
}

/// The check of a record's bytes: the low half of their 64-bit xxh3.
fn check(record: &[u8]) -> u32 {
    xxhash_rust::xxh3::xxh3_64(record) as u32
}

/// A decompressed block, if it is as long as its length claims.
fn whole(
    unpacked: Result<Vec<u8>, lz4_flex::block::DecompressError>,
    claimed: u32,
) -> Result<Vec<u8>, String> {
    match unpacked {
        Ok(bytes) if u32::try_from(bytes.len()) == Ok(claimed) => Ok(bytes),
        Ok(bytes) => Err(format!(
            "the kept record is damaged: {} bytes where it claims {claimed}",
            bytes.len()
        )),
        Err(e) => Err(format!("the kept record is damaged: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &[u8] =
        br#"{"externalId":"V-1","description":{"en":"Sea views from every room."}}"#;

    #[test]
    fn a_packed_record_comes_back_whole_and_smaller() {
        let record = "<property><id>1</id><desc><en>Sea views</en></desc></property>".repeat(20);
        let packed = pack(record.as_bytes(), b"");
        assert!(packed.len() < record.len() / 4, "{}", packed.len());
        assert_eq!(unpack(&packed, b"").unwrap(), record.as_bytes());
    }

    #[test]
    fn what_the_document_holds_costs_little() {
        let record =
            br#"{"externalId":"V-1","description":{"en":"Sea views from every room."},"x":1}"#;
        let alone = pack(record, b"");
        let against = pack(record, DOCUMENT);
        assert!(
            against.len() + 30 < alone.len(),
            "{} against {}",
            against.len(),
            alone.len()
        );
        assert_eq!(unpack(&against, DOCUMENT).unwrap(), record);
    }

    #[test]
    fn every_length_comes_back_against_any_document() {
        let long = "<property><ref>x</ref></property>".repeat(5_000);
        let long_document = "{\"ref\":\"x\"}".repeat(10_000);
        for record in [
            "",
            "a",
            "{\"externalId\":\"A1\"}",
            long.as_str(),
            &long[..70_000],
        ] {
            for document in [&b""[..], DOCUMENT, long_document.as_bytes()] {
                let packed = pack(record.as_bytes(), document);
                let back = unpack(&packed, document).unwrap();
                assert_eq!(back, record.as_bytes(), "{} bytes", record.len());
            }
        }
    }

    #[test]
    fn records_stored_without_a_dictionary_still_read() {
        let record = b"<property><id>1</id></property>";
        let stored = lz4_flex::compress_prepend_size(record);
        assert_eq!(unpack(&stored, DOCUMENT).unwrap(), record);
        assert_eq!(unpack(&stored, b"").unwrap(), record);
    }

    #[test]
    fn another_document_is_an_error_not_other_bytes() {
        let record = br#"{"externalId":"V-1","description":{"en":"Sea views from every room."}}"#;
        let packed = pack(record, DOCUMENT);
        let other = br#"{"externalId":"V-2","description":{"en":"Garden views in every room!"}}"#;
        let error = unpack(&packed, other).unwrap_err();
        assert!(
            error.contains("does not match") || error.contains("damaged"),
            "{error}"
        );
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let mut packed = pack(b"{\"externalId\":\"A1\"}", DOCUMENT);
        for len in 0..packed.len() {
            let _ = unpack(&packed[..len], DOCUMENT);
        }
        for i in 0..packed.len() {
            let mut flipped = packed.clone();
            flipped[i] ^= 0x55;
            let _ = unpack(&flipped, DOCUMENT);
        }
        assert!(
            unpack(&packed[..3], DOCUMENT)
                .unwrap_err()
                .contains("shorter")
        );
        packed[..4].copy_from_slice(&(u32::MAX >> 1).to_le_bytes());
        assert!(unpack(&packed, DOCUMENT).unwrap_err().contains("claims"));
        assert!(
            unpack(&[200, 0, 0, 0, 0xF0, 1], b"")
                .unwrap_err()
                .contains("damaged")
        );
    }
}
