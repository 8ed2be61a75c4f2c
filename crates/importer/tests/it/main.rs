//! Integration tests of the feed readers, on the fixtures in `tests/fixtures`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod blm;
mod empty_feed;
mod first_snapshot;
mod huge;
mod image_guard;
mod image_limits;
mod images;
mod json;
mod json_known;
mod kyero;
mod kyero_cut;
mod kyero_guard;
mod kyero_known;
mod new_batches;
mod openimmo;
mod pipeline;
mod progress;
mod reaxml;
mod reaxml_pipeline;
mod reaxml_robustness;
mod recording;
mod remap;
mod reso;
mod robustness;
mod timeouts;

use propimport_importer::{FeedError, FeedItem, JsonReader, KyeroReader};
use tokio::io::BufReader;

/// The bytes of a fixture.
fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Everything a reader gave: its items, then the error that ended it (if any).
#[derive(Debug)]
struct Read {
    items: Vec<FeedItem>,
    error: Option<FeedError>,
}

impl Read {
    fn listings(&self) -> Vec<&propimport_domain::Listing> {
        self.items
            .iter()
            .filter_map(|i| match i {
                FeedItem::Listing(l, _) => Some(l),
                FeedItem::Failed(_) | FeedItem::Gone(_) | FeedItem::Known(_) => None,
            })
            .collect()
    }

    fn failures(&self) -> Vec<&propimport_importer::RecordError> {
        self.items
            .iter()
            .filter_map(|i| match i {
                FeedItem::Failed(f) => Some(f),
                FeedItem::Listing(..) | FeedItem::Gone(_) | FeedItem::Known(_) => None,
            })
            .collect()
    }

    fn ok(self) -> Vec<FeedItem> {
        assert!(
            self.error.is_none(),
            "unexpected feed error: {:?}",
            self.error
        );
        self.items
    }
}

/// A small deterministic generator (xorshift), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.bits() % n.max(1) as u64) as usize
    }

    /// Changes `bytes` (not empty) in one to nine places: a random byte written over one,
    /// one removed, or one of `noise` inserted.
    pub fn mutate(&mut self, bytes: &mut Vec<u8>, noise: &[u8]) {
        for _ in 0..=self.below(8) {
            let at = self.below(bytes.len());
            match self.below(3) {
                0 => bytes[at] = self.bits() as u8,
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, noise[self.below(noise.len())]),
            }
        }
    }
}

/// Drains a reader (either kind) into a [`Read`]; gives up after far more items than any
/// test input has, so a reader that never ends fails the test instead of hanging it.
#[macro_export]
macro_rules! drain {
    ($reader:expr) => {{
        #[allow(unused_mut, reason = "a reader given by &mut needs no mut")]
        let mut reader = $reader;
        let mut items = Vec::new();
        let mut error = None;
        for _ in 0..100_000 {
            match reader.next().await {
                Ok(Some(item)) => items.push(item),
                Ok(None) => break,
                Err(e) => {
                    // A failed reader keeps failing the same way.
                    let again = reader.next().await;
                    assert_eq!(again.err().map(|e| e.to_string()), Some(e.to_string()));
                    error = Some(e);
                    break;
                }
            }
        }
        Read { items, error }
    }};
}

/// Reads Kyero XML through a buffer of `capacity` bytes.
async fn kyero(bytes: &[u8], capacity: usize) -> Read {
    drain!(KyeroReader::new(BufReader::with_capacity(capacity, bytes)))
}

/// Reads Kyero XML through a buffer of `capacity` bytes, with a text limit.
async fn kyero_limited(bytes: &[u8], capacity: usize, limit: usize) -> Read {
    drain!(KyeroReader::new(BufReader::with_capacity(capacity, bytes)).max_text_bytes(limit))
}

/// Reads propimport JSON through a buffer of `capacity` bytes.
async fn json(bytes: &[u8], capacity: usize) -> Read {
    drain!(JsonReader::new(BufReader::with_capacity(capacity, bytes)))
}
