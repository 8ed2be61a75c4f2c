//! The REAXML reader never panics nor hangs, whatever the bytes: the fixtures cut at every
//! byte, mutated at random, and random bytes (with and without a REAXML prolog), read through
//! small buffers; a listing over the record limit fails alone.

use propimport_importer::formats::ReaxmlReader;
use propimport_importer::{FeedItem, ReadOptions};
use tokio::io::BufReader;

use propimport_importer::formats::Stage;

use crate::Rng;
use crate::reaxml::{id, reaxml};
use crate::{Read, drain, fixture};

const FIXTURES: [&str; 3] = [
    "reaxml/feed.xml",
    "reaxml/latin1.xml",
    "reaxml/truncated.xml",
];

async fn read(bytes: &[u8], capacity: usize) -> Read {
    let options = ReadOptions {
        max_text_bytes: 200,
        ..ReadOptions::default()
    };
    drain!(ReaxmlReader::new(
        BufReader::with_capacity(capacity, bytes),
        &options
    ))
}

#[tokio::test]
async fn a_feed_cut_before_its_end_gives_a_prefix_of_its_items_then_an_error() {
    let bytes = fixture("reaxml/feed.xml");
    let whole = read(&bytes, 1 << 16).await;
    assert!(whole.error.is_none());
    let end = bytes
        .windows(15)
        .position(|w| w == b"</propertyList>")
        .unwrap()
        + 15;
    for cut in 0..end {
        let part = read(&bytes[..cut], 61).await;
        assert!(part.error.is_some(), "cut at {cut} reads as complete");
        assert!(part.items.len() <= whole.items.len());
        assert_eq!(part.items, whole.items[..part.items.len()], "cut at {cut}");
    }
}

#[tokio::test]
async fn mutated_fixtures_never_panic() {
    const PIECES: &[&[u8]] = &[
        b"<",
        b">",
        b"&",
        b"&#0;",
        b"&amp;",
        b"\"",
        b"</",
        b"/>",
        b"<![CDATA[",
        b"]]>",
        b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
        b"\xFF",
        b"\xC3",
        b"<img url=",
        b" status=\"sold\"",
        b"<price display=\"no\">",
        b"99999999999999999999",
        b"-",
        b"\0",
    ];
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for name in FIXTURES {
        let original = fixture(name);
        for round in 0..300 {
            let mut bytes = original.clone();
            for _ in 0..=rng.below(6) {
                let at = rng.below(bytes.len());
                match rng.below(4) {
                    0 => bytes[at] = (rng.bits() & 0xFF) as u8,
                    1 => {
                        let piece = PIECES[rng.below(PIECES.len())];
                        bytes.splice(at..at, piece.iter().copied());
                    }
                    2 => {
                        let end = (at + rng.below(40)).min(bytes.len());
                        bytes.drain(at..end);
                    }
                    _ => {
                        let from = rng.below(bytes.len());
                        let end = (from + rng.below(80)).min(bytes.len());
                        let copy = bytes[from..end].to_vec();
                        bytes.splice(at..at, copy);
                    }
                }
            }
            let capacity = 1 + rng.below(300);
            let result = read(&bytes, capacity).await;
            for item in &result.items {
                if let FeedItem::Failed(f) = item {
                    assert!(!f.message.is_empty(), "{name} round {round}");
                }
            }
        }
    }
}

#[tokio::test]
async fn random_bytes_never_panic() {
    let mut rng = Rng(0xDEAD_BEEF_0000_0042);
    for round in 0..500 {
        let len = rng.below(2000);
        let mut bytes: Vec<u8> = (0..len).map(|_| (rng.bits() & 0xFF) as u8).collect();
        if round % 2 == 0 {
            let mut doc = b"<propertyList><residential status=\"current\">".to_vec();
            doc.append(&mut bytes);
            bytes = doc;
        }
        let _ = read(&bytes, 1 + rng.below(100)).await;
    }
}

#[tokio::test]
async fn a_listing_over_the_record_limit_fails_alone() {
    let chunk = "x".repeat(900 * 1024);
    let big: String = (0..5)
        .map(|_| format!("<headline>{chunk}</headline>"))
        .collect();
    let doc = format!(
        "<propertyList>\
         <residential><agentID>A</agentID><uniqueID>big</uniqueID><price>1</price>{big}</residential>\
         <residential><agentID>A</agentID><uniqueID>small</uniqueID><price>1</price></residential>\
         </propertyList>"
    );
    let read = reaxml(doc.as_bytes(), 64 * 1024).await;
    assert!(read.error.is_none());
    let failures = read.failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].stage, Stage::Parse);
    assert!(
        failures[0].message.contains("larger than 4 MiB"),
        "{}",
        failures[0].message
    );
    assert_eq!(failures[0].external_id.as_deref(), Some("A:big"));
    assert_eq!(read.listings()[0].external_id, id("A:small"));
}
