use super::*;

/// After the first properties, a long feed's properties are cut out to be parsed on the
/// mapping threads, but for those the window does not hold whole.
#[tokio::test]
async fn a_long_feed_has_its_properties_parsed_on_the_threads() {
    let property = |n: usize| {
        format!(
            "<property><id>P{n}</id><date>2024-05-01 12:30:00</date><ref>R</ref>\
             <price>1</price><price_freq>sale</price_freq><type>flat</type><town>T</town>\
             <province>P</province><desc><en>{}</en></desc></property>\n",
            "d".repeat(n % 500)
        )
    };
    let count = 2_000;
    let mut doc = String::from("<root>");
    doc.extend((1..=count).map(property));
    doc.push_str("</root>");
    let mut reader = KyeroReader::new(doc.as_bytes());
    for _ in 0..count - 1 {
        let item = reader.next().await.unwrap();
        assert!(matches!(item, Some(FeedItem::Listing(..))), "{item:?}");
    }
    let State::Reading(parser) = &reader.state else {
        panic!("the reader stopped early");
    };
    let cut = usize::try_from(parser.cut_out).unwrap();
    assert!(
        cut > count * 9 / 10,
        "{cut} of {count} properties were cut out"
    );
    let last = reader.next().await.unwrap();
    assert!(matches!(last, Some(FeedItem::Listing(..))), "{last:?}");
    assert!(reader.next().await.unwrap().is_none());
}

/// Reads `doc` to its end, with a text limit: every item with its record's key (its place in
/// failure messages left out, as it is the same either way) and the error that ended it, parsing properties
/// in place only (`cut_out: false`) or cutting them out for the threads.
async fn read_all(doc: &[u8], limit: usize, cut_out: bool) -> (Vec<String>, Option<String>) {
    let input = match decode::open(doc).await {
        Ok(input) => input,
        Err(e) => return (Vec::new(), Some(e.to_string())),
    };
    let mut parser = Parser::new(input, limit, 7);
    parser.scan.doc.stop_at_properties = cut_out;
    let mut items = Vec::new();
    loop {
        match parser.next_record().await {
            // With its record's key: hashed as it is read in place, or cut out.
            Ok(Some(item)) => items.push(format!("{item:?} {:?}", parser.last_key)),
            Ok(None) => return (items, None),
            Err(e) => return (items, Some(e.to_string())),
        }
    }
}

/// Whatever a long document holds, cutting its properties out reads the same items and ends
/// with the same error (at the same place) as parsing them where they are: documents of
/// properties written in several ways, with a few bytes changed, inserted or removed after
/// the first properties or cut short there, read with text limits that some properties pass.
#[tokio::test]
async fn cutting_properties_out_reads_a_damaged_document_as_parsing_in_place_does() {
    let property = |n: usize| {
        let (open, close) = match n % 3 {
            0 => ("<property>".to_owned(), "</property>"),
            1 => ("<PROPERTY lang='x>'>".to_owned(), "</PROPERTY>"),
            _ => (
                "<k:property xmlns:k=\"urn:k\">".to_owned(),
                "</k:property >",
            ),
        };
        let extra = match n % 4 {
            0 if n.is_multiple_of(8) => "<notes>private &amp; kept out</notes>\r\n".to_owned(),
            // Notes empty, nested and twice, with kept bytes between them.
            0 => "<notes/><notes>a<notes>b</notes><x/></notes> <notes></notes>".to_owned(),
            1 => format!(
                "<features><feature>{}</feature></features>",
                "x".repeat(n * 7 % 900)
            ),
            2 => "<town>&bogus;</town>".to_owned(),
            _ => "<?pi x?><!DOCTYPE inner>".to_owned(),
        };
        // U+FEFF (one or two), which quick-xml drops where a pass starts, at the start of a text.
        let bom = match n % 10 {
            0 => "\u{feff}\u{feff}",
            5 => "\u{feff}",
            _ => "",
        };
        format!(
            "{open}{bom}<id>P{n}</id><date>2024-05-01 12:30:00</date><ref>R</ref>\
             <price>{n}</price><price_freq>sale</price_freq><type>flat</type><town>T</town>\
             <province>P</province><!-- c --><desc><en>{bom}<![CDATA[<b>d</b>]]> &amp; e</en></desc>\
             {extra}<images><image id=\"1\"><url>https://img.example/{n}.jpg</url></image></images>\
             {close}\n"
        )
    };
    let mut whole = String::from("<?xml version=\"1.0\"?>\n<root>\n");
    whole.extend((1..=150).map(property));
    whole.push_str("</root>\n");
    let whole = whole.into_bytes();
    for limit in [DEFAULT_MAX_TEXT_BYTES, 300] {
        let (items, error) = read_all(&whole, limit, true).await;
        assert_eq!(error, None);
        assert_eq!(items.len(), 150);
        assert_eq!((items, error), read_all(&whole, limit, false).await);
    }
    let noise = b"<>/!-[]?\"'&;= \nxP\x0c";
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % n as u64).unwrap()
    };
    let mut complete = 0;
    for round in 0..300 {
        let mut doc = whole.clone();
        // After the 70th property, where the threads run.
        let from = whole.len() / 2;
        if round % 5 == 4 {
            // Cut short anywhere, an end of input the threads must pass on in order.
            doc.truncate(from + next(doc.len() - from));
        }
        for _ in 0..next(5) {
            let at = from + next(doc.len() - from);
            match next(3) {
                0 => doc[at] = noise[next(noise.len())],
                1 => {
                    doc.remove(at);
                }
                _ => doc.insert(at, noise[next(noise.len())]),
            }
        }
        let limit = [DEFAULT_MAX_TEXT_BYTES, 300, 800][round % 3];
        let in_place = read_all(&doc, limit, false).await;
        let cut = read_all(&doc, limit, true).await;
        if cut != in_place {
            let changed = doc.iter().zip(&whole).position(|(a, b)| a != b);
            let at = changed.unwrap_or(from);
            let around = &doc[at.saturating_sub(200)..(at + 200).min(doc.len())];
            panic!(
                "round {round}: {} items read cutting out, {} in place; errors {:?} / {:?}; \
                 the document around its first change (byte {at}): {}",
                cut.0.len(),
                in_place.0.len(),
                cut.1,
                in_place.1,
                String::from_utf8_lossy(around)
            );
        }
        complete += usize::from(cut.1.is_none());
    }
    assert!(
        complete > 0,
        "some damaged documents still read to their end"
    );
}
