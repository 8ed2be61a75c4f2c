//! ZIP deliveries: an OpenImmo document with its pictures, detection inside an archive, any
//! format in an archive, and archives that must be refused (names that climb, too many
//! entries, bombs).

use super::*;
use crate::Rng;

/// Writes a ZIP archive of `entries` (name, bytes), deflated.
pub(super) fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// Keeps delivered files in memory and names them `stored:test/<name>`.
#[derive(Default)]
struct Files(Mutex<Vec<(String, usize)>>);

#[async_trait::async_trait]
impl AttachmentStore for Files {
    async fn store(&self, name: &str, bytes: Vec<u8>) -> Result<String, String> {
        self.0.lock().unwrap().push((name.to_owned(), bytes.len()));
        Ok(format!("stored:test/{name}"))
    }
}

const DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<openimmo>
  <uebertragung art="OFFLINE" umfang="VOLL" version="1.2.7"/>
  <anbieter>
    <firma>Zip Makler</firma>
    <immobilie>
      <objektkategorie><vermarktungsart KAUF="true"/></objektkategorie>
      <preise><kaufpreis>300000</kaufpreis></preise>
      <anhaenge>
        <anhang location="EXTERN" gruppe="TITELBILD"><anhangtitel>Front</anhangtitel><format>jpg</format><daten><pfad>bilder/front.jpg</pfad></daten></anhang>
        <anhang location="EXTERN" gruppe="GRUNDRISS"><daten><pfad>Bilder\plan.PNG</pfad></daten></anhang>
        <anhang location="EXTERN" gruppe="BILD"><daten><pfad>fehlt.jpg</pfad></daten></anhang>
      </anhaenge>
      <verwaltung_techn><objektnr_extern>Z-1</objektnr_extern></verwaltung_techn>
    </immobilie>
  </anbieter>
</openimmo>
"#;

fn delivery() -> Vec<u8> {
    zip_of(&[
        ("export/", Vec::new()),
        ("export/bilder/front.jpg", vec![0xFF; 3000]),
        ("export/openimmo.xml", DOC.as_bytes().to_vec()),
        ("export/bilder/plan.png", vec![0x89; 100]),
    ])
}

#[tokio::test]
async fn a_zip_delivery_stores_its_pictures_and_resolves_them() {
    let files = Arc::new(Files::default());
    let options = ReadOptions {
        attachment_store: Some(files.clone()),
        ..ReadOptions::default()
    };
    for format in [FeedFormat::OPENIMMO, FeedFormat::AUTO] {
        let (read, complete, detected) = open(format, delivery(), &options).await;
        assert!(complete, "{format}");
        assert_eq!(detected, Some(FeedFormat::OPENIMMO));
        let items = read.ok();
        let listing = items[0].listing().unwrap();
        let urls: Vec<&str> = listing.images.iter().map(|i| i.url.as_str()).collect();
        assert_eq!(
            urls,
            ["stored:test/export/bilder/front.jpg"],
            "a missing file is dropped"
        );
        assert_eq!(
            listing.floor_plans[0].url,
            "stored:test/export/bilder/plan.png"
        );
    }
    let stored = files.0.lock().unwrap().clone();
    assert_eq!(
        stored[..2],
        [
            ("export/bilder/front.jpg".to_owned(), 3000),
            ("export/bilder/plan.png".to_owned(), 100)
        ]
    );

    // Without a store the files are not kept, and records naming them get no image.
    let (read, _, _) = open(FeedFormat::OPENIMMO, delivery(), &ReadOptions::default()).await;
    assert!(read.ok()[0].listing().unwrap().images.is_empty());
}

#[tokio::test]
async fn any_format_may_come_zipped() {
    let kyero = fixture("kyero.xml");
    let (plain, _, _) = open(FeedFormat::KYERO, kyero.clone(), &ReadOptions::default()).await;
    let zipped = zip_of(&[("readme.txt", b"hello".to_vec()), ("feed/kyero.xml", kyero)]);
    let (read, complete, detected) =
        open(FeedFormat::AUTO, zipped.clone(), &ReadOptions::default()).await;
    assert_eq!(read.items, plain.items);
    assert!(complete);
    assert_eq!(detected, Some(FeedFormat::KYERO));
    let (read, _, _) = open(FeedFormat::OPENIMMO, zipped, &ReadOptions::default()).await;
    assert!(
        matches!(read.error, Some(FeedError::WrongFormat { .. })),
        "{:?}",
        read.error
    );
}

fn limits(change: impl FnOnce(&mut ArchiveLimits)) -> ReadOptions {
    let mut options = ReadOptions {
        attachment_store: Some(Arc::new(Files::default())),
        ..ReadOptions::default()
    };
    change(&mut options.archive);
    options
}

async fn refusal(bytes: Vec<u8>, options: &ReadOptions) -> String {
    let (read, complete, _) = open(FeedFormat::OPENIMMO, bytes, options).await;
    assert!(!complete);
    assert!(read.items.is_empty());
    match read.error {
        Some(e @ FeedError::Refused { .. }) => e.to_string(),
        other => panic!("not refused: {other:?}"),
    }
}

