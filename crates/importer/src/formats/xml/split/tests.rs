use quick_xml::Reader;
use quick_xml::events::Event;

use super::*;

/// Where the pull parser, configured as the readers configure it, ends the element: the
/// reference the search must agree with.
fn parsed_end(content: &[u8], name: &[u8]) -> Option<usize> {
    let mut xml = Reader::from_reader(content);
    let config = xml.config_mut();
    config.allow_dangling_amp = true;
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    let mut depth = 1usize;
    loop {
        match xml.read_event().ok()? {
            Event::Start(e) if e.name().into_inner().as_bytes() == name => depth += 1,
            Event::End(e) if e.name().into_inner().as_bytes() == name => {
                depth -= 1;
                if depth == 0 {
                    return usize::try_from(xml.buffer_position()).ok();
                }
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

fn end(content: &str) -> Split {
    element_end(content.as_bytes(), b"property")
}

#[test]
fn the_matching_end_tag_ends_the_element() {
    let content = "<id>1</id><price>100</price></property><property>";
    assert_eq!(
        end(content),
        Split::End(content.find("<property>").unwrap())
    );
    assert_eq!(end("</property >tail"), Split::End(12));
}

#[test]
fn end_tags_hidden_in_markup_do_not_end_it() {
    for content in [
        "<desc><![CDATA[ a </property> b ]]></desc></property>",
        "<!-- </property> --></property>",
        "<?pi </property> ?></property>",
        r#"<a title="</property>" b='>'>x</a></property>"#,
        "<property><id>1</id></property></property>",
        "<property/><x/></property>",
        "a &amp; b &euro; c > d</property>",
    ] {
        let expected = parsed_end(content.as_bytes(), b"property");
        assert_eq!(end(content), Split::End(expected.unwrap()), "{content}");
        assert_eq!(expected, Some(content.len()), "{content}");
    }
}

#[test]
fn a_content_without_its_end_is_cut() {
    for content in [
        "",
        "<id>1</id>",
        "<id>1</id><",
        "<id",
        "<!-- </property>",
        "<![CDATA[ </property>",
        "<![CDAT",
        "<?pi ",
        "</propert",
        r#"<a b="</property>"#,
    ] {
        assert_eq!(end(content), Split::Cut, "{content:?}");
    }
}

#[test]
fn what_it_does_not_read_is_left_to_the_parser() {
    for content in [
        "<!DOCTYPE x></property>",
        "<!ELEMENT x ANY></property>",
        "a < b</property>",
        "<></property>",
        "</></property>",
        "</property x></property>",
        "</r'f></property>",
        "<?></property>",
        "</a\"></property>",
    ] {
        assert_eq!(end(content), Split::GiveUp, "{content:?}");
    }
}

/// Names are read as the parser reads them: a form feed is not white space, and a `/`
/// inside a start tag's name is part of it.
#[test]
fn names_end_where_the_parser_ends_them() {
    for content in [
        "<property/x>a</property/x></property>",
        "<property\x0c></property\x0c></property>",
        "<property/><property/ x='1'/></property>",
    ] {
        let expected = parsed_end(content.as_bytes(), b"property");
        assert_eq!(expected, Some(content.len()), "{content:?}");
        assert_eq!(end(content), Split::End(content.len()), "{content:?}");
    }
}

#[test]
fn names_are_compared_as_written() {
    assert_eq!(
        element_end(b"<k:property></k:property></k:property>", b"k:property"),
        Split::End(38)
    );
    // Another element's end tag, or another case, does not end it.
    assert_eq!(end("</Property></k:property>"), Split::Cut);
}

/// A small generator of well-formed contents from the pieces the search must tell apart.
struct Pieces(u64);

impl Pieces {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }

    /// Well-formed content, nested at most `depth` deeper.
    fn content(&mut self, depth: u32, out: &mut String) {
        for _ in 0..self.next(5) {
            match self.next(11) {
                0 => out.push_str("plain text > with &amp; refs"),
                1 => out.push_str("<!-- </property> <a> -- -->"),
                2 => out.push_str("<![CDATA[ </property> <b> ]] > ]]>"),
                3 => out.push_str("<?target </property> > ?>"),
                4 => out.push_str(r#"<e a="</property>" b='x>y' c="'"/>"#),
                5 => out.push_str("<property/>"),
                6 => out.push_str("\r\n\t "),
                7 | 8 if depth > 0 => {
                    let name = if self.next(2) == 0 {
                        "property"
                    } else {
                        "desc"
                    };
                    out.push_str(&format!("<{name} lang=\"en\">"));
                    self.content(depth - 1, out);
                    let space = if self.next(2) == 0 { "" } else { " " };
                    out.push_str(&format!("</{name}{space}>"));
                }
                _ => out.push_str("<id>42</id>"),
            }
        }
    }
}

#[test]
fn the_search_agrees_with_the_parser_on_generated_contents() {
    let mut pieces = Pieces(7);
    for _ in 0..3000 {
        let mut content = String::new();
        pieces.content(4, &mut content);
        let ends_at = content.len() + "</property>".len();
        content.push_str("</property><next>");
        assert_eq!(parsed_end(content.as_bytes(), b"property"), Some(ends_at));
        assert_eq!(end(&content), Split::End(ends_at), "{content}");
        // Every proper prefix is cut (or given up on), never ended elsewhere.
        for cut in (0..ends_at).step_by(7) {
            assert_eq!(end(&content[..cut]), Split::Cut, "{:?}", &content[..cut]);
        }
    }
}
