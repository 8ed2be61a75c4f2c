//! One `<property>` element as a small tree, built from XML events, so its children can be
//! read in any order. Only one property is held at a time, and at most
//! [`MAX_RECORD_BYTES`](crate::formats::MAX_RECORD_BYTES) of it.

use crate::formats::MAX_RECORD_BYTES;

/// What a node costs besides its name and text, for the size limit.
const NODE_OVERHEAD: usize = 64;

/// An element: lower-case local name, `id` attribute, text (all text and CDATA directly
/// inside it, entities resolved) and child elements in document order.
#[derive(Debug, Default)]
pub(super) struct Node {
    pub name: String,
    pub id: Option<String>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The children named `name`, in document order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of this node, trimmed, or `None` when empty.
    pub fn value(&self) -> Option<&str> {
        Some(self.text.trim()).filter(|t| !t.is_empty())
    }

    /// The trimmed, non-empty text of the first child named `name`.
    pub fn value_of(&self, name: &str) -> Option<&str> {
        self.child(name).and_then(Node::value)
    }
}

/// Builds the tree of one property from its events.
#[derive(Debug)]
pub(super) struct Builder {
    /// The open elements: the property first, the innermost last.
    stack: Vec<Node>,
    size: usize,
    oversized: bool,
    /// The property's `id`, kept as soon as it is read (even when the rest is too large).
    external_id: Option<String>,
}

impl Builder {
    /// Starts a `<property>`.
    pub fn new() -> Self {
        Self {
            stack: vec![Node {
                name: "property".into(),
                ..Node::default()
            }],
            size: 0,
            oversized: false,
            external_id: None,
        }
    }

    /// An element opens inside the property.
    pub fn open(&mut self, name: String, id: Option<String>) {
        if self.grow(name.len() + NODE_OVERHEAD) {
            self.stack.push(Node {
                name,
                id,
                ..Node::default()
            });
        } else {
            // Keep the nesting right without keeping the content.
            self.stack.push(Node::default());
        }
    }

    /// Text, CDATA or a resolved entity inside the innermost open element.
    pub fn text(&mut self, text: &str) {
        if self.grow(text.len())
            && let Some(node) = self.stack.last_mut()
        {
            node.text.push_str(text);
        }
    }

    /// The innermost element inside the property closes.
    pub fn close(&mut self) {
        if self.stack.len() < 2 {
            return;
        }
        let Some(node) = self.stack.pop() else { return };
        if self.stack.len() == 1 && node.name == "id" && self.external_id.is_none() {
            self.external_id = node.value().map(str::to_owned);
        }
        if !self.oversized
            && let Some(parent) = self.stack.last_mut()
        {
            parent.children.push(node);
        }
    }

    /// The property's id, when read.
    pub fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }

    /// The finished property, or `None` when it was larger than the limit.
    pub fn finish(mut self) -> Option<Node> {
        if self.oversized {
            return None;
        }
        while self.stack.len() > 1 {
            self.close();
        }
        self.stack.pop()
    }

    /// Counts `bytes` more; false once the property is over the limit.
    fn grow(&mut self, bytes: usize) -> bool {
        self.size = self.size.saturating_add(bytes);
        if self.size > MAX_RECORD_BYTES {
            self.oversized = true;
        }
        !self.oversized
    }
}
