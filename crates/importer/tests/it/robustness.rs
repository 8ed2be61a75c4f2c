//! The readers never panic nor hang, whatever the bytes, and cut records right across any
//! buffer boundary: truncation at every byte, mutated and random inputs, tiny buffers, and a
//! source that makes the reader wait.

use propimport_importer::{FeedItem, JsonReader, KyeroReader};
use tokio::io::{AsyncBufRead, AsyncWriteExt, BufReader};

use crate::Rng;
use crate::{Read, fixture, json, kyero, kyero_limited};

const KYERO: [&str; 2] = ["kyero.xml", "kyero-latin1.xml"];
const JSON: [&str; 3] = ["listings.json", "listings.ndjson", "broken-array.json"];

/// The items read before a cut must be the first items of the whole feed.
fn assert_prefix(cut: &Read, whole: &[FeedItem], what: &str) {
    assert!(
        cut.items.len() <= whole.len(),
        "{what}: more items than the whole feed"
    );
    assert_eq!(cut.items, whole[..cut.items.len()], "{what}");
}

#[tokio::test]
async fn same_items_through_any_buffer_size() {
    for name in KYERO {
        let bytes = fixture(name);
        let whole = kyero(&bytes, 1 << 16).await.ok();
        for capacity in [1, 2, 3, 7, 13, 64, 1000] {
            assert_eq!(
                kyero(&bytes, capacity).await.ok(),
                whole,
                "{name} / {capacity}"
            );
        }
    }
    for name in JSON {
        let bytes = fixture(name);
        let whole = json(&bytes, 1 << 16).await;
        for capacity in [1, 2, 3, 7, 13, 64, 1000] {
            let read = json(&bytes, capacity).await;
            assert_eq!(read.items, whole.items, "{name} / {capacity}");
            assert_eq!(
                read.error.map(|e| e.to_string()),
                whole.error.as_ref().map(|e| e.to_string())
            );
        }
    }
}

#[tokio::test]
async fn every_truncation_of_a_kyero_feed_fails_the_feed() {
    let bytes = fixture("kyero.xml");
    let whole = kyero(&bytes, 4096).await.ok();
    let end = bytes.windows(7).position(|w| w == b"</root>").unwrap() + 7;
    for cut in 0..bytes.len() {
        let read = kyero(&bytes[..cut], 7).await;
        assert_prefix(&read, &whole, &format!("cut at {cut}"));
        if cut < end {
            assert!(
                read.error.is_some(),
                "a feed cut at byte {cut} must not look complete"
            );
        } else {
            assert_eq!(read.ok(), whole);
        }
    }
}

#[tokio::test]
async fn every_truncation_of_a_json_feed_fails_or_ends_at_a_line() {
    let array = fixture("listings.json");
    let whole = json(&array, 4096).await.ok();
    let end = array.iter().rposition(|&b| b == b']').unwrap() + 1;
    // Cut at 0 the document is empty: NDJSON without lines, which the importer refuses as an
    // empty feed (see the pipeline tests).
    for cut in 1..array.len() {
        let read = json(&array[..cut], 5).await;
        assert_prefix(&read, &whole, &format!("array cut at {cut}"));
        assert_eq!(
            read.error.is_some(),
            cut < end,
            "array cut at {cut}: {:?}",
            read.error
        );
    }
    let lines = fixture("listings.ndjson");
    let whole = json(&lines, 4096).await.ok();
    for cut in 0..lines.len() {
        let read = json(&lines[..cut], 5).await;
        assert_prefix(&read, &whole, &format!("ndjson cut at {cut}"));
        let at_line_end = cut == 0 || lines[cut - 1] == b'\n';
        if read.error.is_none() && !at_line_end {
            // Only a cut right after a complete object (before its line end) can parse.
            assert!(
                matches!(lines[cut - 1], b'}' | b'\r' | b' '),
                "ndjson cut at {cut}"
            );
        }
    }
}

#[tokio::test]
async fn mutated_and_random_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let seeds: Vec<Vec<u8>> = KYERO.iter().chain(&JSON).map(|n| fixture(n)).collect();
    for round in 0..1500 {
        let mut bytes = seeds[round % seeds.len()].clone();
        if round % 5 == 4 {
            bytes = (0..rng.below(600)).map(|_| rng.bits() as u8).collect();
        } else {
            rng.mutate(&mut bytes, b"<>&;\"{}[],\\\n\x00\xff");
        }
        let capacity = 1 + rng.below(40);
        let _ = kyero(&bytes, capacity).await;
        // A small text limit cuts nodes anywhere in the mutated document.
        let _ = kyero_limited(&bytes, capacity, 1 + rng.below(48)).await;
        let _ = json(&bytes, capacity).await;
    }
}

#[tokio::test]
async fn reads_from_a_source_that_makes_it_wait() {
    for (name, is_xml) in [("kyero-latin1.xml", true), ("listings.ndjson", false)] {
        let bytes = fixture(name);
        let expected = if is_xml {
            kyero(&bytes, 4096).await
        } else {
            json(&bytes, 4096).await
        };
        let (mut writer, reader) = tokio::io::duplex(11);
        let feeder = tokio::spawn(async move {
            for chunk in bytes.chunks(5) {
                writer.write_all(chunk).await.unwrap();
                tokio::task::yield_now().await;
            }
        });
        let source = BufReader::with_capacity(7, reader);
        let read = if is_xml {
            crate::drain!(KyeroReader::new(source))
        } else {
            crate::drain!(JsonReader::new(source))
        };
        feeder.await.unwrap();
        assert_eq!(read.items, expected.items, "{name}");
    }
}

#[test]
fn readers_can_move_to_another_task() {
    type Stream = Box<dyn AsyncBufRead + Send + Unpin>;
    fn send<T: Send>(_: &T) {}
    let mut kyero = KyeroReader::new(Box::new(&b""[..]) as Stream);
    let mut json = JsonReader::new(Box::new(&b""[..]) as Stream);
    send(&kyero.next());
    send(&json.next());
}
