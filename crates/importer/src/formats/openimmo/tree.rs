//! One `<immobilie>` (or the `<anbieter>` header before it) as a small owned tree built from
//! XML events, so the mapping can read its children in any order, plus the record's raw bytes
//! (re-serialised from the same events) to keep with the listing.
//!
//! A record is bounded: once its raw bytes pass [`MAX_RECORD_BYTES`] (or a text node passes
//! the text limit) the builder stops keeping content and the record fails alone.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesRef, BytesStart, Event};

use crate::formats::MAX_RECORD_BYTES;

/// An element: lower-case local name, attributes (lower-case local names, values
/// normalised), direct text, and its children (indexes into the tree).
#[derive(Debug, Default)]
struct Elem {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<usize>,
}

/// A finished element tree; the first element is the root.
#[derive(Debug, Default)]
pub(super) struct Tree {
    elems: Vec<Elem>,
}

/// An element of a [`Tree`], as the mapping reads it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Node<'a> {
    tree: &'a Tree,
    elem: &'a Elem,
}

impl Tree {
    /// The root element, if any.
    pub fn root(&self) -> Option<Node<'_>> {
        self.elems.first().map(|elem| Node { tree: self, elem })
    }
}

impl<'a> Node<'a> {
    /// The element's lower-case local name.
    pub fn name(self) -> &'a str {
        &self.elem.name
    }

    /// The child elements, in document order.
    pub fn children(self) -> impl Iterator<Item = Node<'a>> {
        let tree = self.tree;
        self.elem
            .children
            .iter()
            .filter_map(move |&i| tree.elems.get(i).map(|elem| Node { tree, elem }))
    }

    /// The first child named `name`.
    pub fn child(self, name: &str) -> Option<Node<'a>> {
        self.children().find(|c| c.name() == name)
    }

    /// The children named `name`.
    pub fn all(self, name: &'a str) -> impl Iterator<Item = Node<'a>> {
        self.children().filter(move |c| c.name() == name)
    }

    /// The element at `path` below this one (`verwaltung_techn/objektnr_extern`).
    pub fn at(self, path: &str) -> Option<Node<'a>> {
        path.split('/')
            .try_fold(self, |node, name| node.child(name))
    }

    /// The trimmed, non-empty text of this element.
    pub fn value(self) -> Option<&'a str> {
        Some(self.elem.text.trim()).filter(|t| !t.is_empty())
    }

    /// The trimmed, non-empty text of the element at `path`.
    pub fn value_at(self, path: &str) -> Option<&'a str> {
        self.at(path).and_then(Node::value)
    }

    /// The trimmed, non-empty value of the attribute `name` (lower-case local name).
    pub fn attr(self, name: &str) -> Option<&'a str> {
        self.elem
            .attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The attributes, as (lower-case name, value).
    pub fn attrs(self) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.elem.attrs.iter().map(|(k, v)| (k.as_str(), v.trim()))
    }
}

/// Builds a [`Tree`] and the raw bytes of one element from its events.
#[derive(Debug, Default)]
pub(super) struct Builder {
    tree: Tree,
    /// Open elements, innermost last.
    stack: Vec<usize>,
    /// The element re-serialised (comments and processing instructions left out).
    pub raw: Vec<u8>,
    /// Why the element fails, once it does.
    pub failure: Option<String>,
    /// The longest text node kept.
    max_text: usize,
    /// The most raw bytes kept.
    max_bytes: usize,
}

impl Builder {
    /// A builder keeping at most `max_bytes` (at most [`MAX_RECORD_BYTES`]) and text nodes of
    /// at most `max_text` bytes.
    pub fn new(max_text: usize, max_bytes: usize) -> Self {
        Self {
            max_text,
            max_bytes: max_bytes.min(MAX_RECORD_BYTES),
            ..Self::default()
        }
    }

    /// The open elements' names from the root, as `immobilie/preise/kaufpreis`.
    pub fn path(&self) -> String {
        let names: Vec<&str> = self
            .stack
            .iter()
            .filter_map(|&i| self.tree.elems.get(i).map(|e| e.name.as_str()))
            .collect();
        names.join("/")
    }

    /// Acts on one event inside the element (its start tag included); returns true once the
    /// element has ended.
    pub fn event(&mut self, event: &Event<'_>) -> bool {
        match event {
            Event::Start(e) => {
                self.write(&[b"<", b(e), b">"]);
                self.open(e);
                false
            }
            Event::Empty(e) => {
                self.write(&[b"<", b(e), b"/>"]);
                self.open(e);
                self.stack.pop();
                self.stack.is_empty()
            }
            Event::End(e) => {
                self.write(&[b"</", e.name().into_inner().as_bytes(), b">"]);
                self.stack.pop();
                self.stack.is_empty()
            }
            Event::Text(t) => {
                self.write(&[b(t)]);
                self.text(&t.xml10_content());
                false
            }
            Event::CData(c) => {
                self.write(&[b"<![CDATA[", b(c), b"]]>"]);
                self.text(&c.xml10_content());
                false
            }
            Event::GeneralRef(r) => {
                self.write(&[b"&", b(r), b";"]);
                match resolve(r) {
                    Some(text) => self.text(&text),
                    None => self.fail(format!(
                        "{}: the reference &{}; stands for nothing known",
                        self.path(),
                        &**r
                    )),
                }
                false
            }
            _ => false,
        }
    }

