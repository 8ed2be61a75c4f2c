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
