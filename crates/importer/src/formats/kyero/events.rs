//! The few things the Kyero reader takes from each XML event: element names and `id`
//! attributes, text with entities resolved, ends, and whether a DOCTYPE declares entities.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesRef, BytesStart, Event};

/// The part of an XML event the reader acts on, borrowed from the event where it can be.
pub(super) enum Token<'a> {
    /// A start tag: its name as written (to match its end tag), its local name and `id`.
    Open {
        raw: &'a str,
        name: &'a str,
        id: Option<Cow<'a, str>>,
    },
    /// An empty-element tag.
    Empty {
        raw: &'a str,
        name: &'a str,
        id: Option<Cow<'a, str>>,
    },
    /// An end tag, its name as written.
    Close {
        raw: &'a str,
    },
    Text(Cow<'a, str>),
    /// A reference that stands for nothing known, as written (`&xxe;`, `&#0;`).
    BadRef(String),
    /// A DOCTYPE; whether its internal subset declares entities.
    DocType {
        declares_entities: bool,
    },
    Eof,
    Skip,
}

/// Whether the event is markup (a tag, CDATA, comment, declaration, processing instruction
/// or DOCTYPE) rather than character data or a reference.
pub(super) fn is_markup(event: &Event<'_>) -> bool {
    !matches!(event, Event::Text(_) | Event::GeneralRef(_) | Event::Eof)
}

/// The token of one event. Text is EOL-normalized; comments, declarations and processing
/// instructions are skipped; entities are never declared nor expanded.
pub(super) fn token<'a>(event: &'a Event<'_>) -> Token<'a> {
    match event {
        Event::Start(e) => Token::Open {
            raw: e.name().into_inner(),
            name: e.local_name().into_inner(),
            id: id_attribute(e),
        },
        Event::Empty(e) => Token::Empty {
            raw: e.name().into_inner(),
            name: e.local_name().into_inner(),
            id: id_attribute(e),
        },
        Event::End(e) => Token::Close {
            raw: e.name().into_inner(),
        },
        Event::Text(t) => Token::Text(t.xml10_content()),
        Event::CData(c) => Token::Text(c.xml10_content()),
        Event::GeneralRef(r) => match resolve(r) {
            Some(text) => Token::Text(text),
            None => Token::BadRef(format!("&{};", &**r)),
        },
        Event::DocType(d) => Token::DocType {
            declares_entities: declares_entities(d.as_bytes()),
        },
        Event::Eof => Token::Eof,
        Event::Comment(_) | Event::Decl(_) | Event::PI(_) => Token::Skip,
    }
}

/// Whether a DOCTYPE's content declares an entity (`<!ENTITY`, in any case: general or
/// parameter, internal or external).
fn declares_entities(doctype: &[u8]) -> bool {
    const DECLARATION: &[u8] = b"<!ENTITY";
    doctype
        .windows(DECLARATION.len())
        .any(|w| w.eq_ignore_ascii_case(DECLARATION))
}

/// The element's `id` attribute, trimmed (attributes after a malformed one are not read).
fn id_attribute<'a>(e: &'a BytesStart<'_>) -> Option<Cow<'a, str>> {
    if e.attributes_raw().trim_ascii().is_empty() {
        return None;
    }
    let value = e
        .attributes()
        .map_while(Result::ok)
        .find(|a| a.key.local_name().as_ref().eq_ignore_ascii_case("id"))
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok())?;
    Some(match value {
        Cow::Borrowed(v) => Cow::Borrowed(v.trim()),
        Cow::Owned(v) => Cow::Owned(v.trim().to_owned()),
    })
}

/// The text an entity or character reference stands for: XML's five entities, a character
/// reference to a character XML allows, or an HTML named entity; `None` for anything else.
fn resolve(reference: &BytesRef<'_>) -> Option<Cow<'static, str>> {
    let name: &str = reference;
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(c)) if is_xml_char(c) => Some(Cow::Owned(c.to_string())),
            _ => None,
        };
    }
    let known = match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "apos" => "'",
        "quot" => "\"",
        _ => {
            let written = format!("&{name};");
            let decoded = html_escape::decode_html_entities(&written);
            return (decoded != written).then(|| Cow::Owned(decoded.into_owned()));
        }
    };
    Some(Cow::Borrowed(known))
}

/// XML 1.0's `Char` production (Rust's `char` already excludes surrogates).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(reference: &str) -> Option<String> {
        resolve(&BytesRef::new(reference)).map(Cow::into_owned)
    }

    #[test]
    fn resolves_known_references_only() {
        assert_eq!(text_of("amp").as_deref(), Some("&"));
        assert_eq!(text_of("euro").as_deref(), Some("€"));
        assert_eq!(text_of("#x41").as_deref(), Some("A"));
        assert_eq!(text_of("#233").as_deref(), Some("é"));
        for unknown in [
            "xxe", "#0", "#1", "#xFFFE", "#x110000", "#", "lol9", "#xD800",
        ] {
            assert_eq!(text_of(unknown), None, "{unknown}");
        }
        assert!(declares_entities(b"root [ <!entity x 'y'> ]"));
        assert!(!declares_entities(b"root SYSTEM \"kyero.dtd\""));
    }
}
