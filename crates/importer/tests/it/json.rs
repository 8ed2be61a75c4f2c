//! The propimport JSON reader: arrays, NDJSON, record failures, broken documents, FORMAT.md.

use propimport_domain::{Currency, LanguageCode, Money, Price, Transaction};
use propimport_importer::FeedError;
use propimport_importer::formats::Stage;

use crate::{fixture, json};

#[tokio::test]
async fn reads_an_array_element_by_element() {
    let read = json(&fixture("listings.json"), 8192).await;
    assert!(read.error.is_none(), "{:?}", read.error);
    assert_eq!(read.items.len(), 4);
    let listings = read.listings();
    let ids: Vec<&str> = listings.iter().map(|l| l.external_id.as_str()).collect();
    assert_eq!(ids, ["J-1", "J-2", "J-4"]);

    let first = listings[0];
    let eur = Money::from_minor(32_500_000, Currency::EUR).unwrap();
    assert_eq!(first.price, Price::Amount { amount: eur });
    assert_eq!(first.transaction, Transaction::Sale);
    assert_eq!(first.bedrooms, Some(3));
    assert_eq!(first.address.town.as_deref(), Some("Mijas"));
    let en = &first.texts[&LanguageCode::parse("en").unwrap()];
    assert_eq!(
        en.description.as_deref(),
        Some(r#"A villa, 5' 3" wide], {x}, with a \"#)
    );
    assert!(
        first
            .texts
            .contains_key(&LanguageCode::parse("pt-br").unwrap())
    );
    assert_eq!(first.images.len(), 2);
    let modified = first.source_modified_at.unwrap().to_rfc3339();
    assert_eq!(modified, "2024-05-01T10:30:00+00:00");
    assert_eq!(
        (listings[1].price, listings[1].transaction),
        (Price::OnRequest, Transaction::RentMonthly)
    );

    let failure = read.failures()[0];
    assert_eq!(
        (failure.external_id.as_deref(), failure.stage),
        (Some("J-3"), Stage::Validate)
    );
    assert!(
        failure.message.starts_with("element 3: "),
        "{}",
        failure.message
    );
    assert!(failure.message.contains("currency"), "{}", failure.message);
}

#[tokio::test]
async fn ndjson_lines_fail_alone() {
    let read = json(&fixture("listings.ndjson"), 8192).await;
    assert!(read.error.is_none(), "{:?}", read.error);
    let ids: Vec<&str> = read
        .listings()
        .iter()
        .map(|l| l.external_id.as_str())
        .collect();
    assert_eq!(ids, ["J-1", "J-4", "J-7"]);
    let failures: Vec<(Option<&str>, Stage, String)> = read
        .failures()
        .into_iter()
        .map(|f| {
            (
                f.external_id.as_deref(),
                f.stage,
                f.message.chars().take(7).collect(),
            )
        })
        .collect();
    assert_eq!(
        failures,
        [
            (Some("J-BROKEN"), Stage::Parse, "line 3:".to_owned()),
            (Some("J-NEG"), Stage::Validate, "line 4:".to_owned()),
            (Some("J-6"), Stage::Validate, "line 6:".to_owned()),
        ]
    );
    assert!(read.failures()[1].message.contains("negative"));
    assert!(
        read.failures()[2]
            .message
            .contains("missing field `transaction`")
    );
}

#[tokio::test]
async fn a_broken_array_fails_the_feed_after_the_good_elements() {
    let read = json(&fixture("broken-array.json"), 16).await;
    assert_eq!(read.listings().len(), 1);
    match read.error {
        Some(FeedError::Malformed { at, message }) => {
            assert_eq!((at.records, at.line), (1, Some(3)));
            assert!(message.starts_with("element 2: "), "{message}");
        }
        other => panic!("expected a malformed feed, got {other:?}"),
    }
}

#[tokio::test]
async fn broken_documents_fail_the_feed() {
    let one = r#"{"externalId":"J","transaction":"sale","price":{"kind":"onRequest"}}"#;
    let cases: Vec<(String, &str)> = vec![
        (format!("[{one}"), "truncated"),
        (format!("[{one},"), "truncated"),
        (format!("[{one},]"), "malformed"),
        (format!("[{one},,{one}]"), "malformed"),
        (format!("[{one}] {one}"), "malformed"),
        (format!("[{one} {one}]"), "malformed"),
        (format!("[{one}, nonsense]"), "malformed"),
        ("<html>oops</html>".into(), "not a propimport JSON feed"),
        (format!("{one}\n{{\"externalId\": \"cut"), "truncated"),
    ];
    for (doc, expected) in cases {
        let read = json(doc.as_bytes(), 8).await;
        let error = read.error.map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains(expected), "{doc:?}: {error:?}");
    }
    let utf16 = json(b"\xFF\xFE[\x00]\x00", 8).await;
    assert!(matches!(
        utf16.error,
        Some(FeedError::UnsupportedEncoding { .. })
    ));
}

#[tokio::test]
async fn accepts_empty_arrays_a_bom_and_a_last_line_without_newline() {
    assert!(json(b"[]", 1).await.ok().is_empty());
    assert!(json(b"  [ \n ]  \n", 1).await.ok().is_empty());
    // A document without content is NDJSON without lines: no records, no error (the
    // importer refuses it as an empty feed unless the source allows that).
    assert!(json(b"", 1).await.ok().is_empty());
    assert!(json(b" \n\t \r\n", 1).await.ok().is_empty());
    assert!(json(b"\xEF\xBB\xBF\n", 1).await.ok().is_empty());
    let one = r#"{"externalId":"J","transaction":"sale","price":{"kind":"onRequest"}}"#;
    let with_bom = format!("\u{feff}[{one}]");
    assert_eq!(json(with_bom.as_bytes(), 1).await.ok().len(), 1);
    assert_eq!(json(one.as_bytes(), 3).await.ok().len(), 1);
    let read = json(format!("{one}\n{one}\n").as_bytes(), 5).await;
    assert_eq!(read.ok().len(), 2);
}

#[tokio::test]
async fn a_huge_element_fails_alone() {
    let one = r#"{"externalId":"J","transaction":"sale","price":{"kind":"onRequest"}}"#;
    let huge = format!(
        r#"{{"externalId":"BIG","filler":"{}"}}"#,
        "x".repeat(5 << 20)
    );
    for doc in [format!("[{huge},{one}]"), format!("{huge}\n{one}\n")] {
        let read = json(doc.as_bytes(), 64 * 1024).await;
        let failure = read.failures()[0];
        assert_eq!(failure.stage, Stage::Parse);
        assert!(
            failure.message.contains("larger than 4 MiB"),
            "{}",
            failure.message
        );
        assert_eq!(read.ok().len(), 2);
    }
}

#[tokio::test]
async fn the_example_of_format_md_is_valid() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/FORMAT.md")).unwrap();
    let example = doc
        .split("```json")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let read = json(example.as_bytes(), 8192).await;
    assert!(
        read.error.is_none() && read.failures().is_empty(),
        "{read:?}"
    );
    let listings = read.listings();
    assert_eq!(listings.len(), 2);
    // What we document is what we write: the example is the serde form, field for field.
    let written = serde_json::to_value(listings[0]).unwrap();
    let documented: serde_json::Value = serde_json::from_str(example).unwrap();
    assert_eq!(written, documented[0]);
    let ndjson: String = documented
        .as_array()
        .unwrap()
        .iter()
        .map(|v| format!("{v}\n"))
        .collect();
    assert_eq!(json(ndjson.as_bytes(), 8192).await.ok().len(), 2);
}