    /// The element read, or why it failed.
    pub fn finish(&mut self) -> Result<Tree, String> {
        self.stack.clear();
        match self.failure.take() {
            Some(reason) => {
                self.tree.elems.clear();
                self.raw.clear();
                Err(reason)
            }
            None => Ok(std::mem::take(&mut self.tree)),
        }
    }

    /// Fails the element: its content is no longer kept.
    pub fn fail(&mut self, reason: String) {
        if self.failure.is_none() {
            self.failure = Some(reason);
        }
    }

    fn write(&mut self, parts: &[&[u8]]) {
        if self.failure.is_some() {
            return;
        }
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if self.raw.len() + len > self.max_bytes {
            self.fail(format!(
                "larger than {}",
                crate::formats::size(self.max_bytes)
            ));
            return;
        }
        for part in parts {
            self.raw.extend_from_slice(part);
        }
    }

    fn open(&mut self, e: &BytesStart<'_>) {
        let index = self.tree.elems.len();
        if self.failure.is_none() {
            let mut elem = Elem {
                name: e.local_name().into_inner().to_ascii_lowercase(),
                ..Elem::default()
            };
            for attr in e.attributes() {
                match attr {
                    Ok(a) => {
                        let key = a.key.local_name().into_inner().to_ascii_lowercase();
                        match a.normalized_value(XmlVersion::Implicit1_0) {
                            Ok(value) => elem.attrs.push((key, value.into_owned())),
                            Err(err) => {
                                self.fail(format!("{}: attribute {key}: {err}", elem.name));
                            }
                        }
                    }
                    Err(err) => self.fail(format!("{}: bad attribute: {err}", elem.name)),
                }
            }
            if let Some(&parent) = self.stack.last()
                && let Some(p) = self.tree.elems.get_mut(parent)
            {
                p.children.push(index);
            }
            self.tree.elems.push(elem);
        }
        self.stack.push(index);
    }

    fn text(&mut self, text: &str) {
        if self.failure.is_some() {
            return;
        }
        let Some(elem) = self.stack.last().and_then(|&i| self.tree.elems.get_mut(i)) else {
            return;
        };
        if elem.text.len() + text.len() > self.max_text {
            let limit = crate::formats::size(self.max_text);
            let reason = format!("{}: a text longer than {limit}", self.path());
            self.fail(reason);
            return;
        }
        elem.text.push_str(text);
    }
}

/// The text an entity or character reference stands for: XML's five entities, a character
/// reference to a character XML allows, or an HTML named entity (`&euro;`, which exports use
/// without declaring it); `None` for anything else.
fn resolve(reference: &BytesRef<'_>) -> Option<Cow<'static, str>> {
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(c)) if is_xml_char(c) => Some(Cow::Owned(c.to_string())),
            _ => None,
        };
    }
    let name: &str = reference;
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

/// The bytes of an event's text.
fn b(s: &str) -> &[u8] {
    s.as_bytes()
}

/// XML 1.0's `Char` production.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::Reader;

    fn build(xml: &str) -> (Result<Tree, String>, Vec<u8>) {
        let mut reader = Reader::from_str(xml);
        let mut b = Builder::new(100, 1000);
        loop {
            let event = reader.read_event().unwrap();
            if matches!(event, Event::Eof) || b.event(&event) {
                break;
            }
        }
        let raw = b.raw.clone();
        (b.finish(), raw)
    }

    #[test]
    fn builds_a_tree_and_keeps_the_raw_element() {
        let xml = r#"<immobilie><preise><kaufpreis auf_anfrage="false">1 &amp; 2</kaufpreis><waehrung iso_waehrung="EUR"/></preise><!-- x --><a>&euro;<![CDATA[<b>]]></a></immobilie>"#;
        let (tree, raw) = build(xml);
        let tree = tree.unwrap();
        let root = tree.root().unwrap();
        assert_eq!(root.value_at("preise/kaufpreis"), Some("1 & 2"));
        assert_eq!(
            root.at("preise/kaufpreis").unwrap().attr("auf_anfrage"),
            Some("false")
        );
        assert_eq!(
            root.at("preise/waehrung").unwrap().attr("iso_waehrung"),
            Some("EUR")
        );
        assert_eq!(root.value_at("a"), Some("€<b>"));
        assert_eq!(
            String::from_utf8(raw).unwrap(),
            xml.replace("<!-- x -->", "")
        );
    }

    #[test]
    fn limits_fail_the_element() {
        let (tree, _) = build(&format!("<i><a>{}</a></i>", "x".repeat(101)));
        assert!(
            tree.unwrap_err()
                .contains("i/a: a text longer than 100 bytes")
        );
        let (tree, _) = build(&format!("<i>{}</i>", "<a>xxxxxxxxxx</a>".repeat(100)));
        assert!(tree.unwrap_err().contains("larger than 1000 bytes"));
        let (tree, _) = build("<i>&xxe;</i>");
        assert!(tree.unwrap_err().contains("&xxe;"));
    }
}
