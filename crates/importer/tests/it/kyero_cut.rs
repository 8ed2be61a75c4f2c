//! The Kyero reader's long feeds: after the first properties, each one is cut out of the
//! document unparsed and parsed on a mapping thread. What it reads, and where a broken
//! property fails the feed, must not depend on where the property was parsed.

use propimport_importer::{FeedError, FeedItem};

use crate::{Read, fixture, kyero};

/// The fixture's properties, as written.
fn fixture_properties() -> Vec<String> {
    let doc = String::from_utf8(fixture("kyero.xml")).unwrap();
    doc.split("<property>")
        .skip(1)
        .map(|rest| {
            let end = rest.find("</property>").unwrap() + "</property>".len();
            format!("<property>{}", &rest[..end])
        })
        .collect()
}

/// Properties whose markup hides the end tag in the places the cut must skip.
fn tricky_properties() -> Vec<String> {
    let base = |extra: &str| {
        format!(
            "<property><id>T</id><date>2024-05-01 12:30:00</date><ref>R</ref><price>1</price>\
             <price_freq>sale</price_freq><type>flat</type><town>T</town><province>P</province>\
             {extra}</property>"
        )
    };
    vec![
        base("<desc><en><![CDATA[a </property> b]]></en></desc>"),
        base("<!-- </property> --><desc><en>c</en></desc>"),
        base("<?pi </property> ?>"),
        base(
            r#"<images><image id="1" x="</property>" y='>'><url>https://img.example/1.jpg</url></image></images>"#,
        ),
        base("<notes>private </notes><notes/><desc><en>x &gt; y &euro;</en></desc>"),
        base("<property><id>nested</id></property>"),
        "<property/>".to_owned(),
        // U+FEFF where a parser pass starts (after a start tag) and inside text.
        base("\u{feff}<desc><en>\u{feff}z</en></desc>").replacen(
            "<property>",
            "<property>\u{feff}\u{feff}",
            1,
        ),
        "<property id=\"attr\" >\r\n<id>CRLF</id>\r\n</property >".to_owned(),
    ]
}

/// The items of a read that ended without an error which are not listings: each one's place
/// in the feed (from 1) and its message.
fn failures(read: &Read) -> Vec<(usize, String)> {
    assert!(read.error.is_none(), "{:?}", read.error);
    read.items
        .iter()
        .enumerate()
        .filter_map(|(n, item)| match item {
            FeedItem::Listing(..) => None,
            FeedItem::Failed(f) => Some((n + 1, f.message.clone())),
            FeedItem::Gone(id) => Some((n + 1, format!("gone {id}"))),
            FeedItem::Known(k) => Some((n + 1, format!("known {}", k.external_id))),
        })
        .collect()
}

/// A document of `properties`, in that order.
fn document(properties: &[String]) -> String {
    let mut doc = String::from("<?xml version=\"1.0\"?>\n<root>\n");
    for (n, property) in properties.iter().enumerate() {
        if n % 7 == 3 {
            // Between two properties, as a feed pieced together from exports may hold one.
            doc.push('\u{feff}');
        }
        doc.push_str(property);
        doc.push('\n');
    }
    doc.push_str("</root>\n");
    doc
}

/// The item as text, its place in the feed (`number`, in failure messages) left out.
fn numbered(item: &FeedItem, number: usize) -> String {
    format!("{item:?}").replace(&format!("property {number}:"), "property #:")
}

