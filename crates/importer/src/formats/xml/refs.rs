//! What the streaming XML readers share about references and markup: which events are markup,
//! whether a DOCTYPE declares entities, and the text a reference stands for (never an entity
//! the document declares).

use std::borrow::Cow;

use quick_xml::events::{BytesRef, Event};

/// Whether the event is markup (a tag, CDATA, comment, declaration, processing instruction
/// or DOCTYPE) rather than character data or a reference.
pub(crate) fn is_markup(event: &Event<'_>) -> bool {
    !matches!(event, Event::Text(_) | Event::GeneralRef(_) | Event::Eof)
}

/// Whether a DOCTYPE's content declares an entity (`<!ENTITY`, in any case: general or
/// parameter, internal or external).
pub(crate) fn declares_entities(doctype: &[u8]) -> bool {
    const DECLARATION: &[u8] = b"<!ENTITY";
    doctype
        .windows(DECLARATION.len())
        .any(|w| w.eq_ignore_ascii_case(DECLARATION))
}

/// The text an entity or character reference stands for: XML's five entities, a character
/// reference to a character XML allows, or an HTML named entity; `None` for anything else.
pub(crate) fn resolve(reference: &BytesRef<'_>) -> Option<Cow<'static, str>> {
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
