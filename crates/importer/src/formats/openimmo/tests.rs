//! Unit tests of the OpenImmo reader on small documents.

use super::*;
use crate::formats::{FeedFormat, Format as _, Stage};

const DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<openimmo>
  <uebertragung art="ONLINE" umfang="VOLL" modus="CHANGE" version="1.2.7" sendersoftware="t" senderversion="1"/>
  <anbieter>
    <anbieternr>A1</anbieternr>
    <firma>Muster Immobilien GmbH</firma>
    <immobilie>
      <objektkategorie>
        <vermarktungsart KAUF="true" MIETE_PACHT="false"/>
        <objektart><haus haustyp="EINFAMILIENHAUS"/></objektart>
      </objektkategorie>
      <geo><plz>10115</plz><ort>Berlin</ort><land iso_land="DEU"/></geo>
      <preise><kaufpreis>450000.00</kaufpreis><waehrung iso_waehrung="EUR"/></preise>
      <verwaltung_techn><objektnr_extern>H-1</objektnr_extern><aktion aktionart="CHANGE"/></verwaltung_techn>
    </immobilie>
    <immobilie>
      <verwaltung_techn><objektnr_extern>H-2</objektnr_extern><aktion aktionart="DELETE"/></verwaltung_techn>
    </immobilie>
  </anbieter>
</openimmo>
"#;

async fn read_all(doc: &[u8]) -> (Vec<FeedItem>, Result<(), FeedError>, bool) {
    let mut reader = OpenImmoReader::new(doc, &ReadOptions::default());
    let mut items = Vec::new();
    loop {
        match reader.next().await {
            Ok(Some(item)) => items.push(item),
            Ok(None) => return (items, Ok(()), reader.complete),
            Err(e) => return (items, Err(e), reader.complete),
        }
    }
}

#[tokio::test]
async fn reads_a_full_transfer() {
    let (items, end, complete) = read_all(DOC.as_bytes()).await;
    end.unwrap();
    assert!(complete);
    assert_eq!(items.len(), 2);
    let FeedItem::Listing(listing, Some(raw)) = &items[0] else {
        panic!("{:?}", items[0]);
    };
    assert_eq!(listing.external_id.as_str(), "H-1");
    assert_eq!(listing.property_type.as_deref(), Some("haus"));
    assert_eq!(listing.address.country.as_deref(), Some("DE"));
    assert_eq!(
        listing.office.as_ref().and_then(|o| o.name.as_deref()),
        Some("Muster Immobilien GmbH")
    );
    assert!(matches!(&items[1], FeedItem::Gone(id) if id.as_str() == "H-2"));
    let doc = OpenImmo.single_record_document(raw);
    let (again, end, complete) = read_all(&doc).await;
    end.unwrap();
    assert!(!complete, "a one-record document is a partial transfer");
    assert_eq!(again[0].listing(), Some(listing));
}

#[tokio::test]
async fn partial_and_broken_documents() {
    let teil = DOC.replace("umfang=\"VOLL\"", "umfang=\"TEIL\"");
    let (_, end, complete) = read_all(teil.as_bytes()).await;
    end.unwrap();
    assert!(!complete);
    let cut = &DOC.as_bytes()[..DOC.len() / 2];
    let (_, end, complete) = read_all(cut).await;
    assert!(
        matches!(
            end,
            Err(FeedError::Truncated { .. } | FeedError::Malformed { .. })
        ),
        "{end:?}"
    );
    assert!(!complete);
    let (_, end, _) = read_all(b"<root><property/></root>").await;
    assert!(matches!(end, Err(FeedError::WrongFormat { .. })), "{end:?}");
    let bomb = b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]><openimmo/>";
    let (_, end, _) = read_all(bomb).await;
    assert!(matches!(end, Err(FeedError::Refused { .. })), "{end:?}");
    let (_, end, _) = read_all(b"<openimmo></openimmo><x/>").await;
    assert!(matches!(end, Err(FeedError::Malformed { .. })), "{end:?}");
    for cut in [
        "<openimmo><anbieter><immobilie><preise>",
        "<openimmo><anbieter><firma>F",
        "<openimmo><anbieter>",
        "<openimmo>",
    ] {
        let (_, end, complete) = read_all(cut.as_bytes()).await;
        assert!(
            matches!(end, Err(FeedError::Truncated { .. })),
            "{cut}: {end:?}"
        );
        assert!(!complete);
    }
    let deep = format!("<openimmo>{}", "<a>".repeat(300));
    let (_, end, _) = read_all(deep.as_bytes()).await;
    assert!(matches!(end, Err(FeedError::Refused { .. })), "{end:?}");
}

#[tokio::test]
async fn a_bad_record_fails_alone() {
    let doc = DOC.replace("450000.00", "viel");
    let (items, end, _) = read_all(doc.as_bytes()).await;
    end.unwrap();
    let FeedItem::Failed(error) = &items[0] else {
        panic!("{:?}", items[0]);
    };
    assert_eq!(error.stage, Stage::Map);
    assert_eq!(error.external_id.as_deref(), Some("H-1"));
    assert!(
        error.message.contains("immobilie 1: preise/kaufpreis"),
        "{}",
        error.message
    );
    assert!(matches!(items[1], FeedItem::Gone(_)));
}

#[test]
fn sniffs_openimmo_only() {
    assert_eq!(
        FeedFormat::sniff(DOC.as_bytes()),
        Some(FeedFormat::OPENIMMO)
    );
    assert_eq!(FeedFormat::parse("OpenImmo"), Some(FeedFormat::OPENIMMO));
    assert_ne!(
        FeedFormat::sniff(b"<root><kyero></kyero></root>"),
        Some(FeedFormat::OPENIMMO)
    );
}