/// Every property of a long feed reads exactly as it reads alone (its listing or failure,
/// and its kept record), through any buffer size.
#[tokio::test]
async fn a_property_reads_the_same_wherever_it_is_parsed() {
    let kinds: Vec<String> = fixture_properties()
        .into_iter()
        .chain(tricky_properties())
        .collect();
    let mut alone = Vec::new();
    for kind in &kinds {
        let read = kyero(document(std::slice::from_ref(kind)).as_bytes(), 8192).await;
        assert!(read.error.is_none(), "{kind}: {:?}", read.error);
        assert_eq!(read.items.len(), 1, "{kind}");
        alone.push(read.items.into_iter().next().unwrap());
    }
    let long: Vec<String> = (0..1_000).map(|n| kinds[n % kinds.len()].clone()).collect();
    let doc = document(&long);
    for capacity in [64, 8192, 1 << 20] {
        let read = kyero(doc.as_bytes(), capacity).await;
        assert!(
            read.error.is_none(),
            "capacity {capacity}: {:?}",
            read.error
        );
        assert_eq!(read.items.len(), long.len(), "capacity {capacity}");
        for (n, item) in read.items.iter().enumerate() {
            let expected = numbered(&alone[n % kinds.len()], 1);
            assert_eq!(
                numbered(item, n + 1),
                expected,
                "property {}, capacity {capacity}",
                n + 1
            );
        }
    }
}

/// A long feed with a broken property fails at it, at the same place and with the same
/// message whether it is parsed where it is read (among the first properties) or on a
/// mapping thread (further on); the properties before it are all given first.
#[tokio::test]
async fn a_broken_property_fails_the_feed_at_the_same_place_wherever_it_is_parsed() {
    let good = &fixture_properties()[0];
    let broken = good.replace("<town>Málaga</town>", "<town>Málaga</twn>");
    assert_ne!(&broken, good);
    let mut outcomes = Vec::new();
    for at in [3, 700] {
        let mut properties = vec![good.clone(); 800];
        properties[at - 1] = broken.clone();
        let doc = document(&properties);
        let bad_tag_end = doc.find("</twn>").unwrap() + "</twn>".len();
        let read = kyero(doc.as_bytes(), 8192).await;
        assert_eq!(read.items.len(), at - 1, "broken property {at}");
        match read.error {
            Some(FeedError::Malformed {
                at: position,
                message,
            }) => {
                assert_eq!(position.offset, bad_tag_end as u64, "broken property {at}");
                assert_eq!(position.records, (at - 1) as u64, "broken property {at}");
                outcomes.push(message);
            }
            other => panic!("broken property {at}: expected a malformed feed, got {other:?}"),
        }
    }
    assert_eq!(outcomes[0], outcomes[1]);
    assert!(outcomes[0].contains("</twn>"), "{}", outcomes[0]);
}

/// A property over the text limit is not cut out: it is read where it is, so its text is
/// skipped as it streams and it fails alone, however far into the feed it is.
#[tokio::test]
async fn a_property_over_the_text_limit_still_fails_alone() {
    let good = &fixture_properties()[0];
    let long = good.replace(
        "<town>Málaga</town>",
        &format!("<town>{}</town>", "x".repeat(5000)),
    );
    assert!(good.len() < 4096, "the other properties are cut out");
    let mut properties = vec![good.clone(); 300];
    properties[250] = long;
    let doc = document(&properties);
    let read = crate::kyero_limited(doc.as_bytes(), 8192, 4096).await;
    assert_eq!(read.items.len(), 300);
    let failed: Vec<usize> = failures(&read).into_iter().map(|(n, _)| n).collect();
    assert_eq!(failed, [251]);
}

/// A property whose start tag is over the record limit (possible with a text limit above it)
/// fails alone, read where it is, however far into the feed it is.
#[tokio::test]
async fn a_start_tag_over_the_record_limit_fails_its_property_alone() {
    let good = &fixture_properties()[0];
    let huge_tag = format!("<property note=\"{}\">", "n".repeat(5 << 20));
    let mut properties = vec![good.clone(); 100];
    properties[80] = good.replacen("<property>", &huge_tag, 1);
    let doc = document(&properties);
    let read = crate::kyero_limited(doc.as_bytes(), 1 << 16, 8 << 20).await;
    assert_eq!(read.items.len(), 100);
    let failed: Vec<String> = failures(&read)
        .into_iter()
        .map(|(n, message)| format!("{n} {message}"))
        .collect();
    assert_eq!(failed, ["81 property 81: larger than 4 MiB"]);
}