#[tokio::test]
async fn malicious_archives_are_refused() {
    let doc = || DOC.as_bytes().to_vec();
    for climbing in [
        "../evil.jpg",
        "a/../../evil.jpg",
        "/etc/cron.d/x",
        "..\\..\\evil.jpg",
        "C:/evil.jpg",
    ] {
        let bytes = zip_of(&[("openimmo.xml", doc()), (climbing, b"x".to_vec())]);
        let message = refusal(bytes, &ReadOptions::default()).await;
        assert!(
            message.contains("climbs out of its folder"),
            "{climbing}: {message}"
        );
    }

    let many: Vec<(String, Vec<u8>)> = (0..11).map(|i| (format!("f{i}.jpg"), vec![1])).collect();
    let mut entries: Vec<(&str, Vec<u8>)> =
        many.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    entries.push(("openimmo.xml", doc()));
    let message = refusal(zip_of(&entries), &limits(|l| l.max_entries = 10)).await;
    assert!(
        message.contains("12 entries, more than the 10 accepted"),
        "{message}"
    );

    // A bomb: 8 MiB of zeros deflate to a few KiB.
    let bomb = vec![0u8; 8 << 20];
    let bytes = zip_of(&[("openimmo.xml", doc()), ("bomb.jpg", bomb.clone())]);
    assert!(bytes.len() < 64 * 1024);
    let message = refusal(bytes.clone(), &limits(|l| l.max_total_bytes = 4 << 20)).await;
    assert!(
        message.contains("more than 4 MiB uncompressed"),
        "{message}"
    );
    // Under the total but over the entry limit: the file is not kept, the feed is read.
    let files = Arc::new(Files::default());
    let mut options = limits(|l| l.max_entry_bytes = 1 << 20);
    options.attachment_store = Some(files.clone());
    let (read, _, _) = open(FeedFormat::OPENIMMO, bytes, &options).await;
    assert_eq!(read.ok().len(), 1);
    assert!(files.0.lock().unwrap().is_empty());
    // A document bomb.
    let mut huge = DOC.as_bytes().to_vec();
    huge.splice(
        huge.len() - 12..huge.len() - 12,
        std::iter::repeat_n(b' ', 3 << 20),
    );
    let bytes = zip_of(&[("openimmo.xml", huge)]);
    let message = refusal(bytes, &limits(|l| l.max_document_bytes = 1 << 20)).await;
    assert!(
        message.contains("larger than 1 MiB uncompressed"),
        "{message}"
    );
    // Too large as delivered.
    let message = refusal(delivery(), &limits(|l| l.max_archive_bytes = 100)).await;
    assert!(message.contains("larger than 100 bytes"), "{message}");
}

#[tokio::test]
async fn broken_archives_fail_the_feed() {
    let (read, _, _) = open(
        FeedFormat::OPENIMMO,
        b"PK\x03\x04not really".to_vec(),
        &ReadOptions::default(),
    )
    .await;
    assert!(
        matches!(read.error, Some(FeedError::Malformed { .. })),
        "{:?}",
        read.error
    );
    let (read, _, _) = open(
        FeedFormat::OPENIMMO,
        zip_of(&[("a.jpg", vec![1])]),
        &ReadOptions::default(),
    )
    .await;
    assert!(
        matches!(read.error, Some(FeedError::WrongFormat { .. })),
        "{:?}",
        read.error
    );
}

/// Random bytes, cut and mutated fixtures and archives: never a panic, never a hang.
#[tokio::test]
async fn never_panics_on_arbitrary_bytes() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let options = ReadOptions {
        attachment_store: Some(Arc::new(Files::default())),
        ..ReadOptions::default()
    };
    let seeds = [
        fixture("openimmo/voll.xml"),
        fixture("openimmo/teil.xml"),
        delivery(),
    ];
    for seed in &seeds {
        for _ in 0..150 {
            let mut bytes = seed.clone();
            match rng.below(3) {
                0 => bytes.truncate(rng.below(bytes.len() + 1)),
                1 => {
                    for _ in 0..=rng.below(8) {
                        let at = rng.below(bytes.len());
                        bytes[at] = (rng.bits() & 0xFF) as u8;
                    }
                }
                _ => {
                    let at = rng.below(bytes.len());
                    let from = rng.below(bytes.len());
                    let piece = bytes[from..(from + rng.below(64)).min(bytes.len())].to_vec();
                    bytes.splice(at..at, piece);
                }
            }
            let _ = open(FeedFormat::OPENIMMO, bytes.clone(), &options).await;
            let _ = open(FeedFormat::AUTO, bytes, &options).await;
        }
    }
    for _ in 0..300 {
        let len = rng.below(2000);
        let mut bytes: Vec<u8> = (0..len).map(|_| (rng.bits() & 0xFF) as u8).collect();
        if rng.below(2) == 0 {
            let prefix: &[u8] = match rng.below(3) {
                0 => b"PK\x03\x04",
                1 => b"<openimmo><anbieter><immobilie>",
                _ => b"<?xml version=\"1.0\"?><openimmo>",
            };
            bytes.splice(0..0, prefix.iter().copied());
        }
        let _ = open(FeedFormat::OPENIMMO, bytes, &options).await;
    }
}
