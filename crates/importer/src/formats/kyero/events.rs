//! The few things the Kyero reader takes from each XML event: element names and `id`
//! attributes, text with entities resolved, ends, and whether a DOCTYPE declares entities.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use crate::formats::xml::refs::{declares_entities, resolve};

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

/// The token of one event. Text is EOL-normalized; comments, declarations and processing
/// instructions are skipped; entities are never declared nor expanded.
pub(super) fn token<'a>(event: &'a Event<'_>) -> Token<'a> {
    match event {
        Event::Start(e) => Token::Open {
            raw: e.name().into_inner(),
            name: local_name(e.name().into_inner()),
            id: id_attribute(e),
        },
        Event::Empty(e) => Token::Empty {
            raw: e.name().into_inner(),
            name: local_name(e.name().into_inner()),
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

/// The local part of an element's name as written (after the first `:`), as quick-xml's
/// `local_name` gives it; names are short, so a plain scan costs less than its search.
fn local_name(raw: &str) -> &str {
    match raw.bytes().position(|b| b == b':') {
        Some(colon) => &raw[colon + 1..],
        None => raw,
    }
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

#[cfg(test)]
mod tests {
    use quick_xml::name::QName;

    #[test]
    fn local_names_are_the_parser_s() {
        for name in ["a", "k:property", ":x", "x:", "a:b:c", "é:ü", ""] {
            let expected = QName(name).local_name().into_inner();
            assert_eq!(super::local_name(name), expected, "{name:?}");
        }
    }
}