async fn read_with(doc: &[u8], options: &ReadOptions) -> Vec<FeedItem> {
    let mut reader = OpenImmoReader::new(tokio::io::BufReader::with_capacity(7, doc), options);
    let mut items = Vec::new();
    while let Some(item) = reader.next().await.unwrap() {
        items.push(item);
    }
    items
}

/// A sale record with id `id` and `extra` inside it.
fn record(id: &str, extra: &str) -> String {
    format!(
        "<immobilie>{extra}<objektkategorie><vermarktungsart KAUF=\"true\"/></objektkategorie><preise><kaufpreis>10</kaufpreis></preise><verwaltung_techn><objektnr_extern>{id}</objektnr_extern></verwaltung_techn></immobilie>"
    )
}

#[tokio::test]
async fn keeps_the_record_as_written_without_comments() {
    let first = record(
        "K-1",
        "<!-- x --><a b=\"1 &amp; 2\">&euro;<?pi?><![CDATA[<b>]]>\r\n</a  >",
    );
    let doc = format!(
        "<openimmo><uebertragung umfang=\"VOLL\" sprache=\"de\"/><anbieter><!-- c --><firma>F &amp; G</firma>\n{first}<ort>x</ort>{}</anbieter></openimmo>",
        record("K-2", "")
    );
    let items = read_with(doc.as_bytes(), &ReadOptions::default()).await;
    let kept: Vec<String> = items
        .iter()
        .map(|item| match item {
            FeedItem::Listing(_, Some(raw)) => String::from_utf8(raw.clone()).unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    let head = "<uebertragung umfang=\"TEIL\" sprache=\"de\"/><anbieter><firma>F &amp; G</firma>";
    let first = first
        .replace("<!-- x -->", "")
        .replace("<?pi?>", "")
        .replace("</a  >", "</a>");
    assert_eq!(kept[0], format!("{head}{first}</anbieter>"));
    assert_eq!(
        kept[1],
        format!("{head}<ort>x</ort>{}</anbieter>", record("K-2", ""))
    );
    let office = items[1].listing().and_then(|l| l.office.clone()).unwrap();
    assert_eq!(office.name.as_deref(), Some("F & G"));
}

#[tokio::test]
async fn limits_fail_one_record_or_one_header_element() {
    let options = ReadOptions {
        max_text_bytes: 100,
        ..ReadOptions::default()
    };
    let long = "y".repeat(150);
    let doc = format!(
        "<openimmo><anbieter><firma>{long}</firma><anbieternr>A1</anbieternr>{}{}{}{}{}</anbieter></openimmo>",
        record(
            "L-1",
            &format!("<freitexte><lage>{long}</lage></freitexte>")
        ),
        record("L-2", "<x>&xxe;</x>"),
        record(
            "L-3",
            &format!("<x>{}<y/>{}</x>", "z".repeat(60), "z".repeat(60))
        ),
        record("L-4", &format!("<x><![CDATA[{long}]]></x>")),
        record("L-5", "<x a=\"&xxe;\"/>"),
    );
    let items = read_with(doc.as_bytes(), &options).await;
    let messages: Vec<String> = items
        .iter()
        .map(|item| match item {
            FeedItem::Failed(e) => {
                assert_eq!(e.stage, Stage::Parse);
                e.message.clone()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(messages.len(), 5);
    assert!(
        messages[0].contains("immobilie 1: freitexte/lage: a text longer than 100 bytes"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("immobilie 2: x: the reference &xxe;"),
        "{messages:?}"
    );
    assert!(
        messages[2].contains("immobilie 3: x: a text longer than 100 bytes"),
        "{messages:?}"
    );
    assert!(messages[3].contains("immobilie 4: x: a text longer"));
    assert!(
        messages[4].contains("immobilie 5: x: attribute a"),
        "{messages:?}"
    );

    let doc = format!(
        "<openimmo><anbieter><firma>{long}</firma><anbieternr>A1</anbieternr>{}</anbieter></openimmo>",
        record("L-6", "")
    );
    let items = read_with(doc.as_bytes(), &options).await;
    let office = items[0].listing().and_then(|l| l.office.clone()).unwrap();
    assert_eq!(
        (office.id.as_deref(), office.name),
        (Some("A1"), None),
        "a header element over the text limit is left out"
    );
}

#[tokio::test]
async fn a_record_over_the_record_limit_fails_alone() {
    let big = format!("<x>{}</x>", "z".repeat(1000)).repeat(5000);
    let doc = format!(
        "<openimmo><anbieter><firma>{}</firma><anbieternr>A1</anbieternr>{}{}</anbieter></openimmo>",
        "f".repeat(70 * 1024),
        record("B-1", &big),
        record("B-2", "")
    );
    let items = read_with(doc.as_bytes(), &ReadOptions::default()).await;
    let FeedItem::Failed(error) = &items[0] else {
        panic!("{:?}", items[0]);
    };
    assert!(
        error.message.contains("immobilie 1: larger than 4 MiB"),
        "{}",
        error.message
    );
    let FeedItem::Listing(listing, Some(raw)) = &items[1] else {
        panic!("{:?}", items[1]);
    };
    assert_eq!(listing.external_id.as_str(), "B-2");
    let office = listing.office.clone().unwrap();
    assert_eq!(
        (office.id.as_deref(), office.name),
        (Some("A1"), None),
        "a header element over 64 KiB is left out"
    );
    assert!(raw.starts_with(
        b"<uebertragung umfang=\"TEIL\"/><anbieter><anbieternr>A1</anbieternr><immobilie>"
    ));
}
