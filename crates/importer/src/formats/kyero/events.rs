//! The few things the Kyero reader takes from each XML event: element names and `id`
//! attributes, text with entities resolved, ends.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesRef, BytesStart, Event};

/// The part of an XML event the reader acts on, owned so the event buffer can be reused.
pub(super) enum Token {
    Open { name: String, id: Option<String> },
    Empty { name: String, id: Option<String> },
    Close,
    Text(String),
    Eof,
    Skip,
}

/// The token of one event. Text is EOL-normalized; comments, declarations, processing
/// instructions and DTDs (whose entities are never expanded) are skipped.
pub(super) fn token(event: Event<'_>) -> Token {
    match event {
        Event::Start(e) => Token::Open {
            name: name(&e),
            id: id_attribute(&e),
        },
        Event::Empty(e) => Token::Empty {
            name: name(&e),
            id: id_attribute(&e),
        },
        Event::End(_) => Token::Close,
        Event::Text(t) => Token::Text(t.xml10_content().into_owned()),
        Event::CData(c) => Token::Text(c.xml10_content().into_owned()),
        Event::GeneralRef(r) => Token::Text(resolve(&r)),
        Event::Eof => Token::Eof,
        Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => Token::Skip,
    }
}

/// The element's local name (no namespace prefix), lower-cased.
fn name(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_ascii_lowercase()
}

/// The element's `id` attribute, trimmed (attributes after a malformed one are not read).
fn id_attribute(e: &BytesStart<'_>) -> Option<String> {
    e.attributes()
        .map_while(Result::ok)
        .find(|a| a.key.local_name().as_ref().eq_ignore_ascii_case("id"))
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok())
        .map(|v| v.trim().to_owned())
}

/// The text an entity or character reference stands for; an unknown one is kept as written.
fn resolve(reference: &BytesRef<'_>) -> String {
    let name: &str = reference;
    if reference.is_char_ref() {
        if let Ok(Some(c)) = reference.resolve_char_ref() {
            return c.to_string();
        }
        return format!("&{name};");
    }
    match name {
        "lt" => "<".into(),
        "gt" => ">".into(),
        "amp" => "&".into(),
        "apos" => "'".into(),
        "quot" => "\"".into(),
        _ => html_escape::decode_html_entities(&format!("&{name};")).into_owned(),
    }
}
